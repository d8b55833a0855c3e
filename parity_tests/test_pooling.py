"""Parity of scratch/nn/pooling.py with torch (torch_ref/nn/pooling.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.pooling as tnn
from parity_check.core.harness import DTYPES, PROFILES, assert_close, check_module
from scratch.receptive_field import conv_output_size


def distinct(shape, dtype: str, seed: int = 0) -> np.ndarray:
    """Distinct values (a shuffled ramp in [-1, 1), steps ≥ 1e-3 apart, exact in float32).

    Max-pooling's gradient goes to the argmax; with a tie the two twins may pick different
    winners, so parity inputs keep ties out on purpose.
    """
    n = int(np.prod(shape))
    ramp = np.random.default_rng(seed).permutation(n).reshape(shape)
    return ((ramp - n / 2) / max(n, 1000)).astype(PROFILES[dtype].np_dtype)


SHAPE = (2, 3, 9, 10)
# name, Module kwargs: MaxPool2d
MAX_CASES = [
    ("2x2 (stride = kernel)", dict(kernel_size=2)),
    ("3x3/2 padding 1 (ResNet stem)", dict(kernel_size=3, stride=2, padding=1)),
    ("ceil_mode", dict(kernel_size=3, stride=2, ceil_mode=True)),
    ("ceil_mode + padding", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("dilated", dict(kernel_size=3, stride=1, dilation=2)),
    ("rectangular", dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0))),
    # torch keeps a window that overhangs the input when ceil_mode leaves one (10 > 9 rows)
    ("ceil_mode, dilated kernel past the input", dict(kernel_size=4, stride=2, dilation=3, ceil_mode=True)),
]  # fmt: skip
AVG_CASES = [
    ("2x2", dict(kernel_size=2)),
    ("padding, count_include_pad", dict(kernel_size=3, stride=2, padding=1)),
    ("padding, exclude pad", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("ceil_mode", dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    ("ceil_mode, exclude pad", dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)),
    ("divisor_override", dict(kernel_size=(3, 2), stride=(2, 1), divisor_override=5)),
    ("divisor_override < 0", dict(kernel_size=2, divisor_override=-3)),
    ("ceil_mode, kernel past the input", dict(kernel_size=(10, 3), stride=2, ceil_mode=True)),
    ("ceil_mode, kernel past the input, exclude pad", dict(kernel_size=(10, 3), stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
]  # fmt: skip
ADAPTIVE_CASES = [1, (3, 4), (5, None), (4, 7), (9, 10), (12, 13)]
FLATTEN_CASES = [(1, -1), (0, 2), (2, 3), (-2, -1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", MAX_CASES, ids=[c[0] for c in MAX_CASES])
def test_max_pool2d_parity(name, kwargs, dtype):
    check_module(f"MaxPool2d ({name})", snn.MaxPool2d(**kwargs), tnn.MaxPool2d(**kwargs),
                 distinct(SHAPE, dtype), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", AVG_CASES, ids=[c[0] for c in AVG_CASES])
def test_avg_pool2d_parity(name, kwargs, dtype):
    check_module(f"AvgPool2d ({name})", snn.AvgPool2d(**kwargs), tnn.AvgPool2d(**kwargs),
                 distinct(SHAPE, dtype), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", ADAPTIVE_CASES, ids=str)
def test_adaptive_avg_pool2d_parity(size, dtype):
    """Divisible, non-divisible, None (keep that axis) and larger-than-input output sizes."""
    check_module(f"AdaptiveAvgPool2d({size})", snn.AdaptiveAvgPool2d(size),
                 tnn.AdaptiveAvgPool2d(size), distinct(SHAPE, dtype), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("size", [0, (0, 3), (4, 0)], ids=str)
def test_adaptive_avg_pool2d_to_size_zero_as_torch(size):
    """torch's forward gives an empty output for an output size of 0; its backward refuses."""
    x = distinct(SHAPE, "float64")
    scratch_pool, torch_pool = snn.AdaptiveAvgPool2d(size), tnn.AdaptiveAvgPool2d(size)
    t = torch.from_numpy(x).requires_grad_()
    out_s, out_t = scratch_pool(x), torch_pool(t)
    assert out_s.shape == tuple(out_t.shape) and out_s.size == 0
    with pytest.raises(RuntimeError, match="non-zero size"):
        out_t.sum().backward()
    with pytest.raises(ValueError, match="non-empty output"):
        scratch_pool.backward(np.ones_like(out_s))


POOLS_UNBATCHED = [
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("AdaptiveAvgPool2d", dict(output_size=(4, 3))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", POOLS_UNBATCHED, ids=[c[0] for c in POOLS_UNBATCHED])
def test_unbatched_input_as_torch(name, kwargs, dtype):
    """torch pools a (C, H, W) input as a batch of one; so do the module and the function."""
    x = distinct(SHAPE[1:], dtype)
    check_module(f"{name} (unbatched)", getattr(snn, name)(**kwargs), getattr(tnn, name)(**kwargs),
                 x, dtype=dtype)  # fmt: skip
    function = {"MaxPool2d": "max_pool2d", "AvgPool2d": "avg_pool2d"}.get(
        name, "adaptive_avg_pool2d"
    )
    assert_close(getattr(sf, function)(x, **kwargs),
                 getattr(tnn, function)(torch.from_numpy(x), **kwargs),
                 component=f"{function} (unbatched)", tensor="output", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_average_pooling_is_the_mean(dtype):
    x = distinct(SHAPE, dtype)
    out = snn.AdaptiveAvgPool2d((1, 1))(x)
    assert_close(out, torch.from_numpy(x).mean(dim=(2, 3), keepdim=True),
                 component="AdaptiveAvgPool2d((1, 1))", tensor="output vs mean", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims", FLATTEN_CASES, ids=str)
def test_flatten_parity(dims, dtype):
    check_module(f"Flatten{dims}", snn.Flatten(*dims), tnn.Flatten(*dims),
                 distinct((2, 3, 4, 5), dtype), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dims", [(0, -1), (0, 0), (-1, -1)], ids=str)
def test_flatten_of_a_0d_input_is_1d_as_torch(dims):
    """torch wraps a 0-d input's dims as if it had one axis: Flatten(0) gives shape (1,)."""
    flatten = snn.Flatten(*dims)
    out = flatten(np.array(2.5))
    assert out.shape == tuple(tnn.Flatten(*dims)(torch.tensor(2.5)).shape) == (1,)
    assert flatten.backward(np.ones(1)).shape == ()


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_forms(dtype):
    x = distinct(SHAPE, dtype)
    t = torch.from_numpy(x)
    cases = [
        ("max_pool2d", sf.max_pool2d(x, 3, 2, 1, 1, True), tnn.max_pool2d(t, 3, 2, 1, 1, True)),
        ("avg_pool2d", sf.avg_pool2d(x, 3, 2, 1, True, False), tnn.avg_pool2d(t, 3, 2, 1, True, False)),
        ("adaptive_avg_pool2d", sf.adaptive_avg_pool2d(x, (4, 3)), tnn.adaptive_avg_pool2d(t, (4, 3))),
    ]  # fmt: skip
    for name, ours, theirs in cases:
        assert_close(ours, theirs, component=name, tensor="output", dtype=dtype)


# What each pool takes of a configuration: the shared geometry and its own options.
GEOMETRY = ("kernel_size", "stride", "padding", "ceil_mode")
POOL_ARGS = {"MaxPool2d": (*GEOMETRY, "dilation"),
             "AvgPool2d": (*GEOMETRY, "count_include_pad", "divisor_override")}  # fmt: skip


@st.composite
def pool_configs(draw):
    """A valid point of the pools' configuration space, labelled: the shared geometry and the
    options of both pools, of which each pool takes its own (``POOL_ARGS``)."""
    kernel = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)), label="kernel")
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))), label="stride")  # fmt: skip
    padding = tuple(draw(st.integers(0, k // 2), label="padding") for k in kernel)
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)), label="dilation (max)")
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                  ceil_mode=draw(st.booleans(), label="ceil_mode"),
                  count_include_pad=draw(st.booleans(), label="count_include_pad (avg)"),
                  divisor_override=draw(st.one_of(st.none(), st.integers(1, 6)), label="divisor_override (avg)"))  # fmt: skip
    size = [
        draw(st.integers(max(1, dilation[i] * (kernel[i] - 1) + 1 - 2 * padding[i]), 9), label="size")
        for i in range(2)
    ]  # fmt: skip
    # A dilated window can fall wholly in MaxPool's -inf padding: both twins output -inf and
    # torch sends its gradient to an arbitrary pixel. Degenerate; kept out on purpose.
    assume(all(_every_window_sees_input(size[i], kernel[i], (stride or kernel)[i], padding[i],
                                        dilation[i], kwargs["ceil_mode"]) for i in range(2)))  # fmt: skip
    return kwargs, (draw(st.integers(1, 2), label="batch"), 2, *size)


def _every_window_sees_input(size, kernel, stride, padding, dilation, ceil_mode) -> bool:
    out = conv_output_size(size, kernel, stride, padding, dilation, ceil_mode)
    taps = np.arange(out)[:, None] * stride - padding + np.arange(kernel)[None] * dilation
    return bool(((taps >= 0) & (taps < size)).any(axis=1).all())


# The @examples are the boundaries, (kwargs, shape), run in every profile (ci too) before the
# drawn ones, through both pools (each drops the other's options).
@pytest.mark.parametrize("name", ["MaxPool2d", "AvgPool2d"])
@given(config=pool_configs())
@example(config=(dict(kernel_size=1), (1, 1, 1, 1)))  # batch 1, one channel, 1x1 image and kernel
@example(config=(dict(kernel_size=3, padding=1), (1, 2, 1, 1)))  # kernel = padded 1x1 image: one output, 8 of 9 taps padding  # fmt: skip
@example(config=(dict(kernel_size=(4, 3)), (2, 1, 4, 3)))  # kernel = input: one output
@example(config=(dict(kernel_size=3, stride=2, ceil_mode=True), (1, 2, 6, 6)))  # ceil_mode: the last window overhangs the input  # fmt: skip
@example(config=(dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 2, 6, 4)))  # ceil_mode: overhangs past the padding (not in AvgPool's divisor)  # fmt: skip
@example(config=(dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (1, 2, 6, 5)))  # the same, padding not counted  # fmt: skip
@example(config=(dict(kernel_size=2, stride=2, padding=1, ceil_mode=True), (1, 2, 5, 5)))  # ceil_mode: a last window that would start in the padding is dropped  # fmt: skip
@example(config=(dict(kernel_size=2, stride=2, dilation=2, ceil_mode=True), (1, 2, 6, 6)))  # MaxPool: dilated window overhangs  # fmt: skip
@example(config=(dict(kernel_size=1, stride=3), (1, 2, 7, 5)))  # stride > kernel: skipped inputs get grad 0  # fmt: skip
@example(config=(dict(kernel_size=2, stride=(3, 4), padding=1, divisor_override=3), (2, 1, 7, 9)))  # stride > kernel, padded; AvgPool: divisor_override  # fmt: skip
@example(config=(dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1), ceil_mode=True), (2, 1, 1, 8)))  # one-row image, ceil_mode  # fmt: skip
def test_pool2d_configuration_space(name, config):
    kwargs, shape = config
    kwargs = {k: v for k, v in kwargs.items() if k in POOL_ARGS[name]}
    for dtype in DTYPES:
        check_module(f"{name} (hypothesis)", getattr(snn, name)(**kwargs),
                     getattr(tnn, name)(**kwargs), distinct(shape, dtype), dtype=dtype)  # fmt: skip


# Boundaries (input size, output size, (batch, channels)), run in every profile.
@given(size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       out=st.tuples(st.integers(1, 11), st.integers(1, 11)),
       lead=st.sampled_from([(2, 2), (1, 1)]))  # fmt: skip
@example(size=(5, 7), out=(1, 1), lead=(2, 2))  # output 1: the global average
@example(size=(1, 1), out=(3, 2), lead=(1, 1))  # 1x1 image, batch 1, one channel: every bin is the pixel  # fmt: skip
@example(size=(2, 3), out=(5, 7), lead=(2, 2))  # output larger than the input: bins repeat pixels
@example(size=(7, 5), out=(3, 2), lead=(1, 2))  # output does not divide the input: overlapping bins
@example(size=(9, 4), out=(7, 3), lead=(2, 1))  # not dividing, nearly the input's size
@example(size=(4, 3), out=(4, 3), lead=(2, 2))  # output = input: the identity
def test_adaptive_avg_pool2d_configuration_space(size, out, lead):
    for dtype in DTYPES:
        check_module("AdaptiveAvgPool2d (hypothesis)", snn.AdaptiveAvgPool2d(out),
                     tnn.AdaptiveAvgPool2d(out), distinct((*lead, *size), dtype), dtype=dtype)  # fmt: skip


# torch's _pair keeps a sequence as it is; its kernels take one int for both axes, and an
# empty stride for the kernel size. Module kwargs, and the functional call with the same sizes.
SIZE_TUPLES = [
    ("MaxPool2d(3, 1, (1,))", snn.MaxPool2d, tnn.MaxPool2d, dict(kernel_size=3, stride=1, padding=(1,))),
    ("MaxPool2d(3, ())", snn.MaxPool2d, tnn.MaxPool2d, dict(kernel_size=3, stride=())),
    ("MaxPool2d((3,), [2], dilation=(2,))", snn.MaxPool2d, tnn.MaxPool2d, dict(kernel_size=(3,), stride=[2], dilation=(2,))),
    ("AvgPool2d(3, 1, (1,))", snn.AvgPool2d, tnn.AvgPool2d, dict(kernel_size=3, stride=1, padding=(1,))),
    ("AvgPool2d(2, ())", snn.AvgPool2d, tnn.AvgPool2d, dict(kernel_size=2, stride=())),
    ("AvgPool2d((3,), (2,), ceil_mode)", snn.AvgPool2d, tnn.AvgPool2d, dict(kernel_size=(3,), stride=(2,), ceil_mode=True)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name,make,make_torch,kwargs", SIZE_TUPLES, ids=[c[0] for c in SIZE_TUPLES]
)
def test_one_element_and_empty_size_tuples_as_torch(name, make, make_torch, kwargs, dtype):
    x = distinct((2, 3, 7, 8), dtype)
    check_module(name, make(**kwargs), make_torch(**kwargs), x, dtype=dtype)
    f, tf = (sf.max_pool2d, tnn.max_pool2d) if make is snn.MaxPool2d else (sf.avg_pool2d, tnn.avg_pool2d)  # fmt: skip
    assert_close(f(x, **kwargs), tf(torch.from_numpy(x), **kwargs), component=f"functional {name}",
                 tensor="output", dtype=dtype)  # fmt: skip


REFUSED_SIZES = [  # torch refuses each (RuntimeError); scratch with a ValueError
    (lambda m, x: m.avg_pool2d(x, ()), "kernel_size"),
    (lambda m, x: m.avg_pool2d(x, 3, 1, ()), "padding"),
    (lambda m, x: m.avg_pool2d(x, (3, 3, 3)), "kernel_size"),
    (lambda m, x: m.max_pool2d(x, 3, 1, 0, ()), "dilation"),
    (lambda m, x: m.max_pool2d(x, 3, (1, 1, 1)), "stride"),
    (lambda m, x: m.adaptive_avg_pool2d(x, (3,)), "output_size"),
]


@pytest.mark.parametrize("call,name", REFUSED_SIZES)
def test_size_tuples_torch_refuses_are_refused(call, name):
    x = distinct((1, 2, 7, 7), "float64")
    with pytest.raises(RuntimeError, match=name):
        call(tnn, torch.from_numpy(x))
    with pytest.raises(ValueError, match=name):
        call(sf, x)


x4 = np.ones((1, 2, 4, 4))
BAD_INPUT = [
    (lambda: snn.MaxPool2d(2)(np.ones((0, 2, 4, 4))), ValueError, "must not be empty"),
    (lambda: snn.AdaptiveAvgPool2d(1)(np.ones((1, 0, 4, 4))), ValueError, "must not be empty"),
    (lambda: snn.MaxPool2d(2, padding=2)(x4), ValueError, "padding \\(2, 2\\) must be at most half of kernel_size"),
    (lambda: snn.AvgPool2d(3, padding=(1, 2))(x4), ValueError, "at most half of kernel_size"),
    (lambda: snn.MaxPool2d(0)(x4), ValueError, "kernel_size must be"),
    (lambda: snn.MaxPool2d(2, stride=0)(x4), ValueError, "stride must be"),
    (lambda: snn.MaxPool2d(2, dilation=0)(x4), ValueError, "dilation must be"),
    (lambda: snn.AvgPool2d(2, padding=-1)(x4), ValueError, "padding must be"),
    (lambda: snn.MaxPool2d(5)(x4), ValueError, "larger than the padded input"),
    (lambda: snn.MaxPool2d(3, dilation=2)(x4), ValueError, "larger than the padded input"),
    (lambda: snn.AvgPool2d(2)(np.ones((2, 2, 2, 4, 4))), ValueError, "must be 3-D \\(C, H, W\\) or 4-D"),
    (lambda: snn.MaxPool2d(2)(np.ones((2, 4), dtype=np.float32)), ValueError, "or 4-D"),
    (lambda: snn.MaxPool2d(2)(np.ones((1, 1, 4, 4), dtype=int)), TypeError, "dtype float32 or float64"),
    (lambda: snn.MaxPool2d(2, return_indices=True), ValueError, "return_indices"),
    (lambda: sf.max_pool2d(x4, 2, return_indices=True), ValueError, "return_indices=True is not implemented"),
    (lambda: snn.AvgPool2d(2, divisor_override=0)(x4), ValueError, "divisor_override must be a non-zero int"),
    (lambda: snn.AdaptiveAvgPool2d(-1)(x4), ValueError, "output_size must be"),
    (lambda: snn.AdaptiveAvgPool2d(None)(x4), TypeError, "output_size must be an int or a pair"),
    (lambda: snn.MaxPool2d(4, stride=1, ceil_mode=True)(np.ones((1, 1, 3, 3))), ValueError, "leaves no output window"),
    (lambda: snn.AdaptiveAvgPool2d((1, 2, 3))(x4), ValueError, "output_size must be an int or a pair"),
    (lambda: snn.Flatten(2, 1)(x4), ValueError, "do not select a range"),
    (lambda: snn.Flatten(1, 4)(x4), ValueError, "do not select a range"),
    (lambda: snn.Flatten()(np.array(1.0)), ValueError, "do not select a range"),
    (lambda: snn.MaxPool2d(2).backward(np.ones((1, 2, 2, 2))), ValueError, "backward\\(\\) called before forward"),
    (lambda: snn.Flatten().backward(np.ones(3)), ValueError, "before forward"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
