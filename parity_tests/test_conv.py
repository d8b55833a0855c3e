"""Parity of scratch/nn/conv.py with torch (torch_ref/nn/conv.py): Conv2d, ConvTranspose2d."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import Future
from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import example, given
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

import scratch.functional as sf
import scratch.nn as snn
import scratch.nn._flat_conv as flat_conv
import scratch.nn._parallel as parallel
import torch_ref.nn.conv as tnn
from parity_check.core.harness import DTYPES, assert_close, check_module, randn
from scratch.nn.conv import conv2d_manual

# torch warns that 'same' with an even kernel pads a copy of the input; that is expected.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


# The seed's table of convolutions, one line each: name, (N, C, H, W), Conv2d arguments.
CONV_CASES = [
    ("standard 3x3", (2, 3, 7, 6), dict(in_channels=3, out_channels=4, kernel_size=3, padding=1)),
    ("strided", (2, 3, 9, 8), dict(in_channels=3, out_channels=4, kernel_size=3, stride=2)),
    ("rectangular", (2, 2, 7, 9), dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1), padding=(0, 1))),
    ("no bias", (2, 3, 6, 6), dict(in_channels=3, out_channels=2, kernel_size=3, bias=False)),
    ("depthwise", (2, 4, 7, 7), dict(in_channels=4, out_channels=4, kernel_size=3, padding=1, groups=4)),
    ("depthwise x2", (2, 3, 7, 7), dict(in_channels=3, out_channels=6, kernel_size=3, groups=3)),
    ("pointwise 1x1", (2, 4, 5, 5), dict(in_channels=4, out_channels=6, kernel_size=1)),
    ("grouped", (2, 4, 6, 6), dict(in_channels=4, out_channels=6, kernel_size=3, groups=2)),
    ("dilated", (2, 2, 9, 9), dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding=2)),
    ("same, odd kernel", (2, 2, 6, 7), dict(in_channels=2, out_channels=3, kernel_size=3, padding="same")),
    ("same, even kernel", (2, 2, 6, 7), dict(in_channels=2, out_channels=3, kernel_size=4, padding="same")),
    ("same, dilated", (1, 2, 8, 8), dict(in_channels=2, out_channels=2, kernel_size=(2, 3), dilation=(3, 2), padding="same")),
    ("valid", (2, 2, 6, 7), dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid")),
]  # fmt: skip

TRANSPOSE_CASES = [
    ("upsample x2", (2, 3, 4, 5), dict(in_channels=3, out_channels=2, kernel_size=2, stride=2)),
    ("padding + output_padding", (2, 3, 4, 4), dict(in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1)),
    ("grouped, dilated", (2, 4, 4, 5), dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, dilation=2)),
    ("output_padding < dilation", (1, 2, 3, 3), dict(in_channels=2, out_channels=2, kernel_size=2, stride=1, dilation=3, output_padding=2)),
    ("no bias, rectangular", (2, 2, 3, 4), dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), bias=False)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,kwargs", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv2d_parity(name, shape, kwargs, dtype):
    check_module(f"Conv2d ({name})", snn.Conv2d(**kwargs), tnn.Conv2d(**kwargs),
                 randn(shape, dtype), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,kwargs", TRANSPOSE_CASES, ids=[c[0] for c in TRANSPOSE_CASES])
def test_conv_transpose2d_parity(name, shape, kwargs, dtype):
    check_module(f"ConvTranspose2d ({name})", snn.ConvTranspose2d(**kwargs),
                 tnn.ConvTranspose2d(**kwargs), randn(shape, dtype), dtype=dtype)  # fmt: skip


UNBATCHED = [CONV_CASES[0], CONV_CASES[7], CONV_CASES[9]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape,kwargs", UNBATCHED, ids=[c[0] for c in UNBATCHED])
def test_unbatched_input_as_torch(name, shape, kwargs, dtype):
    """torch takes a (C, H, W) input as a batch of one and gives a (C_out, H', W') output."""
    check_module(f"Conv2d ({name}, unbatched)", snn.Conv2d(**kwargs), tnn.Conv2d(**kwargs),
                 randn(shape[1:], dtype), dtype=dtype)  # fmt: skip
    name, shape, kwargs = TRANSPOSE_CASES[1]
    check_module(f"ConvTranspose2d ({name}, unbatched)", snn.ConvTranspose2d(**kwargs),
                 tnn.ConvTranspose2d(**kwargs), randn(shape[1:], dtype), dtype=dtype)  # fmt: skip
    x, w = randn((4, 7, 6), dtype), randn((6, 2, 3, 3), dtype, 1)
    assert_close(sf.conv2d(x, w, groups=2), F.conv2d(torch.from_numpy(x), torch.from_numpy(w), groups=2),
                 component="conv2d (unbatched)", tensor="output", dtype=dtype)  # fmt: skip
    assert_close(sf.conv_transpose2d(x, w[:4]), F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w[:4])),
                 component="conv_transpose2d (unbatched)", tensor="output", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_depthwise_separable_parity(dtype):
    """The seed's depthwise-separable block: a Sequential of depthwise and pointwise convs."""
    scratch_block = snn.Sequential(snn.Conv2d(4, 4, 3, padding=1, groups=4), snn.Conv2d(4, 6, 1))
    check_module("depthwise-separable", scratch_block, tnn.separable_conv2d(4, 6, 3, padding=1),
                 randn((2, 4, 6, 6), dtype), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_forms(dtype):
    x, w, b = randn((2, 4, 7, 6), dtype), randn((6, 2, 3, 3), dtype, 1), randn((6,), dtype, 2)
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    t = [torch.from_numpy(a) for a in (x, w, b)]
    assert_close(sf.conv2d(x, w, b, **kw), F.conv2d(*t, **kw), component="conv2d",
                 tensor="output", dtype=dtype)  # fmt: skip
    w_t = randn((4, 3, 3, 3), dtype, 3)
    tk = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    assert_close(sf.conv_transpose2d(x, w_t, b, **tk),
                 F.conv_transpose2d(t[0], torch.from_numpy(w_t), t[2], **tk),
                 component="conv_transpose2d", tensor="output", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("shape,w_shape,stride,padding", [
    ((6, 7), (3, 3), 1, 0),  # the seed's single-channel example
    ((2, 3, 7, 6), (4, 3, 3, 2), 2, 1),
])  # fmt: skip
def test_manual_loops_match_im2col_and_torch(shape, w_shape, stride, padding):
    """The seed's nested-loop convolution agrees with the vectorised one and with torch."""
    x, w = randn(shape, "float64"), randn(w_shape, "float64", 1)
    slow = conv2d_manual(x, w, None, stride, padding)
    x4, w4, slow4 = (a if a.ndim == 4 else a[None, None] for a in (x, w, slow))
    tol = dict(component="conv2d_manual", dtype="float64")
    assert_close(slow4, sf.conv2d(x4, w4, None, stride, padding), tensor="output vs im2col", **tol)  # fmt: skip
    ref = F.conv2d(torch.from_numpy(x4), torch.from_numpy(w4), stride=stride, padding=padding)
    assert_close(slow4, ref, tensor="output vs torch", **tol)


@st.composite
def conv_configs(draw, transposed: bool = False):
    """A valid point of Conv2d's (or ConvTranspose2d's) configuration space, labelled."""
    groups = draw(st.integers(1, 3), label="groups")
    c_in = groups * draw(st.integers(1, 2), label="in channels per group")
    c_out = groups * draw(st.integers(1, 2), label="out channels per group")
    kernel = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)), label="kernel")
    stride = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)), label="stride")
    dilation = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)), label="dilation")
    pad_choices = [st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))]
    if not transposed:
        pad_choices.append(st.just("valid"))
        if stride == (1, 1):
            pad_choices.append(st.just("same"))
    padding = draw(st.one_of(pad_choices), label="padding")
    # explicit padding per axis ('same' is handled below: any input size works with it)
    pads = (0, 0) if isinstance(padding, str) else np.broadcast_to(padding, 2).tolist()
    kwargs = dict(in_channels=c_in, out_channels=c_out, kernel_size=kernel, stride=stride,
                  padding=padding, dilation=dilation, groups=groups, bias=draw(st.booleans(), label="bias"))  # fmt: skip
    size = []
    for i in range(2):  # smallest size that keeps the output non-empty, plus a few
        span = dilation[i] * (kernel[i] - 1) + 1
        low = 1 if transposed or padding == "same" else max(1, span - 2 * pads[i])
        size.append(draw(st.integers(low, low + 5), label=f"input size {i}"))
    if transposed:
        kwargs["output_padding"] = tuple(
            draw(st.integers(0, max(stride[i], dilation[i]) - 1), label="output_padding")
            for i in range(2)
        )
        for i in range(2):  # the output (H-1)S - 2P + D(K-1) + output_padding + 1 must be > 0
            out = (size[i] - 1) * stride[i] - 2 * pads[i] + dilation[i] * (kernel[i] - 1)
            size[i] += max(0, -(out + kwargs["output_padding"][i]) // stride[i] + 1)
    batch = draw(st.integers(1, 3), label="batch")
    return kwargs, (batch, c_in, *size)


def explicit(shape, out_channels, kernel_size, **kwargs):
    """A boundary configuration for ``@example``, as ``conv_configs`` draws them."""
    kwargs = dict(in_channels=shape[1], out_channels=out_channels, kernel_size=kernel_size, **kwargs)  # fmt: skip
    return kwargs, shape


# The @examples are the boundaries: they run in every profile (ci too) before the drawn ones.
@given(config=conv_configs(), flat=st.booleans(), block=st.sampled_from([5, 64, 4096]),
       sums=st.booleans(), threads=st.sampled_from([1, 2]))  # fmt: skip
@example(config=explicit((1, 1, 1, 1), 1, 1), flat=True, block=5, sums=False, threads=1)  # batch 1, one channel, 1x1 image and kernel  # fmt: skip
@example(config=explicit((1, 2, 1, 1), 3, 3, padding="same"), flat=True, block=5, sums=True, threads=1)  # 1x1 image, 'same': every tap but the centre in the padding  # fmt: skip
@example(config=explicit((2, 2, 1, 4), 3, (3, 4), padding=(1, 0)), flat=True, block=64, sums=True, threads=2)  # kernel = padded input: one output  # fmt: skip
@example(config=explicit((1, 2, 5, 4), 2, (3, 2), dilation=(2, 3)), flat=False, block=64, sums=False, threads=1)  # dilated kernel = input: one output  # fmt: skip
@example(config=explicit((1, 1, 3, 3), 2, 3, padding="valid", bias=False), flat=True, block=64, sums=False, threads=1)  # 'valid', kernel = input  # fmt: skip
@example(config=explicit((2, 2, 7, 8), 3, 1, stride=3), flat=False, block=64, sums=False, threads=1)  # stride > kernel: skipped inputs get grad 0  # fmt: skip
@example(config=explicit((1, 3, 7, 7), 2, 2, stride=(3, 4), padding=1), flat=False, block=64, sums=False, threads=1)  # stride > kernel, padded  # fmt: skip
@example(config=explicit((2, 3, 5, 5), 3, 3, padding=1, groups=3), flat=True, block=5, sums=True, threads=2)  # groups = channels (depthwise)  # fmt: skip
@example(config=explicit((1, 3, 4, 6), 6, (2, 3), stride=(2, 1), groups=3), flat=False, block=64, sums=False, threads=1)  # depthwise, channel multiplier 2  # fmt: skip
@example(config=explicit((1, 2, 6, 5), 2, 3, padding=1), flat=True, block=5, sums=False, threads=2)  # batch 1: one image's grid rows on two threads  # fmt: skip
def test_conv2d_configuration_space(config, flat, block, sums, threads):
    """Stride-1 configurations also run through the flat fast path (forced, with small cache
    blocks so that images are split into blocks of grid rows, by im2col or by the
    shift-sum, blocks on one thread or two) — see _flat_conv."""
    kwargs, shape = config
    with forced_flat_path(flat, block, sums, threads):
        for dtype in DTYPES:
            x = randn(shape, dtype, seed=sum(shape))
            check_module("Conv2d (hypothesis)", snn.Conv2d(**kwargs), tnn.Conv2d(**kwargs), x,
                         dtype=dtype, params_sum_outputs=True)  # fmt: skip


@contextlib.contextmanager
def forced_flat_path(flat: bool, block: int, sums: bool = False, threads: int = 1):
    """Make every stride-1 Conv2d take (or skip) the flat path, with blocks of about
    ``block`` rows; ``sums=True`` computes every product (forward and dx) by the shift-sum
    instead of im2col; the blocks are shared out to ``threads`` threads."""

    with mock.patch.object(flat_conv, "flat_pays", lambda geom: flat), \
            mock.patch.object(flat_conv, "block_rows", lambda *args: block), \
            mock.patch.object(flat_conv, "sums_pay", lambda geom, out_channels: sums), \
            mock.patch.object(parallel, "threads", lambda: threads):  # fmt: skip
        yield


FLAT_CASES = [  # stride 1 by definition of the fast path
    ("3x3 pad 1 (the MNIST CNN)", dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), (2, 3, 9, 8)),
    ("one input channel (channel-major columns)", dict(in_channels=1, out_channels=4, kernel_size=3, padding=1), (2, 1, 9, 8)),
    ("one input channel, 'same', dilation 2", dict(in_channels=1, out_channels=3, kernel_size=(3, 2), padding="same", dilation=2), (3, 1, 7, 9)),
    ("one output channel (dx by channel-major columns)", dict(in_channels=3, out_channels=1, kernel_size=3, padding=1), (4, 3, 6, 5)),
    ("dilation 2, groups 2", dict(in_channels=4, out_channels=6, kernel_size=3, padding=2, dilation=2, groups=2), (2, 4, 8, 9)),
    ("'same', even kernel (asymmetric pad)", dict(in_channels=2, out_channels=3, kernel_size=(2, 4), padding="same"), (1, 2, 7, 6)),
    ("no padding, 1x1", dict(in_channels=5, out_channels=2, kernel_size=1), (3, 5, 4, 4)),
    ("padding wider than the halo (no flat layout: strided path)", dict(in_channels=2, out_channels=3, kernel_size=1, padding=2), (2, 2, 4, 5)),
    ("asymmetric explicit padding (2, 0)", dict(in_channels=2, out_channels=2, kernel_size=3, padding=(2, 0)), (2, 2, 5, 6)),
    ("depthwise 5x5 pad (2, 1)", dict(in_channels=3, out_channels=3, kernel_size=5, padding=(2, 1), groups=3), (2, 3, 6, 7)),
]  # fmt: skip


@pytest.mark.parametrize("threads", [1, 2], ids=["1 thread", "2 threads"])
@pytest.mark.parametrize("sums", [False, True], ids=["im2col", "shift-sum"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs,shape", FLAT_CASES, ids=[c[0] for c in FLAT_CASES])
def test_conv2d_flat_path(name, kwargs, shape, dtype, sums, threads):
    # Blocks of 7 rows: one grid row of an image each; of 64: whole images, or an image's
    # grid rows in two near-equal pieces.
    for block in [7, 64]:
        with forced_flat_path(True, block=block, sums=sums, threads=threads):
            check_module(f"Conv2d flat path ({name}, blocks of {block})", snn.Conv2d(**kwargs),
                         tnn.Conv2d(**kwargs), randn(shape, dtype, seed=3), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("batch,rows", [(3, 4096), (3, 60), (2, 29), (2, 12), (2, 1)])
def test_flat_blocks_tile_the_images(batch, rows):
    """Blocks cover every position once, in order, each either whole images or grid rows of
    one image, and none is longer than asked (or than one grid row): what _slab relies on."""
    geom = flat_conv.flat_geometry((batch, 1, 5, 4), (3, 3), (1, 1, 1, 1), (1, 1))
    per_image = geom.hs * geom.ws  # 6 grid rows of 5
    blocks = flat_conv._blocks(geom, rows)
    assert [b.start for b in blocks] == [0] + [b.stop for b in blocks[:-1]]
    assert blocks[-1].stop == geom.length
    for b in blocks:
        assert b.start % geom.ws == 0 and b.stop % geom.ws == 0
        whole_images = b.start % per_image == 0 and (b.stop - b.start) % per_image == 0
        assert whole_images or b.start // per_image == (b.stop - 1) // per_image
        assert b.stop - b.start <= max(rows, geom.ws)


def test_flat_blocks_shared_out_per_thread():
    """Two threads: the calling thread and one pooled task, thread t taking blocks t, t + 2,
    ...; every block is done once, and a sum over blocks adds each block's result once."""

    class RecordingPool:  # runs what it is given at once, and records the blocks
        def __init__(self):
            self.calls: list[list[int]] = []

        def submit(self, work, part):
            self.calls.append([b.start // 10 for b in part])
            done = Future()
            done.set_result(work(part))
            return done

    def record(block: slice) -> None:
        ran.append(block.start)
        limits.append(parallel._holders)  # BLAS held to one thread while blocks run

    pool, ran, limits = RecordingPool(), [], []
    blocks = [slice(start, min(start + 10, 45)) for start in range(0, 45, 10)]
    with mock.patch.object(parallel, "threads", lambda: 2), \
            mock.patch.dict(parallel._POOLS, {2: pool}):  # fmt: skip
        parallel.map_blocks(record, blocks)
        total = parallel.sum_blocks(lambda b: np.array([b.stop - b.start, b.start]), blocks)
    assert pool.calls == [[1, 3]] * 2  # the pooled thread's part, once for each call
    assert ran == [10, 30, 0, 20, 40]  # and then the calling thread's
    assert limits == [1] * 5 and parallel._holders == 0
    assert total.tolist() == [45, 100]  # every row once; 0 + 10 + 20 + 30 + 40


def test_run_waits_for_every_item_before_raising():
    """An error in one thread's part is raised only once the other part is done, so no
    thread still writes into the arrays when the caller sees the error."""
    done = []

    def work(i: int) -> None:
        if i == fails:
            raise ValueError(f"part {i}")
        time.sleep(0.05)
        done.append(i)

    for fails in (0, 1):  # the calling thread's part, then the pooled thread's
        done.clear()
        with pytest.raises(ValueError, match=f"part {fails}"):
            parallel.run(work, [0, 1], 2)
        assert done == [1 - fails]
    threads = parallel.run(lambda i: threading.current_thread(), [0, 1], 2)
    assert threads[0] is threading.current_thread() and threads[1].name.startswith("flat-conv")


def test_overlapping_convolutions_put_blas_threads_back():
    """Two convolutions whose BLAS limits overlap (as they would on two user threads; here
    interleaved by hand on one), the first leaving first: BLAS stays at one thread until
    the last leaves, then is back at two, not stuck at the one thread the second found."""
    with threadpool_limits(2, user_api="blas"):
        if parallel.threads() != 2:
            pytest.skip("OpenBLAS here cannot run 2 threads")
        with contextlib.ExitStack() as second_holder:
            with parallel.one_blas_thread():
                second_holder.enter_context(parallel.one_blas_thread())
                assert parallel.threads() == 1
            assert parallel.threads() == 1  # the first has left; the second still runs
        assert parallel.threads() == 2 and parallel._holders == 0


@given(config=conv_configs(transposed=True))
@example(config=explicit((1, 1, 1, 1), 1, 1))  # batch 1, one channel, 1x1 image and kernel
@example(config=explicit((1, 2, 1, 1), 2, 3, padding=1))  # padding crops the output to 1x1
@example(config=explicit((2, 2, 3, 4), 3, 3, stride=(2, 3), padding=1, output_padding=(1, 2)))  # output_padding = stride - 1  # fmt: skip
@example(config=explicit((1, 2, 3, 3), 2, 2, stride=2, dilation=2, output_padding=1))  # output_padding = stride - 1, dilated  # fmt: skip
@example(config=explicit((1, 2, 3, 2), 2, 2, stride=(1, 2), dilation=3, output_padding=2))  # output_padding = dilation - 1 > stride - 1  # fmt: skip
@example(config=explicit((2, 2, 3, 3), 3, 1, stride=3))  # stride > kernel: output gaps only the bias fills  # fmt: skip
@example(config=explicit((1, 2, 2, 3), 2, 2, stride=(3, 4), output_padding=(2, 3), bias=False))  # stride > kernel, output_padding = stride - 1  # fmt: skip
@example(config=explicit((2, 3, 3, 3), 3, 3, stride=2, groups=3))  # groups = channels (depthwise)
@example(config=explicit((1, 2, 2, 3), 4, 2, stride=2, dilation=2, groups=2))  # depthwise, channel multiplier 2  # fmt: skip
def test_conv_transpose2d_configuration_space(config):
    kwargs, shape = config
    for dtype in DTYPES:
        x = randn(shape, dtype, seed=sum(shape))
        check_module("ConvTranspose2d (hypothesis)", snn.ConvTranspose2d(**kwargs),
                     tnn.ConvTranspose2d(**kwargs), x, dtype=dtype,
                     params_sum_outputs=True)  # fmt: skip


@pytest.mark.parametrize("cls", ["Conv2d", "ConvTranspose2d"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_default_init_matches_torch_bound(cls, dtype):
    """torch's kaiming_uniform_(a=√5) → U(±1/√fan_in), fan_in = weight.shape[1]·KH·KW."""
    args = (32, 64, 3)  # fan_in = 16·3·3; 9216 weights and 64 biases: maxima near the bound
    kwargs = dict(groups=2)
    torch.manual_seed(0)
    ours = getattr(snn, cls)(*args, **kwargs, dtype=np.dtype(dtype).type, generator=np.random.default_rng(0))  # fmt: skip
    theirs = getattr(tnn, cls)(*args, **kwargs)
    assert ours.weight.dtype == np.dtype(dtype) and ours.weight.shape == tuple(theirs.weight.shape)
    for name in ("weight", "bias"):
        a, e = getattr(ours, name).data, getattr(theirs, name).detach().numpy()
        # Both draw U(-b, b); the max of ≥ 64 draws is within ~2 % of b, so the two maxima
        # agree to 5 % when the bounds agree (sampling noise, not rounding: hence the rtol).
        assert_close(np.abs(a).max(), np.abs(e).max().astype(a.dtype), component=cls,
                     tensor=f"init bound of {name}", dtype=dtype, rtol=0.05, atol=0)  # fmt: skip
    again = getattr(snn, cls)(*args, **kwargs, generator=np.random.default_rng(0))
    assert np.array_equal(again.weight.data, ours.weight.data.astype(np.float32))


x4 = np.ones((1, 3, 5, 5))
BAD_INPUT = [
    (lambda: snn.Conv2d(2, 4, 3, padding=1)(np.ones((0, 2, 5, 5), np.float32)), ValueError, "must not be empty"),
    (lambda: snn.ConvTranspose2d(2, 4, 3)(np.ones((2, 2, 0, 5), np.float32)), ValueError, "must not be empty"),
    (lambda: snn.Conv2d(4, 6, 3, groups=4), ValueError, "out_channels=6 must be divisible by groups=4"),
    (lambda: snn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels=3 must be divisible by groups=2"),
    (lambda: snn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda: sf.conv2d(np.ones((1, 4, 5, 5)), np.ones((4, 3, 3, 3))), ValueError, "input has 4 channels"),
    (lambda: sf.conv2d(x4, np.ones((4, 3, 3, 3)), np.ones(3)), ValueError, "bias must have shape"),
    (lambda: sf.conv2d(x4, np.ones((3, 3))), ValueError, "weight must be 4-D"),
    (lambda: sf.conv2d(x4, np.ones((4, 3, 3, 3), np.float32)), TypeError, "weight has dtype float32"),
    (lambda: sf.conv2d(x4, np.ones((4, 3, 3, 3)), np.ones(4, np.float32)), TypeError, "bias has dtype float32"),
    (lambda: snn.Conv2d(3, 2, 7, dtype=np.float64)(x4), ValueError, "larger than the padded input"),
    (lambda: snn.Conv2d(3, 2, 3, dilation=3, dtype=np.float64)(x4), ValueError, "larger than the padded input"),
    (lambda: snn.Conv2d(3, 2, 3, stride=0), ValueError, "stride must be"),
    (lambda: snn.Conv2d(3, 2, 3, stride=(1, -1)), ValueError, "stride must be"),
    (lambda: snn.Conv2d(3, 2, 3, dilation=0), ValueError, "dilation must be"),
    (lambda: snn.Conv2d(3, 2, 3, padding=-1), ValueError, "padding must be"),
    (lambda: snn.Conv2d(3, 2, 0), ValueError, "kernel_size must be"),
    (lambda: snn.Conv2d(3, 2, 3, padding="full"), ValueError, "padding must be an int, a pair or one of"),
    (lambda: snn.Conv2d(3, 2, 3, stride=2, padding="same"), ValueError, "padding='same' is not supported for strided"),
    (lambda: sf.conv2d(x4, np.ones((2, 3, 3, 3)), stride=2, padding="same"), ValueError, "padding='same'"),
    (lambda: snn.Conv2d(3, 2, 3, padding_mode="reflect"), ValueError, "padding_mode must be 'zeros'"),
    (lambda: snn.Conv2d(3, 2, 3, dtype=np.float64)(np.ones((5, 5))), ValueError, "must be 3-D \\(C, H, W\\) or 4-D"),
    (lambda: snn.Conv2d(2, 2, 3, dtype=np.float64)(np.ones((3, 5, 5))), ValueError, "must have 2 channels"),
    (lambda: snn.Conv2d(2, 2, 3, dtype=np.float64)(x4), ValueError, "must have 2 channels"),
    (lambda: snn.Conv2d(3, 2, 3)(x4), TypeError, "dtype float64 but Conv2d's parameters are float32"),
    (lambda: snn.Conv2d(3, 2, 3).backward(np.ones((1, 2, 3, 3))), ValueError, "backward\\(\\) called before forward"),
    (lambda: snn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=2), ValueError, "output_padding"),
    (lambda: snn.ConvTranspose2d(3, 2, 3, padding="same"), ValueError, "padding must be an int or a pair"),
    (lambda: snn.ConvTranspose2d(3, 3, 3, groups=2), ValueError, "divisible by groups"),
    (lambda: snn.ConvTranspose2d(2, 2, 3, dtype=np.float64)(x4), ValueError, "must have 2 channels"),
    (lambda: snn.ConvTranspose2d(3, 2, 1, padding=1, dtype=np.float64)(np.ones((1, 3, 1, 1))), ValueError, "empty output"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
