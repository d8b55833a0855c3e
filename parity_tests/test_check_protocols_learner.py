"""parity-check drives the learners' own protocols, as written, with no wrapper of theirs:
CS231n's function pairs with a cache and their settings dicts, and the layers of "Deep
Learning from Scratch" built from their weight arrays. Each style here is written from its
description (no public code copied): the right ones pass, on the cases their code can take,
and a wrong one per style fails, its numbers reaching the diagnosis.
"""

from __future__ import annotations

import numpy as np
import pytest

from parity_check.api import check
from parity_check.errors import UnsupportedSetting, UsageError
from parity_check.protocols import cache_pairs
from parity_check.specs import SPECS, Target


def said(verdict) -> str:
    """All the verdict says in words: its notes, and each not-supported row's message."""
    return " ".join([*verdict.notes, *(getattr(r, "message", None) or "" for r in verdict.rows)])


def ran(verdict) -> set[str]:
    """The cases compared (a not-supported row has no numbers)."""
    return {r.case for r in verdict.rows if getattr(r, "status", "ok") in ("ok", "FAIL")}


def windows(x, hh, ww, stride):
    """(N, C, OH, OW, HH, WW): each output position's window."""
    v = np.lib.stride_tricks.sliding_window_view(x, (hh, ww), axis=(2, 3))
    return v[:, :, ::stride, ::stride]


def conv_input_grad(dout, w, xp_shape, stride):
    dxp = np.zeros(xp_shape, dout.dtype)
    hh, ww = w.shape[2:]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = (slice(None), slice(None), slice(i * stride, i * stride + hh), slice(j * stride, j * stride + ww))  # fmt: skip
            dxp[win] += np.einsum("nf,fcij->ncij", dout[:, :, i, j], w)
    return dxp


def max_pool_grad(x, dout, ph, pw, s):
    """The first maximum of each window takes its gradient (torch's rule)."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            k = x[:, :, i * s : i * s + ph, j * s : j * s + pw].reshape(*x.shape[:2], -1).argmax(axis=2)  # fmt: skip
            n, c = np.indices(k.shape)
            dx[n, c, i * s + k // pw, j * s + k % pw] += dout[:, :, i, j]
    return dx


# -- CS231n: X_forward(x, ...) -> (out, cache), X_backward(dout, cache) ---------------------------
def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def conv_forward_naive(x, w, b, conv_param):
    pad, stride = conv_param["pad"], conv_param["stride"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.einsum("nchwij,fcij->nfhw", windows(xp, *w.shape[2:], stride), w)
    return out + b[None, :, None, None], (x, w, conv_param)


def conv_backward_naive(dout, cache):
    x, w, conv_param = cache
    pad, stride = conv_param["pad"], conv_param["stride"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dw = np.einsum("nchwij,nfhw->fcij", windows(xp, *w.shape[2:], stride), dout)
    dxp = conv_input_grad(dout, w, xp.shape, stride)
    return dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    return windows(x, ph, pw, s).max(axis=(4, 5)), (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, p = cache
    return max_pool_grad(x, dout, p["pool_height"], p["pool_width"], p["stride"])


def batchnorm_forward(x, gamma, beta, bn_param, decay=False):
    """momentum read as torch's: running = (1 − momentum)·running + momentum·batch."""
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.1)
    rm = bn_param.get("running_mean", np.zeros(x.shape[1], x.dtype))
    rv = bn_param.get("running_var", np.ones(x.shape[1], x.dtype))
    if mode == "train":
        mu, var, n = x.mean(axis=0), x.var(axis=0), x.shape[0]
        keep = momentum if decay else 1 - momentum
        rm = keep * rm + (1 - keep) * mu
        rv = keep * rv + (1 - keep) * var * n / (n - 1)
    else:
        mu, var = rm, rv
    inv = 1 / np.sqrt(var + eps)
    xh = (x - mu) * inv
    bn_param["running_mean"], bn_param["running_var"] = rm, rv
    return gamma * xh + beta, (xh, gamma, inv, mode)


def decay_batchnorm_forward(x, gamma, beta, bn_param):
    """CS231n's docstring: momentum is the decay, running = momentum·running + (1 − momentum)·batch."""
    return batchnorm_forward(x, gamma, beta, bn_param, decay=True)


def batchnorm_backward(dout, cache):
    xh, gamma, inv, mode = cache
    dxh = dout * gamma
    dx = inv * (dxh - dxh.mean(axis=0) - xh * (dxh * xh).mean(axis=0)) if mode == "train" else dxh * inv  # fmt: skip
    return dx, (dout * xh).sum(axis=0), dout.sum(axis=0)


decay_batchnorm_backward = batchnorm_backward


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, c), gamma, beta, bn_param)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    dx, dg, db = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dg, db


def dropout_forward(x, dropout_param):
    """p read as torch's: the probability to drop."""
    p = dropout_param["p"]
    if dropout_param["mode"] == "train":
        mask = ((np.random.rand(*x.shape) >= p) / (1 - p)).astype(x.dtype)
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


def keep_dropout_forward(x, dropout_param):
    """CS231n's own convention: p is the probability to KEEP."""
    p = dropout_param["p"]
    if dropout_param["mode"] == "train":
        mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype)
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


keep_dropout_backward = dropout_backward


def softmax_loss(x, y):
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = x.shape[0]
    dx = np.exp(logp)
    dx[np.arange(n), y] -= 1
    return -logp[np.arange(n), y].mean(), dx / n


def averaged_affine_forward(x, w, b):
    return affine_forward(x, w, b)


def averaged_affine_backward(dout, cache):
    dx, dw, db = affine_backward(dout, cache)
    return dx, dw, db / dout.shape[0]  # the bias gradient averaged over the batch


def lonely_forward(x):
    return x, None


CS231N = [
    ("Linear", affine_forward, ["Linear(5, 3), 3-D input"]),
    ("ReLU", relu_forward, []),
    ("Conv2d", conv_forward_naive, ["dilation 2, padding 2", "depthwise, no bias"]),
    ("MaxPool2d", max_pool_forward_naive, ["3x3/2, padding 1", "dilation 2"]),
    ("BatchNorm1d", batchnorm_forward, ["BatchNorm1d(3), (N, C, L)"]),
    ("BatchNorm2d", spatial_batchnorm_forward, []),
    ("Dropout", dropout_forward, []),
    ("CrossEntropyLoss", softmax_loss, ["label_smoothing=0.1"]),
]


@pytest.mark.parametrize("component,fn,not_run", CS231N, ids=[c for c, *_ in CS231N])
def test_cs231n_pairs_pass_on_the_cases_they_take(component, fn, not_run):
    verdict = check(component, fn)
    assert verdict.passed, verdict.failures()[:3]
    compared = ran(verdict)
    assert compared and not compared & set(not_run), compared
    told = said(verdict) + " ".join(r.case for r in verdict.rows)
    assert all(case in told for case in not_run), told


def test_cs231n_settings_go_in_their_dicts():
    notes = said(check("Conv2d", conv_forward_naive))
    assert "conv_param (stride, pad): no way to give dilation=2" in notes
    assert "one number for both axes: no way to give stride=(2, 1)" in notes
    bn = said(check("BatchNorm1d", batchnorm_forward))
    assert "bn_param['mode'] ('train'/'test')" in bn
    assert "affine_forward takes a 2-D input" in said(check("Linear", affine_forward))


def test_cs231n_wrong_bias_gradient_is_named():
    verdict = check("Linear", averaged_affine_forward)
    assert not verdict.passed
    assert verdict.diagnosis.mistake == "linear-bias-grad-averaged", verdict.diagnosis


def test_cs231n_momentum_as_decay_fails_from_its_running_statistics():
    """bn_param['momentum'] is torch's name, given torch's value: CS231n's decay meaning is a
    FAIL whose numbers are torch's with momentum=0.9, from the running mean at step 0."""
    verdict = check("BatchNorm1d", decay_batchnorm_forward)
    assert not verdict.passed
    mean = next(
        r for r in verdict.failures() if r.tensor == "running_mean" and r.dtype == "float64"
    )
    assert mean.case == "BatchNorm1d(3)" and mean.first_step == 0


def test_cs231n_keep_probability_fails_where_p_is_not_half():
    """CS231n's p is the keep probability: a torch name with another meaning is a FAIL (the
    numbers the diagnosis reads: keep rate 0.2 where torch keeps 0.8)."""
    verdict = check("Dropout", keep_dropout_forward)
    assert not verdict.passed
    failing = {(r.case, r.tensor) for r in verdict.failures()}
    assert ("p=0.2, train", "keep rate") in failing and not any(c == "p=0.5, train" for c, _ in failing)  # fmt: skip
    rate = next(r for r in verdict.failures() if r.tensor == "keep rate" and r.dtype == "float64")
    assert rate.torch == pytest.approx(0.8) and abs(rate.yours - 0.2) < 0.05


def test_cs231n_forward_without_its_backward_is_a_usage_error():
    with pytest.raises(UsageError, match="found no lonely_backward"):
        check("ReLU", lonely_forward)


def train_only_forward(x, gamma, beta, bn_param):
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    return out, cache if bn_param["mode"] == "train" else None  # CS231n's test mode: no cache


def train_only_backward(dout, cache):
    return batchnorm_backward(dout, cache)


def test_cs231n_backward_after_a_test_mode_forward_is_scope_not_a_crash():
    """CS231n backpropagates in training only; a test-mode cache of None is the protocol's
    scope, said as such (UnsupportedSetting), not the learner's error."""
    layer = cache_pairs.wrap(SPECS["BatchNorm1d"], train_only_forward, Target(None))(3)
    layer.parity_set_mode(False)
    layer.forward(np.ones((4, 3)))
    with pytest.raises(UnsupportedSetting, match="does not run after a test-mode forward"):
        layer.backward(np.ones((4, 3)))
