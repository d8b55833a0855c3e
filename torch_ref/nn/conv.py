"""Twin of scratch/nn/conv.py: torch's own convolutions, and the seed's depthwise-separable block."""

from __future__ import annotations

from torch.nn import Conv2d, ConvTranspose2d, Sequential
from torch.nn.functional import conv2d, conv_transpose2d

__all__ = ["Conv2d", "ConvTranspose2d", "conv2d", "conv_transpose2d", "separable_conv2d"]


def separable_conv2d(in_channels: int, out_channels: int, kernel_size: int, **kwargs) -> Sequential:
    """Depthwise (groups=in_channels) then pointwise (1x1): MobileNet's separable block."""
    return Sequential(
        Conv2d(in_channels, in_channels, kernel_size, groups=in_channels, **kwargs),
        Conv2d(in_channels, out_channels, 1),
    )
