"""Output size of a conv/pool layer and the analytic receptive field of a stack of them.

Twin: torch_ref/receptive_field.py, which *measures* both on real torch layers (the output
shape torch computes; the input pixels that get a gradient from one output unit).

Output size. The seed writes O = (I - K + 2P)/S + 1. PyTorch's rule, used here, is::

    O = floor((I + 2P - D(K-1) - 1)/S) + 1

which is the seed's formula with the dilated kernel D(K-1)+1 and a floor: when S does not
divide, the last partial window is dropped. Pooling's ``ceil_mode`` takes the ceiling
instead, but drops a last window that would start in the right padding (torch's rule).

Receptive field. Walking the stack from the input, each layer (kernel k, stride s,
padding p, dilation d, effective kernel k_eff = d(k-1)+1) updates::

    r_out = r_in + (k_eff - 1)·j_in       size of the field, in input pixels
    j_out = j_in·s                        distance in input pixels between adjacent units
    start_out = start_in + ((k_eff - 1)/2 - p)·j_in   centre of unit 0's field

starting from r = 1, j = 1, start = 0 (pixel centres at 0, 1, 2, ...). Unit u of a layer
sees input pixels start + u·j ± (r-1)/2; with stride > k_eff some pixels inside that span
do not contribute (holes), but the first and last always do, so r is the span's size.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

__all__ = ["RESNET18_STEM", "VGG16", "Layer", "LayerRF", "conv_output_size", "receptive_field"]


class Layer(NamedTuple):
    """One conv or pool layer as the receptive field sees it (channels do not matter)."""

    name: str
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    pool: bool = False  # a (max) pooling layer rather than a convolution


class LayerRF(NamedTuple):
    """After ``name``: receptive field ``size`` r, ``jump`` j, ``start``, and feature-map ``out``."""

    name: str
    size: int
    jump: int
    start: float
    out: int | None = None  # feature-map size, when an input size was given

    def span(self, unit: int) -> tuple[int, int]:
        """First and last input pixel seen by output unit ``unit`` (before clipping)."""
        centre = self.start + unit * self.jump
        return int(centre - (self.size - 1) / 2), int(centre + (self.size - 1) / 2)


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def conv_output_size(I: int, K: int, S: int = 1, P: int = 0, D: int = 1,
                     ceil_mode: bool = False) -> int:  # fmt: skip
    """floor((I + 2P - D(K-1) - 1)/S) + 1 (ceil with ``ceil_mode``, pooling's rule).

    With ``ceil_mode`` (a max pool, in the twin) torch's pooling rules apply: P at most K/2,
    and a dilated kernel may overhang the padded input as long as one window is left.
    """
    I, K, S = _check_int(I, "I", 1), _check_int(K, "K", 1), _check_int(S, "S", 1)
    P, D = _check_int(P, "P", 0), _check_int(D, "D", 1)
    span = I + 2 * P - D * (K - 1) - 1
    if not ceil_mode and span < 0:
        raise ValueError(f"kernel {K} with dilation {D} is larger than the padded input {I + 2 * P}")  # fmt: skip
    if ceil_mode and P > K // 2:
        raise ValueError(f"padding {P} must be at most half of the kernel size {K} (pooling)")
    out = (-(-span // S) if ceil_mode else span // S) + 1
    if ceil_mode and (out - 1) * S >= I + P:
        out -= 1  # torch: the last window must start inside the input or the left padding
    if out < 1:
        raise ValueError(f"kernel {K} with dilation {D} and stride {S} leaves no output window "
                         f"on an input of {I} padded by {P} (output size {out})")  # fmt: skip
    return out


def receptive_field(layers: list[Layer] | list[tuple], input_size: int | None = None) -> list[LayerRF]:  # fmt: skip
    """The receptive field after each layer; ``layers`` are ``Layer`` or (k, s, p, d) tuples."""
    size, jump, start, out = 1, 1, 0.0, input_size
    result = []
    for index, layer in enumerate(layers):
        layer = layer if isinstance(layer, Layer) else Layer(f"layer{index + 1}", *layer)
        k, s = _check_int(layer.kernel, "kernel", 1), _check_int(layer.stride, "stride", 1)
        p, d = _check_int(layer.padding, "padding", 0), _check_int(layer.dilation, "dilation", 1)
        k_eff = d * (k - 1) + 1
        size, start = size + (k_eff - 1) * jump, start + ((k_eff - 1) / 2 - p) * jump
        jump *= s
        out = None if out is None else conv_output_size(out, k, s, p, d)
        result.append(LayerRF(layer.name, size, jump, start, out))
    return result


def _conv3(name: str) -> Layer:
    return Layer(name, 3, 1, 1)


def _pool2(name: str) -> Layer:
    return Layer(name, 2, 2, 0, pool=True)


# The seed's VGG-16 table: 13 3x3 convs (padding 1) and 5 2x2 max-pools; final field 212.
VGG16: list[Layer] = [
    *(_conv3(f"conv1_{i}") for i in (1, 2)), _pool2("pool1"),
    *(_conv3(f"conv2_{i}") for i in (1, 2)), _pool2("pool2"),
    *(_conv3(f"conv3_{i}") for i in (1, 2, 3)), _pool2("pool3"),
    *(_conv3(f"conv4_{i}") for i in (1, 2, 3)), _pool2("pool4"),
    *(_conv3(f"conv5_{i}") for i in (1, 2, 3)), _pool2("pool5"),
]  # fmt: skip

# ResNet's stem (the course's 7x7/2 conv and 3x3/2 max-pool) with ResNet-18's first stage:
# two basic blocks of two 3x3 convs each (the 1x1 shortcut does not widen the field); field
# 43. The course's own table follows the stem with ResNet-50's first bottleneck (1x1, 3x3,
# 1x1) and ends at 19: test_receptive_field.py checks both.
RESNET18_STEM: list[Layer] = [
    Layer("conv1", 7, 2, 3),
    Layer("maxpool", 3, 2, 1, pool=True),
    *(_conv3(f"layer1.{b}.conv{c}") for b in (0, 1) for c in (1, 2)),
]
