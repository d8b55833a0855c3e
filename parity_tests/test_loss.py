"""Parity of scratch/nn/loss.py with torch's losses and torchvision's focal loss."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import scratch.nn as snn
import torch_ref.nn.loss as tnn
from parity_check.core.harness import DTYPES, PROFILES, check_loss, measure, randn

REDUCTIONS = ("mean", "sum", "none")


def probs(shape, dtype, seed=2):
    """Probabilities kept inside (0.02, 0.98), away from BCE's clamps."""
    return (0.02 + 0.96 / (1 + np.exp(-randn(shape, "float64", seed)))).astype(dtype)


def binary(shape, dtype, seed=3):
    return (np.random.default_rng(seed).random(shape) < 0.5).astype(dtype)


def soft(shape, dtype, seed=4):
    return np.random.default_rng(seed).random(shape).astype(dtype)


def labels(shape, classes, seed=5):
    return np.random.default_rng(seed).integers(0, classes, shape)


def class_probs(shape, dtype, seed=6):
    p = np.random.default_rng(seed).random(shape)
    return (p / p.sum(axis=1, keepdims=True)).astype(dtype)


# name, scratch loss, torch loss, input(dtype), target(dtype)
CASES = [
    ("MSELoss", snn.MSELoss, tnn.MSELoss, lambda d: randn((4, 5), d), lambda d: randn((4, 5), d, 7)),
    ("BCELoss", snn.BCELoss, tnn.BCELoss, lambda d: probs((6, 3), d), lambda d: binary((6, 3), d)),
    ("BCELoss(soft)", snn.BCELoss, tnn.BCELoss, lambda d: probs((8,), d), lambda d: soft((8,), d)),
    ("BCEWithLogitsLoss", snn.BCEWithLogitsLoss, tnn.BCEWithLogitsLoss, lambda d: randn((6, 3), d, scale=3), lambda d: binary((6, 3), d)),
    ("CrossEntropyLoss(indices)", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, lambda d: randn((7, 4), d, scale=2), lambda d: labels((7,), 4)),
    ("CrossEntropyLoss(N,C,H,W)", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, lambda d: randn((2, 3, 4, 5), d), lambda d: labels((2, 4, 5), 3)),
    ("CrossEntropyLoss(probs)", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, lambda d: randn((5, 6), d), lambda d: class_probs((5, 6), d)),
    ("FocalLoss", snn.FocalLoss, tnn.FocalLoss, lambda d: randn((6, 3), d, scale=2), lambda d: binary((6, 3), d)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,make,make_torch,x,t", CASES, ids=[c[0] for c in CASES])
def test_loss_value_and_gradient(name, make, make_torch, x, t, reduction, dtype):
    check_loss(
        name,
        make(reduction=reduction),
        make_torch(reduction=reduction),
        x(dtype),
        t(dtype),
        dtype=dtype,
    )


# name, scratch kwargs = torch kwargs, input, target
OPTIONS = [
    ("CE label_smoothing=0.1", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, dict(label_smoothing=0.1), lambda d: randn((7, 4), d), lambda d: labels((7,), 4)),
    ("CE label_smoothing=0.3 probs", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, dict(label_smoothing=0.3), lambda d: randn((5, 6), d), lambda d: class_probs((5, 6), d)),
    ("CE ignore_index", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, dict(ignore_index=2, label_smoothing=0.2), lambda d: randn((9, 4), d), lambda d: labels((9,), 4)),
    ("CE unbatched (C,)", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, {}, lambda d: randn((5,), d), lambda d: np.array(3)),
    ("BCEWithLogits pos_weight", snn.BCEWithLogitsLoss, tnn.BCEWithLogitsLoss, "pos_weight", lambda d: randn((6, 3), d), lambda d: binary((6, 3), d)),
    ("BCE weight", snn.BCELoss, tnn.BCELoss, "weight", lambda d: probs((6, 3), d), lambda d: binary((6, 3), d)),
    ("Focal alpha=-1 gamma=0", snn.FocalLoss, tnn.FocalLoss, dict(alpha=-1, gamma=0.0), lambda d: randn((6, 3), d), lambda d: binary((6, 3), d)),
    ("Focal alpha=0.5 gamma=1.5", snn.FocalLoss, tnn.FocalLoss, dict(alpha=0.5, gamma=1.5), lambda d: randn((6, 3), d), lambda d: soft((6, 3), d)),
    # what torch (torchvision) takes besides: label_smoothing <= 0 or NaN smooths nothing (only
    # > 1 is refused), uint8 class indices, a negative focusing exponent, alpha = 1
    ("CE label_smoothing=-0.2", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, dict(label_smoothing=-0.2), lambda d: randn((7, 4), d), lambda d: labels((7,), 4)),
    ("CE label_smoothing=nan probs", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, dict(label_smoothing=float("nan")), lambda d: randn((5, 6), d), lambda d: class_probs((5, 6), d)),
    ("CE label_smoothing=1", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, dict(label_smoothing=1.0), lambda d: randn((7, 4), d), lambda d: labels((7,), 4)),
    ("CE probs not summing to 1", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, dict(label_smoothing=0.1), lambda d: randn((5, 6), d), lambda d: soft((5, 6), d)),
    ("CE uint8 targets", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, {}, lambda d: randn((7, 4), d), lambda d: labels((7,), 4).astype(np.uint8)),
    ("Focal gamma=-0.5", snn.FocalLoss, tnn.FocalLoss, dict(gamma=-0.5), lambda d: randn((6, 3), d), lambda d: soft((6, 3), d)),
    ("Focal alpha=1", snn.FocalLoss, tnn.FocalLoss, dict(alpha=1), lambda d: randn((6, 3), d), lambda d: binary((6, 3), d)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,make,make_torch,kwargs,x,t", OPTIONS, ids=[c[0] for c in OPTIONS])
def test_loss_options(name, make, make_torch, kwargs, x, t, reduction, dtype):
    if isinstance(kwargs, str):  # a per-element weight array, the same for both twins
        w = np.linspace(0.5, 2.0, 3).astype(dtype)
        scratch_kwargs, torch_kwargs = {kwargs: w}, {kwargs: torch.from_numpy(w)}
    else:
        scratch_kwargs = torch_kwargs = kwargs
    check_loss(name, make(reduction=reduction, **scratch_kwargs),
               make_torch(reduction=reduction, **torch_kwargs), x(dtype), t(dtype), dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target_shape", [(5,), (1, 5), (4, 1), (2, 4, 5), ()], ids=str)
def test_mse_broadcasts_the_target_as_torch(target_shape, reduction, dtype):
    """torch's MSELoss broadcasts a target of another shape (with a warning); the gradient of
    the input sums over what the input was stretched along."""
    with pytest.warns(UserWarning, match="Using a target size"):
        check_loss(f"MSELoss(target {target_shape})", snn.MSELoss(reduction=reduction),
                   tnn.MSELoss(reduction=reduction), randn((4, 5), dtype),
                   randn(target_shape, dtype, 7) if target_shape else np.asarray(0.3, dtype),
                   dtype=dtype)  # fmt: skip


# a NaN target: torch computes on (NaN loss, NaN gradient where it reaches); BCE refuses it
NAN_TARGETS = [
    ("MSELoss", snn.MSELoss, tnn.MSELoss, lambda: randn((4, 3), "float64"), lambda: soft((4, 3), "float64")),
    ("BCEWithLogitsLoss", snn.BCEWithLogitsLoss, tnn.BCEWithLogitsLoss, lambda: randn((4, 3), "float64"), lambda: soft((4, 3), "float64")),
    ("CrossEntropyLoss(probs)", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, lambda: randn((4, 3), "float64"), lambda: class_probs((4, 3), "float64")),
    ("FocalLoss", snn.FocalLoss, tnn.FocalLoss, lambda: randn((4, 3), "float64"), lambda: soft((4, 3), "float64")),
]  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,make,make_torch,x,t", NAN_TARGETS, ids=[c[0] for c in NAN_TARGETS])
def test_nan_targets_give_torchs_nans(name, make, make_torch, x, t, reduction):
    inp, target = x(), t()
    target[1, 2] = np.nan
    loss_s, loss_t = make(reduction=reduction), make_torch(reduction=reduction)
    xt = torch.tensor(inp, requires_grad=True)
    out_t = loss_t(xt, torch.from_numpy(target))
    out_s = loss_s(inp, target)
    g = np.ones(out_s.shape)
    out_t.backward(torch.from_numpy(g))
    grad_s = loss_s.backward(g if g.ndim else 1.0)
    tol = PROFILES["float64"]
    for tensor, ours, theirs in (("loss", out_s, out_t), ("grad of input", grad_s, xt.grad)):
        c = measure(ours, theirs, rtol=tol.rtol, atol=tol.atol)
        assert c.passed, f"[{name}] {tensor} with a NaN target: scratch != torch, {c}"
    assert np.isnan(out_s).any()


def test_bce_refuses_a_nan_target_as_torch():
    p, y = probs((3,), "float64"), np.array([1.0, np.nan, 0.0])
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        tnn.BCELoss()(torch.from_numpy(p), torch.from_numpy(y))
    with pytest.raises(ValueError, match="target must hold values in"):
        snn.BCELoss()(p, y)


STABLE = [
    ("BCEWithLogitsLoss", snn.BCEWithLogitsLoss, tnn.BCEWithLogitsLoss, lambda d: np.array([[1.0, 0.0, 1.0]] * 2, d)),
    ("CrossEntropyLoss", snn.CrossEntropyLoss, tnn.CrossEntropyLoss, lambda d: np.array([0, 1])),
    ("FocalLoss", snn.FocalLoss, tnn.FocalLoss, lambda d: np.array([[1.0, 0.0, 1.0]] * 2, d)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,make,make_torch,t", STABLE, ids=[c[0] for c in STABLE])
def test_logits_of_1e4_are_finite_and_equal(name, make, make_torch, t, dtype):
    x = np.array([[-1e4, 5.0, 1e4], [1e4, -1e4, 3.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or divide warning fails the test
        loss = check_loss(name, make(), make_torch(), x, t(dtype), dtype=dtype)
    assert np.isfinite(loss)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_clamps_log_at_minus_100_like_torch(dtype):
    p = np.array([0.0, 1.0, 0.5, 1.0], dtype=dtype)
    y = np.array([1.0, 0.0, 1.0, 1.0], dtype=dtype)
    loss = check_loss(
        "BCELoss(p in {0,1})",
        snn.BCELoss(reduction="none"),
        tnn.BCELoss(reduction="none"),
        p,
        y,
        dtype=dtype,
    )
    assert loss[0] == loss[1] == 100  # -log(0) clamped, not inf


def test_mean_reduction_of_loss_is_mean_of_none():
    x, y = randn((5, 4), "float64"), labels((5,), 4)
    per_sample = snn.CrossEntropyLoss(reduction="none")(x, y)
    assert np.isclose(snn.CrossEntropyLoss()(x, y), per_sample.mean(), rtol=1e-14)


BAD_INPUT = [
    (lambda: snn.MSELoss(reduction="avg"), ValueError, "reduction must be one of"),
    (lambda: snn.MSELoss()(np.ones((2, 3)), np.ones((3, 2))), ValueError, "target shape"),
    (lambda: snn.BCEWithLogitsLoss()(np.ones((2, 3)), np.ones(3)), ValueError, "target shape"),
    (lambda: snn.MSELoss()(np.ones(3, dtype=int), np.ones(3)), TypeError, "input must have dtype"),
    (lambda: snn.BCELoss()(np.array([0.5, 1.5]), np.ones(2)), ValueError, "input must hold probabilities"),
    (lambda: snn.BCELoss()(np.array([0.5, 0.5]), np.array([0.0, 2.0])), ValueError, "target must hold values in"),
    (lambda: snn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3])), ValueError, "class indices must be in \\[0, 3\\)"),
    (lambda: snn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([-1, 0])), ValueError, "class indices"),
    (lambda: snn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 1, 2])), ValueError, "class-index target must have shape"),
    (lambda: snn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([["a"] * 3] * 2)), TypeError, "target must be int64 or uint8 class indices"),
    (lambda: snn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 1], np.int32)), TypeError, "Long or Byte"),
    (lambda: snn.CrossEntropyLoss(label_smoothing=1.5), ValueError, "label_smoothing must be at most 1"),
    (lambda: snn.CrossEntropyLoss(label_smoothing="0.1"), TypeError, "label_smoothing must be a number"),
    (lambda: snn.CrossEntropyLoss(ignore_index=2.5), TypeError, "ignore_index must be an int"),
    (lambda: snn.FocalLoss(alpha=1.5), ValueError, "alpha must be in \\[0, 1\\], or -1"),
    (lambda: snn.FocalLoss(alpha=-0.5), ValueError, "alpha"),
    (lambda: snn.FocalLoss(alpha=float("nan")), ValueError, "alpha"),
    (lambda: snn.FocalLoss(gamma="2"), TypeError, "gamma must be"),
    (lambda: snn.MSELoss().backward(), ValueError, "backward\\(\\) called before forward"),
    (lambda: snn.CrossEntropyLoss().backward(), ValueError, "before forward"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


LEGACY = [(None, False), (False, None), (False, True), (True, True), (True, False), (None, True)]


@pytest.mark.parametrize("size_average,reduce", LEGACY, ids=str)
@pytest.mark.parametrize("name", ["MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"])
def test_deprecated_size_average_and_reduce_as_torch(name, size_average, reduce):
    """torch still takes them (with its deprecation warning) and they override reduction."""
    kw = dict(size_average=size_average, reduce=reduce, reduction="sum")
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") as ours:
        s = getattr(snn, name)(**kw)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") as theirs:  # fmt: skip
        t = getattr(tnn, name)(**kw)
    assert s.reduction == t.reduction and str(ours[0].message) == str(theirs[0].message)
    x, y = probs((4, 3), "float64"), binary((4, 3), "float64")
    y = labels((4,), 3) if name == "CrossEntropyLoss" else y
    check_loss(f"{name}({size_average=}, {reduce=})", s, t, x, y, dtype="float64")


def test_loss_arguments_in_torchs_positional_order():
    """CrossEntropyLoss(weight, size_average, ignore_index, reduce, reduction, smoothing)."""
    s, t = snn.CrossEntropyLoss(None, None, 2, None, "sum"), tnn.CrossEntropyLoss(None, None, 2, None, "sum")  # fmt: skip
    assert (s.ignore_index, s.reduction) == (t.ignore_index, t.reduction) == (2, "sum")
    w = np.linspace(0.5, 2.0, 3)
    s = snn.BCEWithLogitsLoss(w, None, None, "none", w)
    t = tnn.BCEWithLogitsLoss(torch.from_numpy(w), None, None, "none", torch.from_numpy(w))
    check_loss("BCEWithLogitsLoss(positional)", s, t, randn((4, 3), "float64"),
               binary((4, 3), "float64"), dtype="float64")  # fmt: skip
