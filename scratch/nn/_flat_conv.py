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
    hp: int  # padded height and width
    wp: int
    oh: int  # output height and width
    ow: int
    kernel: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[int, int, int, int]  # top, bottom, left, right

    @property
    def length(self) -> int:
        return self.n * self.hp * self.wp

    @property
    def shifts(self) -> list[int]:
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        return [a * dh * self.wp + b * dw for a in range(kh) for b in range(kw)]


def flat_pays(x_shape: tuple[int, ...], kernel: tuple[int, int],
              padding: tuple[int, int, int, int], dilation: tuple[int, int]) -> bool:  # fmt: skip
    """Whether the wrapped positions cost less than the gather they save: at most 20% extra.

    Measured single-threaded at batch 128, 3x3: 28x28 (15% extra) runs faster flat, 14x14
    (31% extra) runs faster through the plain strided im2col.
    """
    *_, h, w = x_shape
    hp, wp = h + padding[0] + padding[1], w + padding[2] + padding[3]
    oh, ow = hp - dilation[0] * (kernel[0] - 1), wp - dilation[1] * (kernel[1] - 1)
    return oh > 0 and ow > 0 and hp * wp <= 1.2 * oh * ow


def flat_input(x: np.ndarray, kernel: tuple[int, int], padding: tuple[int, int, int, int],
               dilation: tuple[int, int]) -> tuple[np.ndarray, FlatGeometry]:  # fmt: skip
    """The padded input as (C, N·Hp·Wp + tail) — the tail keeps every shifted slice in bounds."""
    n, c, h, w = x.shape
    top, bottom, left, right = padding
    hp, wp = h + top + bottom, w + left + right
    (kh, kw), (dh, dw) = kernel, dilation
    if dh * (kh - 1) + 1 > hp or dw * (kw - 1) + 1 > wp:
        raise ValueError(
            f"kernel size {kernel} (dilated to {(dh * (kh - 1) + 1, dw * (kw - 1) + 1)}) is "
            f"larger than the padded input {(hp, wp)}"
        )
    geom = FlatGeometry(n, c, hp, wp, hp - dh * (kh - 1), wp - dw * (kw - 1), kernel,
                        dilation, padding)  # fmt: skip
    L = geom.length
    xp = np.zeros((c, L + geom.shifts[-1]), dtype=x.dtype)
    xp[:, :L].reshape(c, n, hp, wp)[:, :, top : top + h, left : left + w] = x.transpose(1, 0, 2, 3)
    return xp, geom


def _cols_view(xp: np.ndarray, geom: FlatGeometry) -> np.ndarray:
    """(C, KH, KW, L) read-only view: ``view[c, a, b, p] = xp[c, p + a·dh·Wp + b·dw]``."""
    (kh, kw), (dh, dw) = geom.kernel, geom.dilation
    s_c, s_p = xp.strides
    shape = (geom.c, kh, kw, geom.length)
    return as_strided(xp, shape, (s_c, dh * geom.wp * s_p, dw * s_p, s_p), writeable=False)


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
    Z = Z_g.reshape(-1, geom.n, geom.hp, geom.wp)[:, :, : geom.oh, : geom.ow]
    return np.ascontiguousarray(Z.transpose(1, 0, 2, 3))


def flat_backward(xp: np.ndarray, geom: FlatGeometry, W_g: np.ndarray,
                  dZ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(dW_g, dx): dW = Σ_blocks dZ colsᵀ, dcols = Wᵀ dZ added back slice by slice (col2im)."""
    groups, out_g, _ = W_g.shape
    # dZ in the flat layout, zero at the wrapped positions (the adjoint of the crop)
    dZ_flat = np.zeros((groups * out_g, geom.n, geom.hp, geom.wp), dtype=dZ.dtype)
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
            dxp[:, cols.start + s : cols.stop + s] += dcols[:, k]
    top, bottom, left, right = geom.padding
    dx = dxp[:, : geom.length].reshape(geom.c, geom.n, geom.hp, geom.wp)
    dx = dx[:, :, top : geom.hp - bottom, left : geom.wp - right]
    return dW_g, np.ascontiguousarray(dx.transpose(1, 0, 2, 3))
