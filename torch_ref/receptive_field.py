"""Twin of scratch/receptive_field.py: output sizes and receptive fields *measured* in torch.

- ``conv_output_size``: the size torch itself gives a real layer's output.
- ``receptive_field``: build the real stack of torch layers, backpropagate from one output
  unit, and read off which input pixels receive a nonzero gradient.

Why the measurement can be trusted (the choices that matter):

- Conv weights are a positive constant, the bias 0 and the input all ones. Then
  d(unit)/d(pixel) is a sum over all paths from the pixel to the unit of products of
  positive numbers: it is > 0 exactly when some path exists, so no cancellation can hide a
  pixel, and no nonlinearity is needed (a ReLU would only gate paths off).
- Max-pool layers are replaced by average pools of the same kernel, stride and padding.
  A max pool's gradient goes to the one winner of each window, so one backward through it
  marks only the pixels that happened to win: an input-dependent subset of the field. The
  receptive field is the set of pixels that *can* influence the unit, which depends only
  on the window geometry, and average pooling (every window pixel gets 1/K²) has the same
  geometry. A pool with dilation (AvgPool2d has none) becomes a 1-channel conv of ones
  with that geometry.
- One channel throughout: channels change no window's geometry.
- The extent is measured on the rows (the stacks are square); clipping at the border is
  the caller's business: pick an input large enough that the unit's field fits.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from scratch.receptive_field import Layer

__all__ = ["build_stack", "conv_output_size", "receptive_field"]


def _conv(k: int, s: int, p: int, d: int) -> nn.Conv2d:
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    nn.init.constant_(conv.weight, 1.0 / (k * k))  # positive: every path adds, none cancels
    return conv


def build_stack(layers: list[Layer]) -> nn.Sequential:
    """The real torch layers (1 channel), pools made average pools (see the module docstring)."""
    modules = []
    for layer in layers:
        k, s, p, d = layer.kernel, layer.stride, layer.padding, layer.dilation
        if layer.pool and d == 1:
            modules.append(nn.AvgPool2d(k, s, p))
        else:
            modules.append(_conv(k, s, p, d))
    return nn.Sequential(*modules).double().requires_grad_(False)  # only d/d(input) is needed


def conv_output_size(I: int, K: int, S: int = 1, P: int = 0, D: int = 1,
                     ceil_mode: bool = False) -> int:  # fmt: skip
    """The output length torch gives: a conv, or (with ceil_mode) a max pool, on a 1xI row."""
    x = torch.zeros(1, 1, 1, I)
    if ceil_mode:
        out = nn.MaxPool2d((1, K), (1, S), (0, P), (1, D), ceil_mode=True)(x)
    else:
        out = nn.functional.conv2d(x, torch.zeros(1, 1, 1, K), stride=S, padding=(0, P),
                                   dilation=(1, D))  # fmt: skip
    return out.shape[-1]


def receptive_field(layers: list[Layer], input_size: int) -> list[tuple[int, int, int]]:
    """For each prefix of the stack: (unit, first pixel, last pixel) seen by its centre unit.

    ``unit`` is the centre output unit (index out // 2); the pixels are row indices of the
    input with a nonzero gradient, so last - first + 1 is the (clipped) receptive field.
    """
    stack = build_stack(layers)
    result = []
    threads = torch.get_num_threads()
    # One thread: these are 1-channel maps, and on a loaded machine torch's intra-op threads
    # spent 20x longer waiting for each other than computing (measured: 8 s vs 0.3 s).
    torch.set_num_threads(1)
    try:
        for depth in range(1, len(layers) + 1):
            result.append(_centre_unit_span(stack[:depth], input_size))
    finally:
        torch.set_num_threads(threads)
    return result


def _centre_unit_span(stack: nn.Sequential, input_size: int) -> tuple[int, int, int]:
    """Backpropagate from the centre unit; the rows of the input that get a gradient."""
    x = torch.ones(1, 1, input_size, input_size, dtype=torch.float64, requires_grad=True)
    out = stack(x)
    unit = out.shape[-1] // 2
    out[0, 0, unit, unit].backward()
    rows = np.flatnonzero(x.grad[0, 0].abs().sum(dim=1).numpy() > 0)
    return unit, int(rows[0]), int(rows[-1])
