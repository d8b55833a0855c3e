"""The stride-1 fast path of Conv2d: im2col on the *flattened* padded image, in cache blocks.

With stride 1, output pixel (n, i, j) reads input pixel (n, i + a·d, j + b·d) for kernel
offset (a, b). Flatten each padded image (Hp·Wp) and the batch into one axis of length
L = N·Hp·Wp: output position p = n·Hp·Wp + i·Wp + j then reads input position p + s with a
single shift s = a·d·Wp + b·d for every pixel. So ``cols[c, a, b, p] = xp[c, p + s(a, b)]``
is a plain strided *view* of the flat input, and col2im is KH·KW contiguous adds.

The view is never copied whole (that copy is KH·KW times the input, and on a 2-core machine
its memory traffic cost more than the products). Instead the columns are taken ``BLOCK`` at
a time: a block of ``cols`` fits in cache, is multiplied at once, and is rebuilt in the
backward from the saved padded input instead of being stored. The price: the products also
compute the "wrapped" positions i ≥ OH or j ≥ OW (≈15% more columns at 28x28), which are
cropped away in the forward and given a zero gradient in the backward.
Used by scratch/nn/conv.py; no torch twin of its own.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

BLOCK = 4096  # columns per block: 144 rows × 4096 × 4 bytes ≈ 2.4 MB of float32 cols


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
    """The input in the flat layout, (C, base + N·hs·ws + tail): zeros wherever no pixel is."""
    xp = np.zeros((geom.c, geom.base + geom.length + geom.shifts[-1]), dtype=x.dtype)
    grid = xp[:, geom.base : geom.base + geom.length].reshape(geom.c, geom.n, geom.hs, geom.ws)
    grid[:, :, : geom.h, : geom.w] = x.transpose(1, 0, 2, 3)
    return xp


def _cols_view(xp: np.ndarray, geom: FlatGeometry) -> np.ndarray:
    """(C, KH, KW, L) read-only view: ``view[c, a, b, p] = xp[c, p + s0 + a·dh·ws + b·dw]``."""
    (kh, kw), (dh, dw) = geom.kernel, geom.dilation
    s_c, s_p = xp.strides
    shape = (geom.c, kh, kw, geom.length)
    strides = (s_c, dh * geom.ws * s_p, dw * s_p, s_p)
    return as_strided(xp[:, geom.s0 :], shape, strides, writeable=False)


def _blocks(length: int):
    for start in range(0, length, BLOCK):
        yield slice(start, min(start + BLOCK, length))


def flat_forward(xp: np.ndarray, geom: FlatGeometry, W_g: np.ndarray) -> np.ndarray:
    """Z = W cols, block by block; returns contiguous (N, O, OH, OW)."""
    groups = W_g.shape[0]
    view = _cols_view(xp, geom)
    Z_g = np.empty((groups, W_g.shape[1], geom.length), dtype=xp.dtype)
    for cols in _blocks(geom.length):
        block = np.ascontiguousarray(view[..., cols]).reshape(groups, -1, cols.stop - cols.start)
        Z_g[:, :, cols] = np.matmul(W_g, block)
    Z = Z_g.reshape(-1, geom.n, geom.hs, geom.ws)[:, :, : geom.oh, : geom.ow]
    return np.ascontiguousarray(Z.transpose(1, 0, 2, 3))


def flat_backward(xp: np.ndarray, geom: FlatGeometry, W_g: np.ndarray,
                  dZ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(dW_g, dx): dW = Σ_blocks dZ colsᵀ, dcols = Wᵀ dZ added back slice by slice (col2im)."""
    groups, out_g, _ = W_g.shape
    # dZ in the flat layout, zero at the wrapped positions (the adjoint of the crop)
    dZ_flat = np.zeros((groups * out_g, geom.n, geom.hs, geom.ws), dtype=dZ.dtype)
    dZ_flat[:, :, : geom.oh, : geom.ow] = dZ.transpose(1, 0, 2, 3)
    dZ_g = dZ_flat.reshape(groups, out_g, geom.length)
    view = _cols_view(xp, geom)
    dW_g = np.zeros_like(W_g)
    dxp = np.zeros_like(xp)
    W_t = W_g.transpose(0, 2, 1)
    shifts = geom.shifts
    for cols in _blocks(geom.length):
        width = cols.stop - cols.start
        block = np.ascontiguousarray(view[..., cols]).reshape(groups, -1, width)
        dZ_block = dZ_g[:, :, cols]
        dW_g += np.matmul(dZ_block, block.transpose(0, 2, 1))
        dcols = np.matmul(W_t, dZ_block).reshape(geom.c, len(shifts), width)
        for k, s in enumerate(shifts):
            dxp[:, cols.start + s : cols.stop + s] += dcols[:, k]  # shifts include s0
    dx = dxp[:, geom.base : geom.base + geom.length].reshape(geom.c, geom.n, geom.hs, geom.ws)
    return dW_g, np.ascontiguousarray(dx[:, :, : geom.h, : geom.w].transpose(1, 0, 2, 3))
