"""The blind-spot check: plant a wrong rule at a tie or kink, and the suite must fail.

A parity suite whose inputs avoid ties and kinks passes a twin that is wrong exactly there
(issue 16). Each row of ``BUGS`` swaps one scratch helper, method or function for a copy with
a classic mistake of that kind (the last maximum of a tie instead of the first, the kernel
area as the ``ceil_mode`` divisor, ReLU's derivative 1 at 0, ...) and names the tests of
``test_ties_and_kinks.py`` that must catch it. For each row the test runs those tests over
all their parameters, first as scratch is (every case passes), then with the bug planted
(pytest's ``monkeypatch``, undone after the row): each named test must fail on at least one
case with a parity mismatch (an AssertionError). The tests are called directly, in this
process, so the check takes a few seconds and runs under pytest-xdist like any other test.
The comparisons the planted bugs make are dropped from ``harness.RECORDS``: the parity
report shows the real twins only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import scratch.functional as sf
import scratch.nn as snn
import scratch.nn.utils as snu
import scratch.regularization as sreg
from parity_check.core import harness
from parity_tests import test_ties_and_kinks as tk
from scratch.models import NeuralNetwork
from scratch.nn import activation, batchnorm, dropout, loss, pooling

# scratch's own versions, which the planted copies call around their one mistake
_window_argmax, _avg_divisor = pooling._window_argmax, pooling._avg_divisor
_normalise = batchnorm._normalise
_bce_forward, _focal_forward = snn.BCELoss.forward, snn.FocalLoss.forward
_clip_grad_norm_ = snu.clip_grad_norm_


# -- the planted bugs ------------------------------------------------------------------------


def last_maximum(win, first, top, inside):
    return win.shape[2] - 1 - win[:, :, ::-1].argmax(axis=2)  # the last of a tie wins


def padding_can_win(win, first, top, inside):
    return first  # NumPy's argmax over the padded window: an all -inf window picks the padding


def first_nan(win, first, top, inside):
    return _window_argmax(win, first, np.where(np.isnan(top), 0, top), inside)  # NaN rule skipped


def col2im_overwrite(dwin, padded_shape, stride, dilation, padding):
    """``dx[argmax] = g`` instead of ``+=``: a pixel that wins two windows keeps the last."""
    *_, kh, kw, oh, ow = dwin.shape
    dxp = np.zeros(padded_shape, dwin.dtype)
    for a in range(kh):
        for b in range(kw):
            r, c = a * dilation[0], b * dilation[1]
            view = dxp[..., r : r + stride[0] * (oh - 1) + 1 : stride[0],
                       c : c + stride[1] * (ow - 1) + 1 : stride[1]]  # fmt: skip
            np.copyto(view, dwin[..., a, b, :, :], where=dwin[..., a, b, :, :] != 0)
    top, bottom, left, right = padding
    return dxp[..., top : dxp.shape[-2] - bottom, left : dxp.shape[-1] - right]


def divisor_kernel_area(size, kernel, stride, padding, out, count_include_pad):
    return np.full(out, kernel)  # the ceil_mode overhang counted as if it were input


def divisor_input_only(size, kernel, stride, padding, out, count_include_pad):
    return _avg_divisor(size, kernel, stride, padding, out, False)  # the padding never counts


def clip_norm_only_above(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales only when the norm *exceeds* max_norm; torch also scales at equality."""
    params = list(parameters)
    saved = [p.grad.copy() for p in params]
    total = _clip_grad_norm_(params, max_norm, norm_type, error_if_nonfinite)
    if not total > max_norm:
        for p, g in zip(params, saved, strict=True):
            p.grad[...] = g
    return total


def clip_value_max_first(parameters, clip_value):
    for p in parameters:  # clamp_max(c) before clamp_min(-c): differs once the bounds cross
        np.minimum(p.grad, clip_value, out=p.grad)
        np.maximum(p.grad, -clip_value, out=p.grad)


def bce_clip_probabilities(self, input, target):
    """Keras-style: log(clip(p, 1e-7, 1 - 1e-7)) instead of torch's log clamped at -100."""
    return _bce_forward(self, np.clip(np.asarray(input), 1e-7, 1 - 1e-7), target)


def focal_zero_at_p_t_one(self, input, target):
    out = _focal_forward(self, input, target)
    self._cache = np.nan_to_num(self._cache, nan=0.0)  # the limit 0 instead of torch's NaN
    return out


def bn_eps_outside_sqrt(x, running_mean, running_var, training, momentum, eps):
    x_hat, inv_std = _normalise(x, running_mean, running_var, training, momentum, eps)
    var = np.maximum(1 / inv_std.astype(np.float64) ** 2 - eps, 0)
    wrong = (1 / (np.sqrt(var) + eps)).astype(inv_std.dtype)  # 1/(σ + eps), not 1/√(σ² + eps)
    return x_hat * batchnorm._per_channel(wrong / inv_std, x.ndim), wrong


def bn_skip_constant_channels(x, running_mean, running_var, training, momentum, eps):
    x_hat, inv_std = _normalise(x, running_mean, running_var, training, momentum, eps)
    constant = np.ptp(x, axis=batchnorm._reduce_axes(x)) == 0  # "nothing to normalise"
    return x_hat, np.where(constant, 0, inv_std).astype(inv_std.dtype)  # so dx = 0 there


def dropout_divides_by_zero(mask, p, dtype):
    with np.errstate(divide="ignore", invalid="ignore"):
        return mask.astype(dtype) / np.asarray(1.0 - p, dtype=dtype)  # p = 1: 0/0 = NaN


def predict_last_of_ties(self, X):
    proba = self.predict_proba(X)
    if self.output != "softmax":
        return (proba > 0.5).astype(int)
    return proba.shape[1] - 1 - proba[:, ::-1].argmax(axis=1)


def predict_threshold_inclusive(self, X):
    proba = self.predict_proba(X)
    return proba.argmax(axis=1) if self.output == "softmax" else (proba >= 0.5).astype(int)


def relu_derivative_1_at_0(z):
    return (z >= 0).astype(z.dtype)


def relu_derivative_0_at_nan(z):
    return (z > 0).astype(z.dtype)


def leaky_relu_derivative_1_at_0(z, negative_slope=0.01):
    return np.where(z >= 0, 1.0, negative_slope).astype(z.dtype)


def l1_sign_1_at_0(weights, lam):
    return lam * np.where(np.asarray(weights) >= 0, 1.0, -1.0).astype(np.asarray(weights).dtype)


# -- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bug:
    name: str
    patches: tuple[tuple[object, str, object], ...]  # (owner, attribute, planted value)
    caught_by: tuple[str, ...]  # test functions of test_ties_and_kinks.py; each must fail


def relu_patches(fn: Callable) -> tuple:
    return ((sf, "relu_derivative", fn), (snn.ReLU, "_df", staticmethod(fn)))


BUGS = [
    Bug("maxpool: the last maximum of a tie", ((pooling, "_window_argmax", last_maximum),), ("test_max_pool_ties", "test_issue_16_inputs", "test_relu_then_max_pool_like_challenge_net")),
    Bug("maxpool: padding wins an all -inf window", ((pooling, "_window_argmax", padding_can_win),), ("test_max_pool_ties",)),
    Bug("maxpool: the first NaN of a window", ((pooling, "_window_argmax", first_nan),), ("test_max_pool_ties",)),
    Bug("maxpool: overlapping windows overwrite", ((pooling, "col2im", col2im_overwrite),), ("test_max_pool_ties",)),
    Bug("avgpool: ceil_mode divides by the kernel area", ((pooling, "_avg_divisor", divisor_kernel_area),), ("test_avg_pool_ceil_mode_overhang", "test_issue_16_inputs")),
    Bug("avgpool: count_include_pad ignores the padding", ((pooling, "_avg_divisor", divisor_input_only),), ("test_avg_pool_ceil_mode_overhang",)),
    Bug("relu: derivative 1 at 0", relu_patches(relu_derivative_1_at_0), ("test_activation_at_zero", "test_relu_family_at_nan", "test_relu_then_max_pool_like_challenge_net")),
    Bug("relu: derivative 0 at NaN", relu_patches(relu_derivative_0_at_nan), ("test_relu_family_at_nan",)),
    Bug("leaky_relu: derivative 1 at 0", ((sf, "leaky_relu_derivative", leaky_relu_derivative_1_at_0), (activation, "leaky_relu_derivative", leaky_relu_derivative_1_at_0)), ("test_activation_at_zero",)),
    Bug("clip_grad_norm_: scales only above max_norm", ((snu, "clip_grad_norm_", clip_norm_only_above),), ("test_clip_grad_norm_at_max_norm",)),
    Bug("clip_grad_value_: clamp_max before clamp_min", ((snu, "clip_grad_value_", clip_value_max_first),), ("test_clip_grad_value_at_the_bounds",)),
    Bug("BCELoss: p clipped to [1e-7, 1 - 1e-7]", ((snn.BCELoss, "forward", bce_clip_probabilities),), ("test_bce_on_its_clamps",)),
    Bug("BCELoss: EPSILON 1e-12 in float64", ((loss, "_BCE_EPSILON", 1e-12),), ("test_bce_on_its_clamps",)),
    Bug("FocalLoss: gradient 0 where p_t = 1", ((snn.FocalLoss, "forward", focal_zero_at_p_t_one),), ("test_focal_loss_where_p_t_is_one",)),
    Bug("BatchNorm: 1/(σ + eps)", ((batchnorm, "_normalise", bn_eps_outside_sqrt),), ("test_batch_norm_constant_channels",)),
    Bug("BatchNorm: constant channels skipped", ((batchnorm, "_normalise", bn_skip_constant_channels),), ("test_batch_norm_constant_channels",)),
    Bug("Dropout: p = 1 divides by 0", ((dropout, "_scaled_mask", dropout_divides_by_zero),), ("test_dropout_at_p_zero_and_one",)),
    Bug("predict: the last of tied classes", ((NeuralNetwork, "predict", predict_last_of_ties),), ("test_prediction_takes_the_first_of_tied_classes",)),
    Bug("predict: probability 0.5 is class 1", ((NeuralNetwork, "predict", predict_threshold_inclusive),), ("test_prediction_takes_the_first_of_tied_classes",)),
    Bug("l1_penalty_grad: sign(0) = 1", ((sreg, "l1_penalty_grad", l1_sign_1_at_0),), ("test_l1_penalty_gradient_at_zero",)),
]  # fmt: skip


# -- running the named tests -----------------------------------------------------------------


def cases(test: Callable) -> list[dict]:
    """Every parameter combination of a ``@pytest.mark.parametrize``-d test, as kwargs."""
    grid: list[dict] = [{}]
    for mark in getattr(test, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = [dict(zip(names, v if len(names) > 1 else (v,), strict=True)) for v in values]
        grid = [{**g, **r} for g in grid for r in rows]
    return grid


def failing_cases(test: Callable) -> list[dict]:
    """The cases of ``test`` that end in a parity mismatch; any other error propagates."""
    failed, start = [], len(harness.RECORDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NaN and overflow warnings of the planted bugs
            for kwargs in cases(test):
                try:
                    test(**kwargs)
                except AssertionError:
                    failed.append(kwargs)
    finally:
        del harness.RECORDS[start:]
    return failed


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_planted_bug_is_caught(bug, monkeypatch):
    tests = [getattr(tk, name) for name in bug.caught_by]
    for test in tests:
        failed = failing_cases(test)
        assert not failed, f"{test.__name__} fails without a planted bug: {failed}"
    for owner, attribute, value in bug.patches:
        monkeypatch.setattr(owner, attribute, value)
    for test in tests:
        assert failing_cases(test), f"blind spot: {test.__name__} passes with '{bug.name}'"


def test_every_tie_test_catches_some_bug():
    """Each test of test_ties_and_kinks.py with a kink to guard is named by some row (the
    smooth components' tests — tied logits, attention — have no rule to get wrong)."""
    named = {name for bug in BUGS for name in bug.caught_by}
    smooth = {"test_tied_logits", "test_attention_with_tied_scores"}
    tests = {name for name in dir(tk) if name.startswith("test_")}
    assert tests - smooth == named, f"unguarded: {tests - smooth - named}, unknown: {named - tests}"
