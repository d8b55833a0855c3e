"""2-D convolution with a hand-written backward (course section: Convolutions).

Check: ``parity-check Conv2d exercises/conv.py:Conv2d``.

Protocol: scratch's Module. The checker puts torch's values into ``weight`` and ``bias``
and compares the output, the input gradient and both parameter gradients with torch's on
configurations with padding, stride, dilation, groups (depthwise), rectangular kernels and
padding='same'. A string padding is optional: raise ValueError for it and those cases are
"not supported by your code" (listed; the exercise is judged on the others).
"""

from __future__ import annotations

import numpy as np

from scratch.nn import Module, Parameter


class Conv2d(Module):
    """Twin: ``torch.nn.Conv2d`` (a cross-correlation, like every deep-learning "conv").

    ``weight``: Parameter (out_channels, in_channels // groups, KH, KW); ``bias``:
    Parameter (out_channels,) or None. ``kernel_size``, ``stride``, ``padding``,
    ``dilation``: an int or a pair (height, width). Output size per axis (torch's formula):
    floor((I + 2P - D·(K - 1) - 1) / S) + 1; the course writes (I - K + 2P)/S + 1, which is
    the same only for D = 1 and a stride that divides.
    """

    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True) -> None:  # fmt: skip
        super().__init__()
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, C_in, H, W) -> (N, C_out, OH, OW), in x's dtype.

        Hint: im2col turns the convolution into one matrix product (CS231n's fast layers).
        """
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dout (N, C_out, OH, OW) -> dL/dx (N, C_in, H, W); accumulate dL/dweight and
        dL/dbias (sums over the batch and every output position) into the ``.grad``s."""
        raise NotImplementedError
