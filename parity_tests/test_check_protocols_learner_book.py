"""parity-check drives the layers of "Deep Learning from Scratch" (built from their weight
arrays, ``forward(x, train_flg)``, ``dW``/``dgamma``), nnfs-style classes (``forward`` and
``backward`` return None and store ``output``/``dinputs``; nnfs's losses) and the learners'
other names (``dropout_ratio``, ``keep_prob``, ``pool_h``/``pool_w``, ``train_flg``). Each
style is written here from its description; right ones pass, a wrong one per style fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from parity_check.api import check
from parity_tests.test_check_protocols_learner import (
    ran,
    said,
)


# -- the book: layers built from their arrays -----------------------------------------------------
class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class Convolution:
    """Strides and pads as one number or a pair each."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = W, b
        self.stride, self.pad = (v if isinstance(v, tuple) else (v, v) for v in (stride, pad))

    def forward(self, x):
        (sh, sw), (ph, pw) = self.stride, self.pad
        self.x, self.xp = x, np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        v = np.lib.stride_tricks.sliding_window_view(self.xp, self.W.shape[2:], axis=(2, 3))
        self.cols = v[:, :, ::sh, ::sw]
        return np.einsum("nchwij,fcij->nfhw", self.cols, self.W) + self.b.reshape(1, -1, 1, 1)

    def backward(self, dout):
        (sh, sw), (ph, pw) = self.stride, self.pad
        self.dW = np.einsum("nchwij,nfhw->fcij", self.cols, dout)
        self.db = dout.sum(axis=(0, 2, 3))
        dxp, (kh, kw) = np.zeros_like(self.xp), self.W.shape[2:]
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dxp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += np.einsum("nf,fcij->ncij", dout[:, :, i, j], self.W)  # fmt: skip
        h, w = self.x.shape[2:]
        return dxp[:, :, ph : ph + h, pw : pw + w]


class BatchNormalization:
    """The book's shape, torch's conventions: momentum weighs the new batch, eps 1e-5."""

    def __init__(self, gamma, beta, momentum=0.1, running_mean=None, running_var=None):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, train_flg=True):
        if train_flg:
            mu, var, n = x.mean(axis=0), x.var(axis=0), x.shape[0]
            self.update(mu, var * n / (n - 1))
        else:
            mu, var = self.running_mean, self.running_var
        self.train_flg, self.inv = train_flg, 1 / np.sqrt(var + 1e-5)
        self.xh = (x - mu) * self.inv
        return self.gamma * self.xh + self.beta

    def update(self, mu, unbiased):
        m = self.momentum
        self.running_mean = (1 - m) * self.running_mean + m * mu
        self.running_var = (1 - m) * self.running_var + m * unbiased

    def backward(self, dout):
        self.dgamma, self.dbeta = (dout * self.xh).sum(axis=0), dout.sum(axis=0)
        dxh = dout * self.gamma
        if not self.train_flg:
            return dxh * self.inv
        return self.inv * (dxh - dxh.mean(axis=0) - self.xh * (dxh * self.xh).mean(axis=0))


class BatchNormalizationDecay(BatchNormalization):
    """The book's momentum=0.9: the running statistics' decay, torch's 1 − momentum."""

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        super().__init__(gamma, beta, momentum, running_mean, running_var)

    def update(self, mu, unbiased):
        m = self.momentum
        self.running_mean = m * self.running_mean + (1 - m) * mu
        self.running_var = m * self.running_var + (1 - m) * unbiased


class Pooling:
    """Stride and pad as one number or a pair each; -inf padding, as torch's max pool."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w = pool_h, pool_w
        self.stride, self.pad = (v if isinstance(v, tuple) else (v, v) for v in (stride, pad))

    def forward(self, x):
        (sh, sw), (ph, pw) = self.stride, self.pad
        self.x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
        v = np.lib.stride_tricks.sliding_window_view(
            self.x, (self.pool_h, self.pool_w), axis=(2, 3)
        )
        return v[:, :, ::sh, ::sw].max(axis=(4, 5))

    def backward(self, dout):
        (sh, sw), (ph, pw), x = self.stride, self.pad, self.x
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = x[:, :, i * sh : i * sh + self.pool_h, j * sw : j * sw + self.pool_w]
                k = win.reshape(*x.shape[:2], -1).argmax(axis=2)  # the first max, torch's rule
                n, c = np.indices(k.shape)
                dx[n, c, i * sh + k // self.pool_w, j * sw + k % self.pool_w] += dout[:, :, i, j]
        return dx[:, :, ph : dx.shape[2] - ph, pw : dx.shape[3] - pw]


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio

    def forward(self, x, train_flg=True):
        keep = 1 - self.dropout_ratio
        self.mask = ((np.random.rand(*x.shape) < keep) / keep) if train_flg else np.ones(x.shape)
        return x * self.mask.astype(x.dtype)

    def backward(self, dout):
        return dout * self.mask.astype(dout.dtype)


class KeepDropout(Dropout):
    """A name that states its meaning is converted: keep_prob = 1 − p."""

    def __init__(self, keep_prob=0.5):
        super().__init__(1 - keep_prob)


BOOK = [("Linear", Affine, "W as (in, out)"), ("Conv2d", Convolution, "padding passed as pad"),
        ("BatchNorm1d", BatchNormalization, "train_flg argument"),
        ("MaxPool2d", Pooling, "kernel_size passed as pool_h, pool_w"),
        ("Dropout", Dropout, "p passed as dropout_ratio"),
        ("Dropout", KeepDropout, "p passed as keep_prob=0.8 (1 − p)")]  # fmt: skip


@pytest.mark.parametrize("component,cls,told", BOOK, ids=[c.__name__ for _, c, _ in BOOK])
def test_book_layers_pass_as_written(component, cls, told):
    verdict = check(component, cls)
    assert verdict.passed, verdict.failures()[:3]
    assert told in said(verdict), verdict.notes


def test_book_bias_false_is_a_bias_of_zeros_and_both_layouts_of_w_are_found():
    verdict = check("Linear", Affine)
    assert "Linear(4, 6, bias=False)" in ran(verdict)
    assert "your b given as 0s, not compared" in said(verdict)

    class AffineOutIn(Affine):
        def forward(self, x):
            self.x = x
            return x @ self.W.T + self.b

        def backward(self, dout):
            self.dW, self.db = dout.T @ self.x, dout.sum(axis=0)
            return dout @ self.W

    verdict = check("Linear", AffineOutIn)
    assert verdict.passed and "W as (out, in)" in said(verdict), verdict.notes


SCALAR_CONV = """
import numpy as np


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        s, p, (kh, kw) = self.stride, self.pad, self.W.shape[2:]
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        v = np.lib.stride_tricks.sliding_window_view(self.xp, (kh, kw), axis=(2, 3))[:, :, ::s, ::s]
        self.cols = v
        return np.einsum("nchwij,fcij->nfhw", v, self.W) + self.b.reshape(1, -1, 1, 1)

    def backward(self, dout):
        s, p, (kh, kw) = self.stride, self.pad, self.W.shape[2:]
        self.dW = np.einsum("nchwij,nfhw->fcij", self.cols, dout)
        self.db = dout.sum(axis=(0, 2, 3))
        dxp = np.zeros_like(self.xp)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dxp[:, :, i * s : i * s + kh, j * s : j * s + kw] += np.einsum("nf,fcij->ncij", dout[:, :, i, j], self.W)
        return dxp[:, :, p : dxp.shape[2] - p, p : dxp.shape[3] - p]
"""


def test_one_number_settings_take_equal_pairs_and_refuse_unequal_ones(tmp_path):
    """``stride=1`` in a file that never mentions a pair: (2, 2) is given as 2, (2, 1) is a
    setting it has no way to take; code that handles pairs gets them as they are."""
    (tmp_path / "scalar_conv.py").write_text(SCALAR_CONV)
    verdict = check("Conv2d", f"{tmp_path / 'scalar_conv.py'}:Convolution")
    assert verdict.passed, verdict.failures()[:3]
    assert "your stride takes one number (its default is 1): no way to give stride=(2, 1)" in said(verdict)  # fmt: skip
    assert "rectangular, stride (2, 1), padding (0, 1)" in ran(check("Conv2d", Convolution))


def test_book_momentum_as_decay_fails_from_its_running_statistics():
    """A torch name with another meaning is a FAIL: torch's momentum=0.1 is passed even where
    the case leaves it at torch's default (never assumed: the book's default 0.9 means torch's
    0.1), so the running statistics disagree from step 0 (torch with momentum=0.9 explains them)."""
    verdict = check("BatchNorm1d", BatchNormalizationDecay)
    assert not verdict.passed
    assert "momentum=0.1 passed (torch's default; your momentum defaults to 0.9)" in said(verdict)
    mean = next(
        r for r in verdict.failures() if r.tensor == "running_mean" and r.dtype == "float64"
    )
    assert mean.case == "BatchNorm1d(3)" and mean.first_step == 0
    assert {r.tensor for r in verdict.failures() if r.first_step == 0} <= {
        "running_mean",
        "running_var",
    }


class SoftmaxWithLoss:
    """The book's loss layer: forward(x, t), backward(dout=1)."""

    def forward(self, x, t):
        self.t = t
        z = x - x.max(axis=1, keepdims=True)
        self.logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -np.mean(self.logp[np.arange(len(t)), t])

    def backward(self, dout=1):
        dx = np.exp(self.logp)
        dx[np.arange(len(self.t)), self.t] -= 1
        return dx / len(self.t) * dout


class SoftmaxWithLossIgnoringDout(SoftmaxWithLoss):
    def backward(self, dout=1):
        return super().backward()  # the upstream gradient dropped


def test_book_softmax_with_loss_passes_and_one_ignoring_dout_fails_on_the_gradient():
    assert check("CrossEntropyLoss", SoftmaxWithLoss).passed
    verdict = check("CrossEntropyLoss", SoftmaxWithLossIgnoringDout)
    assert not verdict.passed
    assert {r.tensor for r in verdict.failures()} == {"grad of input"}


class DropoutMode(Dropout):
    """A mode argument that knows 'train' and 'test' only (CS231n's words)."""

    def forward(self, x, mode="train"):
        if mode not in ("train", "test"):
            raise ValueError(f"unknown mode {mode!r}")
        return super().forward(x, train_flg=mode == "train")


def test_a_mode_argument_gets_the_eval_word_its_code_uses():
    verdict = check("Dropout", DropoutMode)
    assert verdict.passed, verdict.failures()[:3]
    assert "p=0.5, eval" in ran(verdict)
