"""The stride-1 fast path of Conv2d: the convolution on the *flattened* padded image.

With stride 1, output pixel (n, i, j) reads input pixel (n, i + a·d, j + b·d) for kernel
offset (a, b). Flatten each padded image (Hp·Wp) and the batch into one axis of length
L = N·Hp·Wp: output position p = n·Hp·Wp + i·Wp + j then reads input position p + s with a
single shift s = a·d·Wp + b·d for every pixel. The flat input is stored position-major
(channels last): ``xp[p, c]``, so the rows that kernel offset (a, b) reads for a run of
output positions are themselves a contiguous run of rows, ``xp[p + s]``.

Three ways to compute a block of positions. The first two are position-major (a tall matrix
times a small one, which OpenBLAS runs about twice as fast as the channel-major
``W (O, K) · cols (K, L)`` when O is 16 or 32: 6.5 against 12 ms for the forward product of
16→16 at 28x28):

- **im2col**: ``cols[p, a, b, c] = xp[p + s(a, b), c]`` is a strided view; copy the
  block's columns and multiply once, ``Z = cols (B, KH·KW·C) · W (KH·KW·C, O)``. It copies
  KH·KW·C numbers per position, and only for the output pixels.
- **shift-sum**: multiply each kernel offset's run of rows, read in place, by its own
  (C, O) matrix, and sum the KH·KW products. It adds KH·KW·O numbers per position.
- **channel-major im2col**, for a single input channel (the first layer of a grayscale
  network): there a row is one number, so position-major columns would be copied in runs
  of KW numbers. Instead each kernel offset's column is one contiguous run of xp, copied
  whole, and ``Zᵀ = W (O, KH·KW) · colsᵀ`` comes out channel-major, as the NCHW output
  wants it (1→16 at 28x28, forward + backward, single-threaded: 8.3 → 6.1 ms).

`sums_pay` picks the shift-sum when O ≤ C, else im2col. The backward: a kernel offset's
weight gradient is its run of rows, transposed, times dZ, read in place with no copy
(`_shifted_rows`); dx is dZ convolved with the flipped kernel (`_gradient_geometry`): the
same forward, on dZ in the flat layout, so it too is a shift-sum when C ≤ O and an im2col
otherwise. Both go in one pass over the blocks.

The work goes in blocks of whole images (or of an image's grid rows), small enough that a
block's columns or products stay in the core's L2 cache (`block_rows`), and each block
writes its output pixels straight into the NCHW output. Keeping all the columns instead
(64 MB for 16→16 at 28x28) made the forward 2.4x slower (14 → 34 ms, single-threaded).
The price of the flat layout: the "wrapped" positions i ≥ OH or j ≥ OW (7% more rows at
28x28, 15% at 14x14) are computed by the shift-sum, the channel-major im2col and dW (as
zeros), and then left out. A batch of one small image is a single block, on one thread.
Used by scratch/nn/conv.py; no torch twin of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from scratch.nn import _parallel as parallel

BLOCK_BYTES = 1024 * 1024  # a block's columns or products: the size of a Zen 4 core's L2


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
    """Whether the wrapped positions cost less than the gather they save: at most 35% extra.

    Measured single-threaded at batch 128, 3x3: with shared padding 28x28 computes 7% extra
    and 14x14 15%, both faster flat. 7x7 computes 31% extra and is still faster flat (24→24
    channels at batch 256, 2 threads, forward + backward: 13.6 → 10.6 ms; eval at batch
    2000: 134 → 35 ms on a loaded machine); the plain strided im2col serves the rest.
    """
    return geom.hs * geom.ws <= 1.35 * geom.oh * geom.ow


def flat_input(x: np.ndarray, geom: FlatGeometry) -> np.ndarray:
    """The input in the flat layout, (base + N·hs·ws + tail, C): zeros wherever no pixel is."""
    xp = np.zeros((geom.base + geom.length + geom.shifts[-1], geom.c), dtype=x.dtype)
    grid = xp[geom.base : geom.base + geom.length].reshape(geom.n, geom.hs, geom.ws, geom.c)
    parallel.copy_images(grid[:, : geom.h, : geom.w], x.transpose(0, 2, 3, 1))
    return xp


def sums_pay(geom: FlatGeometry, out_channels: int) -> bool:
    """Whether the shift-sum is cheaper than im2col: it adds KH·KW·O numbers per position
    where im2col copies KH·KW·C. Measured single-threaded at batch 128, 3x3, forward:
    16→16 at 28x28 10.4 against 12.1 ms by im2col; but 16→32 at 14x14 5.3 against 4.6 ms,
    and 1→16 at 28x28 23 against 3.9 ms. (The dx of 16→32, 32 channels to 16, by the
    shift-sum was as fast as the col2im it replaced on one thread and 8% faster on two.)"""
    return out_channels <= geom.c


def block_rows(geom: FlatGeometry, out_channels: int, itemsize: int) -> int:
    """Rows (flat positions) per block: as many as keep a block's columns (KH·KW·C numbers a
    row) and its product (O), or its KH·KW products (KH·KW·O) and the input rows it reads
    (C), within BLOCK_BYTES.

    Measured single-threaded at batch 128, forward + backward of 16→32 at 14x14, with
    BLOCK_BYTES of 0.5 / 1 / 1.5 / 2 / 3 MiB: 11.6 / 11.4 / 14.0 / 13.9 / 14.2 ms. Smaller
    blocks mean more Python calls; larger ones spill out of a core's 1 MiB L2."""
    kh, kw = geom.kernel
    wide, narrow = (
        (out_channels, geom.c) if sums_pay(geom, out_channels) else (geom.c, out_channels)
    )
    return max(1, BLOCK_BYTES // (itemsize * (kh * kw * wide + narrow)))


def _blocks(geom: FlatGeometry, rows: int) -> list[slice]:
    """Blocks of about `rows` positions: whole images when one fits, else runs of an image's
    grid rows, so that each block is one slab of the NCHW output (`_slab`)."""
    per_image = geom.hs * geom.ws
    if per_image <= rows:
        k = rows // per_image
        return [slice(n * per_image, min(n + k, geom.n) * per_image) for n in range(0, geom.n, k)]
    m = -(-geom.hs // max(1, rows // geom.ws))  # pieces per image, of near-equal grid rows
    cuts = [geom.hs * k // m * geom.ws for k in range(m + 1)]
    return [slice(n * per_image + cuts[k], n * per_image + cuts[k + 1])
            for n in range(geom.n) for k in range(m)]  # fmt: skip


class _Slab(NamedTuple):
    """Where a block of positions lies in the images: whole images, or grid rows of one."""

    images: slice  # n0:n1
    rows: slice  # the grid rows that hold output pixels, i0:min(i1, OH)
    grid_rows: int  # i1 - i0, the block's grid rows per image


def _slab(geom: FlatGeometry, block: slice) -> _Slab:
    """Where `block` lies: it must be whole images or grid rows of one image (`_blocks`)."""
    per_image = geom.hs * geom.ws
    n0, r0 = divmod(block.start, per_image)
    if r0 == 0 and (block.stop - block.start) % per_image == 0:  # whole images
        n1, i0, i1 = block.stop // per_image, 0, geom.hs
    else:  # grid rows i0..i1 of image n0
        n1, i0 = n0 + 1, r0 // geom.ws
        i1 = i0 + (block.stop - block.start) // geom.ws
        assert r0 % geom.ws == 0 and i1 <= geom.hs, "a block of grid rows within one image"
    return _Slab(slice(n0, n1), slice(i0, max(i0, min(i1, geom.oh))), i1 - i0)


def _pixels(rows: np.ndarray, geom: FlatGeometry, slab: _Slab) -> np.ndarray:
    """The (k, r, OW, O) view of a block's output rows (B, O) that holds its output pixels:
    the wrapped positions (grid rows past OH, columns past OW) left out."""
    valid = slab.rows.stop - slab.rows.start
    return rows.reshape(-1, slab.grid_rows, geom.ws, rows.shape[-1])[:, :valid, : geom.ow]


def _cols_view(xp: np.ndarray, geom: FlatGeometry, groups: int) -> np.ndarray:
    """(N, OH, OW, G, KH, KW, C/G) read-only view of the columns of the output positions:
    ``view[n, i, j, g, a, b, c] = xp[p + s(a, b), g·C/G + c]`` with p = n·hs·ws + i·ws + j."""
    (kh, kw), (dh, dw) = geom.kernel, geom.dilation
    s_p, s_c = xp.strides
    cg = geom.c // groups
    shape = (geom.n, geom.oh, geom.ow, groups, kh, kw, cg)
    strides = (geom.hs * geom.ws * s_p, geom.ws * s_p, s_p, cg * s_c, dh * geom.ws * s_p,
               dw * s_p, s_c)  # fmt: skip
    return as_strided(xp[geom.s0 :], shape, strides, writeable=False)


def _shifted_rows(xp: np.ndarray, geom: FlatGeometry, groups: int) -> np.ndarray:
    """(KH, KW, G, C/G, L) read-only view: ``[a, b, g, c, p] = xp[p + s(a, b), g·C/G + c]``.

    A block's (C/G, B) matrix of one kernel offset is the transpose of a run of contiguous
    rows, which BLAS reads in place: the shift-sum multiplies the rows, the weight gradient
    their transpose. (Measured single-threaded, the weight gradient of 16→32 at 14x14,
    batch 128: 2.6 ms against 4.0 ms for copying the columns and multiplying them once.)
    """
    (kh, kw), (dh, dw) = geom.kernel, geom.dilation
    s_p, s_c = xp.strides
    cg = geom.c // groups
    shape = (kh, kw, groups, cg, geom.length)
    strides = (dh * geom.ws * s_p, dw * s_p, cg * s_c, s_c, s_p)
    return as_strided(xp[geom.s0 :], shape, strides, writeable=False)


def _weights(W_g: np.ndarray, geom: FlatGeometry) -> np.ndarray:
    """(G, O/G, C/G·KH·KW) -> contiguous (KH, KW, G, C/G, O/G): one matrix per kernel offset.

    Contiguous, because np.matmul hands BLAS only operands with a unit stride."""
    groups, out_g, _ = W_g.shape
    kh, kw = geom.kernel
    W = W_g.reshape(groups, out_g, geom.c // groups, kh, kw)
    return np.ascontiguousarray(W.transpose(3, 4, 0, 2, 1))


def flat_forward(xp: np.ndarray, geom: FlatGeometry, W_g: np.ndarray,
                 bias: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """The convolution of the flat input xp (+ bias), block by block, by im2col or by the
    shift-sum (`sums_pay`); returns contiguous (N, O, OH, OW)."""
    out, work = _convolution(xp, geom, W_g, bias)
    parallel.map_blocks(work, _blocks(geom, block_rows(geom, out.shape[1], xp.itemsize)))
    return out


def _convolution(xp: np.ndarray, geom: FlatGeometry, W_g: np.ndarray,
                 bias: np.ndarray | None) -> tuple[np.ndarray, Callable[[slice], None]]:  # fmt: skip
    """The (still empty) output, and the work that fills one block of it: each block
    writes its output pixels straight into their slab of the output, bias added on the way."""
    groups, out_g, _ = W_g.shape
    W_k = _weights(W_g, geom)  # (KH, KW, G, C/G, O/G)
    out = np.empty((geom.n, groups * out_g, geom.oh, geom.ow), dtype=xp.dtype)
    if sums_pay(geom, groups * out_g):
        shifted = _shifted_rows(xp, geom, groups).swapaxes(-1, -2)  # (KH, KW, G, L, C/G)
        # The KH·KW products summed by BLAS, as ones · Y: 12 against 19 µs a block of
        # 16→32's dx for Y.sum(axis=(0, 1)); forward + backward of 16→16 at 28x28, 26.8 → 25.1 ms.
        ones = np.ones(W_k.shape[0] * W_k.shape[1], dtype=xp.dtype)

        def pixels(block: slice, slab: _Slab) -> np.ndarray:
            Y = np.matmul(shifted[..., block, :], W_k)  # (KH, KW, G, B, O/G)
            Z = np.matmul(ones, Y.reshape(len(ones), -1)).reshape(Y.shape[2:])  # (G, B, O/G)
            rows = Z.transpose(1, 0, 2).reshape(Z.shape[1], -1)
            return _pixels(rows, geom, slab).transpose(0, 3, 1, 2)

    elif geom.c == 1:  # one input channel: the columns channel-major (see the module's doc)
        runs = _shifted_rows(xp, geom, 1)[:, :, 0, 0]  # (KH, KW, L): contiguous runs
        W_rows = W_k.reshape(-1, out_g).T  # (O, KH·KW)

        def pixels(block: slice, slab: _Slab) -> np.ndarray:
            cols = np.ascontiguousarray(runs[..., block]).reshape(W_rows.shape[1], -1)
            Z = W_rows @ cols  # (O, B), channel-major: Z.T is a (B, O) view of it
            return _pixels(Z.T, geom, slab).transpose(0, 3, 1, 2)

    else:
        view = _cols_view(xp, geom, groups)
        W_cols = W_k.transpose(2, 0, 1, 3, 4).reshape(groups, -1, out_g)  # (G, KH·KW·C/G, O/G)

        def pixels(block: slice, slab: _Slab) -> np.ndarray:  # only the slab's pixels
            cols = np.ascontiguousarray(view[slab.images, slab.rows])  # (k, r, OW, G, KH, KW, C/G)
            Z = np.empty(cols.shape[:4] + (out_g,), dtype=xp.dtype)  # (k, r, OW, G, O/G)
            cols = cols.reshape(-1, groups, W_cols.shape[1]).transpose(1, 0, 2)
            np.matmul(cols, W_cols, out=Z.reshape(-1, groups, out_g).transpose(1, 0, 2))
            return Z.reshape(Z.shape[:3] + (-1,)).transpose(0, 3, 1, 2)

    def work(block: slice) -> None:
        slab = _slab(geom, block)
        if slab.rows.start == slab.rows.stop:
            return  # only wrapped positions: grid rows past OH
        src = pixels(block, slab)  # (k, O, r, OW)
        dst = out[slab.images, :, slab.rows]
        if bias is None:
            dst[...] = src
        else:
            np.add(src, bias.reshape(-1, 1, 1), out=dst)

    return out, work


def _gradient_geometry(geom: FlatGeometry, out_channels: int) -> FlatGeometry:
    """The flat layout of dZ, read as the input of the convolution that gives dx.

    The forward's position p reads xp at p + s for each shift s, so xp's position r gets
    dZ at r - s: shifts backwards. With the kernel flipped (offset (a, b) becomes
    (KH-1-a, KW-1-b)) they run forwards again, from s0' = lead + base - max(s); `lead`
    leading zeros in front of dZ make s0' ≥ 0. Same grid (hs, ws); dZ's pixels are the
    "input" (OH x OW) and the output pixels are the H x W of dx.
    """
    s_max = geom.shifts[-1]
    lead = max(0, s_max - geom.base)
    return geom._replace(c=out_channels, h=geom.oh, w=geom.ow, oh=geom.h, ow=geom.w,
                         base=lead, s0=lead + geom.base - s_max)  # fmt: skip


def flat_backward(xp: np.ndarray, geom: FlatGeometry, W_g: np.ndarray,
                  dZ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(dW_g, dx): dW = Σ_blocks colsᵀ dZ, one kernel offset at a time, from the rows read
    in place (`_shifted_rows`); dx = dZ convolved with the flipped kernel (`_convolution`),
    in the same pass over the blocks."""
    groups, out_g, c_g = W_g.shape[0], W_g.shape[1], geom.c // W_g.shape[0]
    kh, kw = geom.kernel
    back = _gradient_geometry(geom, groups * out_g)
    dZp = flat_input(dZ, back)  # zero at the wrapped positions: the adjoint of leaving them out
    dZ_g = dZp[back.base : back.base + geom.length].reshape(geom.length, groups, out_g)
    shifted = _shifted_rows(xp, geom, groups)  # (KH, KW, G, C/G, L)
    # W_back[g, c, o, a, b] = W[g, o, c, KH-1-a, KW-1-b]: from O/G channels to C/G
    W_back = W_g.reshape(groups, out_g, c_g, kh, kw)[..., ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    dx, dx_work = _convolution(dZp, back, W_back.reshape(groups, c_g, -1), None)

    def work(block: slice) -> np.ndarray:  # both products of a block, while its dZ is in cache
        dx_work(block)
        return np.matmul(shifted[..., block], dZ_g[block].transpose(1, 0, 2))

    dW_k = parallel.sum_blocks(work, _blocks(back, block_rows(back, geom.c, xp.itemsize)))
    dW_g = dW_k.transpose(2, 4, 3, 0, 1)  # (KH, KW, G, C/G, O/G) -> (G, O/G, C/G, KH, KW)
    return dW_g.reshape(W_g.shape), dx
