"""Classic mistakes in convolution and pooling backward passes, and in the average's divisor.

The three input-gradient mistakes of Conv2d keep scratch's weight and bias gradients and
recompute dx by the general path (``_im2col.conv_grad_input``) with one thing wrong: scratch
sends stride-1 convolutions through ``_flat_conv`` instead, so patching the general path
alone would leave most cases correct.
"""

from __future__ import annotations

import functools
from unittest import mock

import numpy as np

import scratch.functional as sf
import scratch.nn as snn
from parity_check.mistakes.base import Mistake
from parity_check.mistakes.inject import patched
from scratch.nn import _im2col, pooling

# the helpers as scratch defines them: the variants call these while the module's are swapped
_col2im, _avg_divisor = _im2col.col2im, pooling._avg_divisor


def patched_function(fn, path: str, replacement):
    """``fn`` (same signature) run with the dotted ``path`` replaced by ``replacement``."""

    @functools.wraps(fn)
    def variant(*args, **kwargs):
        with mock.patch(path, replacement):
            return fn(*args, **kwargs)

    return variant


# -- Conv2d: the input gradient ------------------------------------------------------------------
class _Conv2dWrongInputGrad(snn.Conv2d):
    """scratch's Conv2d whose backward returns ``wrong_input_grad`` (weights' gradients kept)."""

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        super().backward(grad_output)  # dW and db as scratch computes them
        x_shape = self.saved()[0]
        dZ = np.asarray(grad_output, dtype=self.weight.dtype)
        return self.wrong_input_grad(dZ, x_shape)

    def wrong_input_grad(self, dZ: np.ndarray, x_shape: tuple) -> np.ndarray:
        raise NotImplementedError


def _col2im_with(**fixed):
    """``col2im`` with ``stride`` or ``dilation`` forced to (1, 1): the window offsets of
    a loop that writes ``dx[i + a]`` instead of ``dx[i·S + a·D]``."""

    def col2im(dwin, padded_shape, stride, dilation, padding):
        args = {"stride": stride, "dilation": dilation, **fixed}
        return _col2im(dwin, padded_shape, args["stride"], args["dilation"], padding)

    return col2im


def _input_grad_variant(name: str, *, flip: bool = False, **col2im_fixed) -> type:
    def wrong_input_grad(self, dZ, x_shape):
        W = self.weight.data[..., ::-1, ::-1] if flip else self.weight.data
        with mock.patch("scratch.nn._im2col.col2im", _col2im_with(**col2im_fixed)):
            return _im2col.conv_grad_input(dZ, W, x_shape, self.stride, self._pad4,
                                           self.dilation, self.groups)  # fmt: skip

    return type(name, (_Conv2dWrongInputGrad,), {"wrong_input_grad": wrong_input_grad, "__qualname__": name})  # fmt: skip


class Conv2dBackwardStrideIgnored(_input_grad_variant("_StrideIgnoredDx", stride=(1, 1))):
    """The naive loop's backward with the stride left out of both gradients: output pixel
    (i, j) sends its gradient to x[i + a·D, j + b·D] and reads its weight gradient from there
    too, dW[f] += x_pad[:, i + a·D, j + b·D]·dout[i, j], where the forward read i·S + a·D."""

    def forward(self, x):
        self._x = np.asarray(x)
        return super().forward(x)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        dx = super().backward(grad_output)
        top, bottom, left, right = self._pad4
        xp = np.pad(self._x, ((0, 0), (0, 0), (top, bottom), (left, right)))
        dZ = np.asarray(grad_output, dtype=self.weight.dtype)
        (N, F, Ho, Wo), (kh, kw), (dh, dw) = dZ.shape, self.kernel_size, self.dilation
        span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
        win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(2, 3))
        win = win[:, :, :Ho, :Wo, ::dh, ::dw]  # windows at (i, j), not (i·S, j·S)
        g, C = self.groups, xp.shape[1]
        dW = np.einsum("ngfij,ngcijab->gfcab", dZ.reshape(N, g, F // g, Ho, Wo),
                       win.reshape(N, g, C // g, Ho, Wo, kh, kw))  # fmt: skip
        self.weight.grad = dW.reshape(self.weight.data.shape).astype(self.weight.dtype)
        return dx


# -- MaxPool2d: the gradient of the max -------------------------------------------------------------
class MaxPoolGradToEveryElement(snn.MaxPool2d):
    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        _, padded_shape, pad4, kernel, stride, dilation, _ = self.saved()
        n, c, oh, ow = grad_output.shape
        dwin = np.broadcast_to(grad_output[:, :, None, None], (n, c, *kernel, oh, ow))
        return _col2im(dwin, padded_shape, stride, dilation, pad4)  # not only the argmax


# -- AvgPool2d: the divisor -----------------------------------------------------------------------
def _divisor_kernel_area(size, kernel, stride, padding, out, count_include_pad):
    return np.full(out, kernel)  # every window "has" kernel elements, padding or overhang


def _divisor_valid_count(size, kernel, stride, padding, out, count_include_pad):
    return _avg_divisor(size, kernel, stride, padding, out, False)  # flag ignored


def _avg_variants(divisor, name: str) -> dict:
    path = "scratch.nn.pooling._avg_divisor"
    return {"AvgPool2d": patched(snn.AvgPool2d, name, **{path: divisor}),
            "avg_pool2d": patched_function(sf.avg_pool2d, path, divisor)}  # fmt: skip


MISTAKES = [
    Mistake("conv-grad-kernel-not-flipped", ("Conv2d",), "Convolutions",
            "your input gradient matches correlating grad_output with the kernel as it is: "
            "dx is grad_output fully convolved with the kernel rotated 180° (each weight "
            "W[a, b] sends grad_output[i, j] back to x[i·S + a·D, j·S + b·D])",
            _input_grad_variant("Conv2dKernelNotFlipped", flip=True)),
    Mistake("conv-grad-stride-ignored", ("Conv2d",), "Convolutions",
            "your input gradient matches ignoring the stride: output pixel (i, j) read x at "
            "(i·S + a·D, j·S + b·D), so its gradient goes back there, not to (i + a·D, j + b·D)",
            _input_grad_variant("Conv2dGradStrideIgnored", stride=(1, 1))),
    Mistake("conv-backward-stride-ignored", ("Conv2d",), "Convolutions",
            "your input and weight gradients both match ignoring the stride (a loop over the "
            "output that uses x[i + a, j + b] in backward where the forward read "
            "x[i·S + a, j·S + b]): output pixel (i, j) came from window (i·S, j·S), so its "
            "gradient goes back there and dW reads that window",
            Conv2dBackwardStrideIgnored),
    Mistake("conv-grad-dilation-ignored", ("Conv2d",), "Convolutions",
            "your input gradient matches ignoring the dilation: kernel tap (a, b) read x at "
            "(i·S + a·D, j·S + b·D), so its gradient goes back there, not to (i·S + a, j·S + b)",
            _input_grad_variant("Conv2dGradDilationIgnored", dilation=(1, 1))),
    Mistake("maxpool-grad-to-every-element", ("MaxPool2d",), "Convolutions",
            "your input gradient matches sending each window's gradient to every element of "
            "the window: only the max (the argmax) gets it, the other elements get 0",
            MaxPoolGradToEveryElement),
    Mistake("avgpool-divisor-kernel-area", ("AvgPool2d", "avg_pool2d"), "Convolutions",
            "your averages match dividing every window by the kernel area: torch divides by "
            "the elements the window covers, not counting the padding when "
            "count_include_pad=False, nor a ceil_mode window's overhang past the padding",
            _avg_variants(_divisor_kernel_area, "AvgPool2dDivisorKernelArea")),
    Mistake("avgpool-divisor-excludes-padding", ("AvgPool2d", "avg_pool2d"), "Convolutions",
            "your averages match dividing by the input elements in each window: with "
            "count_include_pad=True (torch's default) the zero padding counts too",
            _avg_variants(_divisor_valid_count, "AvgPool2dDivisorExcludesPadding")),
]  # fmt: skip
