"""The stride-1 fast path of Conv2d: im2col on the *flattened* padded image, in cache blocks.

With stride 1, output pixel (n, i, j) reads input pixel (n, i + a·d, j + b·d) for kernel
offset (a, b). Flatten each padded image (Hp·Wp) and the batch into one axis of length
L = N·Hp·Wp: output position p = n·Hp·Wp + i·Wp + j then reads input position p + s with a
single shift s = a·d·Wp + b·d for every pixel. The flat input is stored position-major
(channels last): ``xp[p, c]``. So ``cols[p, a, b, c] = xp[p + s(a, b), c]`` is a plain
strided *view* of it, each kernel offset's slice a contiguous run of rows, and col2im is
KH·KW contiguous adds.

Position-major, the products are ``Z (L, O) = cols (L, K) · W (K, O)``: a tall matrix times
a small one, which OpenBLAS runs about twice as fast as the channel-major
``W (O, K) · cols (K, L)`` when O is only 16 or 32 (measured single-threaded on an AVX-512
EPYC: 6.5 against 12 ms for the forward product of 16→16 at 28x28).

The view is copied ``BLOCK`` rows at a time, so that the block being built and multiplied
stays in cache, and the backward copies each block again from the saved flat input rather
than keeping them all: keeping the 64 MB of 16→16 at 28x28 made the forward 2.4x slower
(14 → 34 ms, single-threaded) and the backward slower too. The price of the flat layout: the products also compute the "wrapped" positions i ≥ OH or j ≥ OW (7% more
rows at 28x28, 15% at 14x14), which are cropped away in the forward and given a zero
gradient in the backward. Used by scratch/nn/conv.py; no torch twin of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

import numpy as np
from numpy.lib.stride_tricks import as_strided
from threadpoolctl import ThreadpoolController

BLOCK = 4096  # rows per block: 4096 × 144 columns × 4 bytes ≈ 2.4 MB of float32 cols


class FlatGeometry(NamedTuple):
    n: int
    c: int
    h: int  # input height and width
    w: int
    hs: int  # rows per image in the flat layout: H + the shared zero rows
    ws: int  # row stride: W + the shared zero columns
    oh: int  # output height and width
    ow: int
    kernel: tuple[int, int]
    dilation: tuple[int, int]
    base: int  # where image 0's pixel (0, 0) sits in the buffer
    s0: int  # the shift of kernel offset (0, 0)

    @property
    def length(self) -> int:
        return self.n * self.hs * self.ws

    @property
    def shifts(self) -> list[int]:
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        return [self.s0 + a * dh * self.ws + b * dw for a in range(kh) for b in range(kw)]


def flat_geometry(x_shape: tuple[int, ...], kernel: tuple[int, int],
                  padding: tuple[int, int, int, int],
                  dilation: tuple[int, int]) -> FlatGeometry | None:  # fmt: skip
    """The flat layout of a stride-1 convolution, or None when it cannot hold the output.

    Neighbouring rows (and images) *share* their zero padding: max(left, right) zero
    columns between rows serve as the right padding of one row and the left padding of the
    next, and likewise max(top, bottom) zero rows between images.
    """
    n, c, h, w = x_shape
    top, bottom, left, right = padding
    (kh, kw), (dh, dw) = kernel, dilation
    oh, ow = h + top + bottom - dh * (kh - 1), w + left + right - dw * (kw - 1)
    hs, ws = h + max(top, bottom), w + max(left, right)
    if oh < 1 or ow < 1 or oh > hs or ow > ws:
        return None
    base = max(top, bottom) * ws + max(left, right)  # leading zeros for image 0's halo
    return FlatGeometry(n, c, h, w, hs, ws, oh, ow, kernel, dilation, base,
                        base - top * ws - left)  # fmt: skip


def flat_pays(geom: FlatGeometry) -> bool:
    """Whether the wrapped positions cost less than the gather they save: at most 20% extra.

    Measured single-threaded at batch 128, 3x3: with shared padding 28x28 computes 7% extra
    and 14x14 15%, both faster flat; the plain strided im2col serves the rest.
    """
    return geom.hs * geom.ws <= 1.2 * geom.oh * geom.ow


def flat_input(x: np.ndarray, geom: FlatGeometry) -> np.ndarray:
    """The input in the flat layout, (base + N·hs·ws + tail, C): zeros wherever no pixel is."""
    xp = np.zeros((geom.base + geom.length + geom.shifts[-1], geom.c), dtype=x.dtype)
    grid = xp[geom.base : geom.base + geom.length].reshape(geom.n, geom.hs, geom.ws, geom.c)
    _copy_images(grid[:, : geom.h, : geom.w], x.transpose(0, 2, 3, 1))
    return xp


def _cols_view(xp: np.ndarray, geom: FlatGeometry, groups: int) -> np.ndarray:
    """(L, G, KH, KW, C/G) read-only view: ``view[p, g, a, b, c] = xp[p + s(a, b), g·C/G + c]``."""
    (kh, kw), (dh, dw) = geom.kernel, geom.dilation
    s_p, s_c = xp.strides
    cg = geom.c // groups
    shape = (geom.length, groups, kh, kw, cg)
    strides = (s_p, cg * s_c, dh * geom.ws * s_p, dw * s_p, s_c)
    return as_strided(xp[geom.s0 :], shape, strides, writeable=False)


def _blocks(length: int) -> Iterator[slice]:
    for start in range(0, length, BLOCK):
        yield slice(start, min(start + BLOCK, length))


# Blocks in parallel. Left to itself, OpenBLAS splits each block's small product over its
# threads, and everything else (the copies that build the blocks, col2im, the layout
# changes) runs on one core: with 2 threads the convolution ran no faster than with 1. So
# while a convolution runs, BLAS is held to one thread and the *blocks* (and the images of
# each layout change) are shared out to as many Python threads as BLAS had; NumPy's copies
# and products release the GIL. Measured forward+backward at batch 128 on 2 cores: 16→16 at
# 28x28 37 → 23 ms, 16→32 at 14x14 16 → 11 ms (benchmarks/bench_conv.py --threads 0).
# OPENBLAS_NUM_THREADS=1 keeps everything on the calling thread.
_BLAS = ThreadpoolController().select(user_api="blas")
_POOLS: dict[int, ThreadPoolExecutor] = {}
T = TypeVar("T")
U = TypeVar("U")


def threads() -> int:
    """How many threads NumPy's BLAS is set to use now (1 inside another convolution)."""
    return max([1] + [lib["num_threads"] for lib in _BLAS.info()])


def _run(work: Callable[[T], U], items: Sequence[T], n: int) -> list[U]:
    """[work(item) for item in items], on n pooled threads when n > 1 (errors re-raised)."""
    if n == 1:
        return [work(item) for item in items]
    pool = _POOLS.get(n) or _POOLS.setdefault(n, ThreadPoolExecutor(n, "flat-conv"))
    return list(pool.map(work, items))  # in order; every item is done when this returns


def _copy_images(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """dst[...] = src with the images (axis 0) split over threads() threads; returns dst."""
    n = max(1, min(threads(), len(dst)))
    bounds = [len(dst) * i // n for i in range(n + 1)]

    def work(i: int) -> None:
        dst[bounds[i] : bounds[i + 1]] = src[bounds[i] : bounds[i + 1]]

    _run(work, range(n), n)
    return dst


def _map_blocks(work: Callable[[slice], T], length: int, spread: int = 0) -> list[T]:
    """[work(block) for every block of rows], shared out to threads() threads.

    ``spread`` > 0: each block also *writes* rows up to `spread` past where it reads
    (col2im), so neighbours must not run at once: even blocks first, then odd ones, which is
    safe while spread ≤ BLOCK; wider spreads run one block at a time.
    """
    n = threads()
    blocks = list(_blocks(length))
    if n == 1 or len(blocks) == 1 or spread > BLOCK:
        return _run(work, blocks, 1)
    with _BLAS.limit(limits=1):
        if not spread:
            return _run(work, blocks, n)
        results: list = [None] * len(blocks)
        results[0::2] = _run(work, blocks[0::2], n)  # every even block done before odd ones
        results[1::2] = _run(work, blocks[1::2], n)
        return results


def _weight_columns(W_g: np.ndarray, geom: FlatGeometry) -> np.ndarray:
    """(G, O/G, C/G·KH·KW) -> (G, KH·KW·C/G, O/G): the weight in the columns' order."""
    groups, out_g, _ = W_g.shape
    kh, kw = geom.kernel
    W = W_g.reshape(groups, out_g, geom.c // groups, kh, kw).transpose(0, 3, 4, 2, 1)
    return np.ascontiguousarray(W).reshape(groups, -1, out_g)


def _block_cols(view: np.ndarray, cols: slice) -> np.ndarray:
    """One block of columns as (G, B, KH·KW·C/G) (a copy; a view of it for G = 1)."""
    block = np.ascontiguousarray(view[cols])
    return block.reshape(block.shape[0], block.shape[1], -1).transpose(1, 0, 2)


def flat_forward(xp: np.ndarray, geom: FlatGeometry, W_g: np.ndarray) -> np.ndarray:
    """Z = cols W, block by block; returns contiguous (N, O, OH, OW)."""
    groups, out_g, _ = W_g.shape
    view = _cols_view(xp, geom, groups)
    W_cols = _weight_columns(W_g, geom)
    Z = np.empty((geom.length, groups, out_g), dtype=xp.dtype)

    def work(cols: slice) -> None:
        Z[cols] = np.matmul(_block_cols(view, cols), W_cols).transpose(1, 0, 2)

    _map_blocks(work, geom.length)
    Z = Z.reshape(geom.n, geom.hs, geom.ws, -1)[:, : geom.oh, : geom.ow]
    return _copy_images(
        np.empty((geom.n, Z.shape[-1], geom.oh, geom.ow), Z.dtype), Z.transpose(0, 3, 1, 2)
    )


def _gradient_geometry(geom: FlatGeometry, out_channels: int) -> FlatGeometry:
    """The flat layout of dZ, read as the input of the convolution that gives dx.

    The forward's position p reads xp at p + s for each shift s, so xp's position r gets
    dZ at r - s: shifts backwards. With the kernel flipped (offset (a, b) becomes
    (KH-1-a, KW-1-b)) they run forwards again, from s0' = lead + base - max(s); `lead`
    leading zeros in front of dZ make s0' ≥ 0. Same grid (hs, ws); dZ's pixels are the
    "input" (OH x OW) and the crop keeps the H x W positions of dx.
    """
    s_max = geom.shifts[-1]
    lead = max(0, s_max - geom.base)
    return geom._replace(c=out_channels, h=geom.oh, w=geom.ow, oh=geom.h, ow=geom.w,
                         base=lead, s0=lead + geom.base - s_max)  # fmt: skip


def flip_pays(geom: FlatGeometry, out_channels: int) -> bool:
    """Whether dx is cheaper as a convolution of dZ with the flipped kernel than as col2im.

    The flipped convolution copies KH·KW·O numbers per position, col2im adds KH·KW·C;
    measured single-threaded at batch 128, 3x3: 16→16 at 28x28 26 against 32 ms for the
    backward, 16→32 at 14x14 a tie (12 ms), 1→16 at 28x28 5.8 against 3.4 ms.
    """
    return out_channels < 2 * geom.c


def flat_backward(xp: np.ndarray, geom: FlatGeometry, W_g: np.ndarray,
                  dZ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(dW_g, dx): dW = Σ_blocks colsᵀ dZ; dx = dZ convolved with the flipped kernel, or
    dcols = dZ Wᵀ added back slice by slice (col2im) when that is cheaper (`flip_pays`)."""
    groups, out_g, c_g = W_g.shape[0], W_g.shape[1], geom.c // W_g.shape[0]
    kh, kw = geom.kernel
    back = _gradient_geometry(geom, groups * out_g)
    dZp = flat_input(dZ, back)  # zero at the wrapped positions: the adjoint of the crop
    dZ_g = dZp[back.base : back.base + geom.length].reshape(geom.length, groups, out_g)
    view = _cols_view(xp, geom, groups)
    W_cols = _weight_columns(W_g, geom)
    dW_cols = np.zeros_like(W_cols)
    flip = flip_pays(geom, groups * out_g)
    dxp = None if flip else np.zeros_like(xp)

    def work(cols: slice) -> np.ndarray:
        dZ_block = dZ_g[cols].transpose(1, 0, 2)  # (G, B, O/G)
        if not flip:
            _col2im_block(dxp, cols, geom, np.matmul(dZ_block, W_cols.transpose(0, 2, 1)))
        return np.matmul(_block_cols(view, cols).transpose(0, 2, 1), dZ_block)

    for dW_block in _map_blocks(work, geom.length, spread=0 if flip else geom.shifts[-1] - geom.s0):
        dW_cols += dW_block
    dW_g = dW_cols.reshape(groups, kh, kw, c_g, out_g).transpose(0, 4, 3, 1, 2)
    if flip:
        # W_back[g, c, o, a, b] = W[g, o, c, KH-1-a, KW-1-b]: from O/G channels to C/G
        W_back = W_g.reshape(groups, out_g, c_g, kh, kw)[..., ::-1, ::-1].transpose(0, 2, 1, 3, 4)
        dx = flat_forward(dZp, back, W_back.reshape(groups, c_g, -1))
    else:
        dx = dxp[geom.base : geom.base + geom.length].reshape(geom.n, geom.hs, geom.ws, geom.c)
        dx = _copy_images(
            np.empty((geom.n, geom.c, geom.h, geom.w), dx.dtype),
            dx[:, : geom.h, : geom.w].transpose(0, 3, 1, 2),
        )
    return dW_g.reshape(W_g.shape), dx


def _col2im_block(dxp: np.ndarray, cols: slice, geom: FlatGeometry, dcols: np.ndarray) -> None:
    """Add one block's column gradients (G, B, KH·KW·C/G) back to the positions they read."""
    groups, width = dcols.shape[:2]
    shifts = geom.shifts
    dcols = dcols.reshape(groups, width, len(shifts), -1).transpose(1, 2, 0, 3)
    for k, s in enumerate(shifts):  # a contiguous run of rows per kernel offset
        dxp[cols.start + s : cols.stop + s] += dcols[:, k].reshape(width, geom.c)
