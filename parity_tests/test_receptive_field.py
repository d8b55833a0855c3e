"""Parity of scratch/receptive_field.py with torch_ref/receptive_field.py.

The scratch side computes output sizes and receptive fields with formulas; the torch side
measures them on real torch layers (output shapes; pixels reached by one unit's gradient).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st
from torchvision.models import resnet18
from torchvision.models.vgg import cfgs, make_layers

import torch_ref.receptive_field as trf
from parity_check.core.harness import assert_close
from scratch.receptive_field import (
    RESNET18_STEM,
    VGG16,
    Layer,
    conv_output_size,
    receptive_field,
)

# Receptive field after each layer (known values, not computed here): the course prints the
# VGG-16 table and the ResNet-50 first block's (stem, then a 1x1-3x3-1x1 bottleneck); the
# ResNet-18 stem and first stage (RESNET18_STEM) is the project's, checked against torchvision.
SEED_VGG16_RF = [3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212]
SEED_RESNET50_FIRST_BLOCK = [Layer("conv1", 7, 2, 3), Layer("maxpool", 3, 2, 1, pool=True),
                             Layer("conv1x1", 1, 1, 0), Layer("conv3x3", 3, 1, 1), Layer("conv1x1b", 1, 1, 0)]  # fmt: skip
SEED_RESNET50_FIRST_BLOCK_RF = [7, 11, 11, 19, 19]
RESNET18_STEM_RF = [7, 11, 19, 27, 35, 43]
STACKS = [("VGG16", VGG16, SEED_VGG16_RF),
          ("ResNet-50 first block (the course's)", SEED_RESNET50_FIRST_BLOCK, SEED_RESNET50_FIRST_BLOCK_RF),
          ("ResNet-18 stem", RESNET18_STEM, RESNET18_STEM_RF)]  # fmt: skip


def check_ints(actual, expected, component: str, tensor: str) -> None:
    assert_close(np.asarray(actual, dtype=np.int64), np.asarray(expected, dtype=np.int64),
                 component=component, tensor=tensor, dtype="float64")  # fmt: skip


@pytest.mark.parametrize("name,layers,seed_rf", STACKS, ids=[s[0] for s in STACKS])
def test_seed_tables(name, layers, seed_rf):
    check_ints([rf.size for rf in receptive_field(layers)], seed_rf, name, "receptive field per layer")  # fmt: skip


def _geometry(module: torch.nn.Module) -> tuple[int, int, int, int]:
    """(kernel, stride, padding, dilation) of a square torch conv or pool layer."""
    first = lambda v: v[0] if isinstance(v, tuple) else v  # noqa: E731
    return tuple(first(getattr(module, a)) for a in ("kernel_size", "stride", "padding", "dilation"))  # fmt: skip


def test_tables_describe_the_torchvision_models():
    """The tables are VGG-16's features and ResNet-18's stem as torchvision builds them."""
    vgg = [m for m in make_layers(cfgs["D"]) if isinstance(m, (torch.nn.Conv2d, torch.nn.MaxPool2d))]  # fmt: skip
    net = resnet18()
    stem = [net.conv1, net.maxpool] + [
        getattr(block, c) for block in net.layer1 for c in ("conv1", "conv2")
    ]
    for name, table, modules in (("VGG16", VGG16, vgg), ("RESNET18_STEM", RESNET18_STEM, stem)):
        check_ints([layer[1:5] for layer in table], [_geometry(m) for m in modules], name, "layer geometry")  # fmt: skip
        check_ints([layer.pool for layer in table],
                   [isinstance(m, torch.nn.MaxPool2d) for m in modules], name, "pool layers")  # fmt: skip


@pytest.mark.parametrize("name,layers,seed_rf", STACKS, ids=[s[0] for s in STACKS])
def test_analytic_matches_measured_on_seed_stacks(name, layers, seed_rf):
    """At 224x224 every centre unit's field fits in the image: the measured span is r."""
    check_spans(name, layers, 224)


def check_spans(name: str, layers: list, input_size: int) -> None:
    measured = trf.receptive_field(layers, input_size)
    analytic = receptive_field(layers, input_size)
    spans = [rf.span(unit) for rf, (unit, _, _) in zip(analytic, measured, strict=True)]
    check_ints(spans, [m[1:] for m in measured], name, "first and last input pixel of the centre unit")  # fmt: skip
    check_ints([rf.out // 2 for rf in analytic], [m[0] for m in measured], name, "centre unit")


@st.composite
def stacks(draw):
    """1-4 conv or pool layers, and an input large enough that no field is clipped."""
    layers = []
    for i in range(draw(st.integers(1, 4), label="depth")):
        if draw(st.booleans(), label="pool"):
            k = draw(st.integers(2, 3), label="pool kernel")
            layer = Layer(f"pool{i}", k, draw(st.integers(1, 2)), draw(st.integers(0, k // 2)), pool=True)  # fmt: skip
        else:
            k = draw(st.integers(1, 4), label="kernel")
            layer = Layer(f"conv{i}", k, draw(st.integers(1, 2), label="stride"),
                          draw(st.integers(0, 2), label="padding"),
                          draw(st.integers(1, 3), label="dilation"))  # fmt: skip
        layers.append(layer)
    final = receptive_field(layers)[-1]
    input_size = 2 * final.size + 2 * final.jump + 2 * int(abs(final.start)) + 3
    try:
        rfs = receptive_field(layers, input_size)
    except ValueError:  # some layer's kernel outgrew its (padded) input
        assume(False)
    assume(all(0 <= rf.span(rf.out // 2)[0] and rf.span(rf.out // 2)[1] < input_size for rf in rfs))  # fmt: skip
    return layers, input_size


# The @examples are the boundaries, run in every profile (ci too) before the drawn ones.
@given(stack=stacks())
@example(stack=([Layer("conv0", 1)], 1))  # 1x1 input and kernel
@example(stack=([Layer("conv0", 5)], 5))  # kernel = input: one unit sees it all
@example(stack=([Layer("conv0", 3, 3, 0, 2)], 9))  # dilated kernel: holes inside the field
@example(stack=([Layer("conv0", 1, 2), Layer("conv1", 3)], 11))  # stride > kernel: skipped pixels, holes  # fmt: skip
@example(stack=([Layer("pool0", 2, 3, 1, pool=True), Layer("conv1", 3, 1, 1)], 13))  # pool, stride > kernel, padded  # fmt: skip
def test_analytic_matches_measured_on_random_stacks(stack):
    layers, input_size = stack
    check_spans("random stack", layers, input_size)


# (I, K, S, P, D, ceil_mode): textbook values of the seed's O = (I - K + 2P)/S + 1, and
# cases where torch's floor / dilation / ceil_mode rule departs from it.
OUTPUT_SIZE_CASES = [
    ((32, 5, 1, 0), 28), ((28, 3, 1, 1), 28), ((224, 7, 2, 3), 112), ((112, 3, 2, 1), 56),
    ((7, 3, 2, 0), 3), ((8, 3, 2, 0), 3), ((9, 3, 1, 2, 2), 9), ((8, 3, 2, 0, 1, True), 4),
    ((5, 2, 2, 1, 1, True), 3), ((3, 4, 2, 0, 1, True), 1),  # ceil_mode: the window overhangs
]  # fmt: skip


@pytest.mark.parametrize("args,expected", OUTPUT_SIZE_CASES, ids=str)
def test_conv_output_size_table(args, expected):
    check_ints(conv_output_size(*args), expected, "conv_output_size", f"O{args}")
    check_ints(trf.conv_output_size(*args), expected, "torch_ref conv_output_size", f"O{args}")


# The @examples are the boundaries, run in every profile (ci too) before the drawn ones.
@given(I=st.integers(1, 40), K=st.integers(1, 6), S=st.integers(1, 4), P=st.integers(0, 3),
       D=st.integers(1, 3), ceil_mode=st.booleans())  # fmt: skip
@example(I=6, K=3, S=2, P=0, D=1, ceil_mode=True)  # ceil_mode: the last window overhangs (3, floor gives 2)  # fmt: skip
@example(I=5, K=2, S=2, P=1, D=1, ceil_mode=True)  # ceil_mode: a last window that would start in the padding is dropped  # fmt: skip
@example(I=3, K=4, S=2, P=0, D=1, ceil_mode=True)  # ceil_mode: one window larger than the input
@example(I=3, K=5, S=1, P=0, D=1, ceil_mode=True)  # ceil_mode: a kernel past the padding leaves no window, refused  # fmt: skip
@example(I=1, K=3, S=1, P=1, D=1, ceil_mode=False)  # kernel = padded input: one output
@example(I=4, K=2, S=1, P=0, D=3, ceil_mode=False)  # dilated kernel = input: one output
@example(I=2, K=3, S=1, P=0, D=1, ceil_mode=False)  # kernel larger than the input, refused
@example(I=7, K=1, S=3, P=0, D=1, ceil_mode=False)  # stride > kernel: skipped inputs
@example(I=3, K=2, S=3, P=1, D=1, ceil_mode=True)  # stride > kernel, padded, ceil_mode
@example(I=1, K=1, S=1, P=0, D=1, ceil_mode=False)  # 1-pixel input and kernel
def test_conv_output_size_matches_torch(I, K, S, P, D, ceil_mode):
    """Same size where torch has one, refused where torch refuses: a conv's kernel must fit
    the padded input; a pool (ceil_mode) takes padding ≤ K/2 and may overhang if a window
    is left."""
    try:
        expected = trf.conv_output_size(I, K, S, P, D, ceil_mode)
    except RuntimeError:
        with pytest.raises(ValueError):
            conv_output_size(I, K, S, P, D, ceil_mode)
        return
    check_ints(conv_output_size(I, K, S, P, D, ceil_mode), expected, "conv_output_size", "O")


BAD_INPUT = [
    (lambda: conv_output_size(0, 3), ValueError, "I must be an integer ≥ 1"),
    (lambda: conv_output_size(5, 0), ValueError, "K must be"),
    (lambda: conv_output_size(5, 3, S=0), ValueError, "S must be"),
    (lambda: conv_output_size(5, 3, P=-1), ValueError, "P must be an integer ≥ 0"),
    (lambda: conv_output_size(5, 3, D=0), ValueError, "D must be"),
    (lambda: conv_output_size(5, 3.5), ValueError, "K must be an integer"),
    (lambda: conv_output_size(3, 5), ValueError, "larger than the padded input"),
    (lambda: conv_output_size(3, 5, ceil_mode=True), ValueError, "leaves no output window"),
    (lambda: conv_output_size(5, 1, P=1, ceil_mode=True), ValueError, "at most half of the kernel"),
    (lambda: receptive_field([(3, 0, 1, 1)]), ValueError, "stride must be"),
    (lambda: receptive_field([(3, 1, -1, 1)]), ValueError, "padding must be"),
    (lambda: receptive_field([(7, 1, 0, 1)], input_size=5), ValueError, "larger than the padded input"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
