"""Course style (arrays ``W``/``b`` with ``dW``/``db``), right within its scope: a convolution
that says it does not do padding.

``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0)`` raises
NotImplementedError when built with any padding; it has no dilation, groups or bias
argument. With stride and no padding it is torch's Conv2d.
"""

import numpy as np


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class Conv2d:
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        if padding != 0:
            raise NotImplementedError("padding is not implemented yet")
        kh, kw = _pair(kernel_size)
        self.stride = _pair(stride)
        self.W = np.random.randn(out_channels, in_channels, kh, kw) * 0.1
        self.b = np.zeros(out_channels)

    def _windows(self, shape):
        (sh, sw), (kh, kw) = self.stride, self.W.shape[2:]
        out_h, out_w = (shape[2] - kh) // sh + 1, (shape[3] - kw) // sw + 1
        for i in range(out_h):
            for j in range(out_w):
                yield i, j, (slice(None), slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))  # fmt: skip

    def forward(self, x):
        self.x = x
        (sh, sw), (kh, kw) = self.stride, self.W.shape[2:]
        out_h, out_w = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
        out = np.empty((x.shape[0], self.W.shape[0], out_h, out_w), dtype=x.dtype)
        for i, j, win in self._windows(x.shape):
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", x[win], self.W) + self.b
        return out

    def backward(self, dout):
        dx, self.dW = np.zeros_like(self.x), np.zeros_like(self.W)
        for i, j, win in self._windows(self.x.shape):
            self.dW += np.einsum("nf,nchw->fchw", dout[:, :, i, j], self.x[win])
            dx[win] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], self.W)
        self.db = dout.sum(axis=(0, 2, 3))
        return dx
