"""Helpers of the "Deep Learning from Scratch" style, shared by the book_* files (as the book's
``common/util.py``): im2col/col2im with the rows (N, out_h, out_w) and columns (C, kh, kw),
and a row-wise softmax. Written for the corpus; right.
"""

import numpy as np


def im2col(x, kh, kw, stride=1, pad=0, fill=0.0):
    N, C, H, W = x.shape
    out_h = (H + 2 * pad - kh) // stride + 1
    out_w = (W + 2 * pad - kw) // stride + 1
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=fill)
    col = np.empty((N, C, kh, kw, out_h, out_w), dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            col[:, :, a, b] = xp[:, :, a : a + stride * out_h : stride, b : b + stride * out_w : stride]  # fmt: skip
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, shape, kh, kw, stride=1, pad=0):
    N, C, H, W = shape
    out_h = (H + 2 * pad - kh) // stride + 1
    out_w = (W + 2 * pad - kw) // stride + 1
    col = col.reshape(N, out_h, out_w, C, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for a in range(kh):
        for b in range(kw):
            img[:, :, a : a + stride * out_h : stride, b : b + stride * out_w : stride] += col[:, :, a, b]  # fmt: skip
    return img[:, :, pad : pad + H, pad : pad + W]


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
