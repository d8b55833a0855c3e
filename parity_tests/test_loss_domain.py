"""CrossEntropyLoss over torch's whole domain: -inf logits, per-class weights, empty inputs.

Split from test_loss.py. Every expected number comes from torch 2.14.1, run beside scratch.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.nn as snn
import torch_ref.nn.loss as tnn
from parity_check.core.harness import DTYPES, PROFILES, check_loss, measure, randn

REDUCTIONS = ("mean", "sum", "none")
INF = np.inf


def compare_with_nans(name, scratch_loss, torch_loss, x, target, dtype="float64"):
    """check_loss where NaN and inf are expected: NaN must sit where torch's NaN sits."""
    xt = torch.tensor(x, requires_grad=True)
    out_t = torch_loss(xt, torch.from_numpy(np.asarray(target)))
    out_s = scratch_loss(x, target)
    g = np.ones(np.shape(out_s), dtype)
    out_t.backward(torch.from_numpy(g))
    grad_s = scratch_loss.backward(g if g.ndim else 1.0)
    tol = PROFILES[dtype]
    for tensor, ours, theirs in (("loss", out_s, out_t), ("grad of input", grad_s, xt.grad)):
        assert np.shape(ours) == tuple(theirs.shape), f"[{name}] {tensor} shape"
        c = measure(ours, theirs, rtol=tol.rtol, atol=tol.atol)
        assert c.passed, f"[{name}] {tensor}: scratch != torch, {c}"
    return out_s


# -- 1. -inf logits (a masked class) ---------------------------------------------------------

MASKED = np.array([[0, -INF, 1, 2], [3, 1, -INF, -INF]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_minus_inf_logits_give_torchs_finite_loss(reduction, dtype):
    """Class indices: -log p of the target class only, never 0·(-inf) over the others."""
    loss = check_loss("CE(-inf logits)", snn.CrossEntropyLoss(reduction=reduction),
                      tnn.CrossEntropyLoss(reduction=reduction), MASKED.astype(dtype),
                      np.array([2, 0]), dtype=dtype)  # fmt: skip
    assert np.isfinite(loss).all()
    one = check_loss("CE(-inf, one row)", snn.CrossEntropyLoss(), tnn.CrossEntropyLoss(),
                     np.array([[0, -INF, 1]], dtype), np.array([0]), dtype=dtype)  # fmt: skip
    assert np.isfinite(one)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [False, True])
def test_a_row_ignore_index_skips_may_hold_minus_inf(reduction, weight):
    """Partly -inf on an ignored row: loss 0 for it, as torch's; the kept row is finite."""
    x = np.array([[0, -INF, 1, 2], [-INF, 1, -INF, -INF], [1, 2, -INF, 0]])
    kw = dict(reduction=reduction, ignore_index=1)
    w = np.array([0.5, 2.0, 1.5, 3.0])
    s_kw, t_kw = (dict(kw, weight=w), dict(kw, weight=torch.from_numpy(w))) if weight else (kw, kw)  # fmt: skip
    loss = check_loss("CE(-inf on an ignored row)", snn.CrossEntropyLoss(**s_kw),
                      tnn.CrossEntropyLoss(**t_kw), x, np.array([2, 1, 0]), dtype="float64")  # fmt: skip
    assert np.isfinite(loss).all()


CASES_WITH_NANS = [  # what torch computes inf or NaN for: scratch must match it exactly
    ("probabilities: 0·(-inf) is NaN", dict(), lambda: np.array([[0.2, 0, 0.3, 0.5], [1.0, 0, 0, 0]])),
    ("probabilities, smoothed: inf", dict(label_smoothing=0.1), lambda: np.array([[0.2, 0, 0.3, 0.5], [1.0, 0, 0, 0]])),
    ("indices, smoothed: inf", dict(label_smoothing=0.1), lambda: np.array([2, 0])),
    ("indices, smoothed, weighted", dict(label_smoothing=0.3, weight=np.array([1.0, 0.0, 2.0, 0.5])), lambda: np.array([2, 0])),
    ("the target's logit is -inf", dict(), lambda: np.array([1, 0])),
    ("a zero weight on a -inf target logit", dict(weight=np.array([1.0, 0.0, 2.0, 0.5])), lambda: np.array([1, 0])),
    ("probabilities, weighted", dict(weight=np.array([1.0, 0.0, 2.0, 0.5])), lambda: np.array([[0.2, 0, 0.3, 0.5], [1.0, 0, 0, 0]])),
]  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs,target", CASES_WITH_NANS, ids=[c[0] for c in CASES_WITH_NANS])
def test_minus_inf_logits_give_inf_or_nan_where_torch_does(name, kwargs, target, reduction):
    t_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}  # fmt: skip
    compare_with_nans(f"CE(-inf logits, {name})", snn.CrossEntropyLoss(reduction=reduction, **kwargs),
                      tnn.CrossEntropyLoss(reduction=reduction, **t_kwargs), MASKED.astype(float),
                      target())  # fmt: skip


def test_an_ignored_row_of_only_minus_inf_gives_torchs_nan_gradient():
    """All -inf: log_softmax is NaN; the loss skips the row (0) but the gradient is NaN."""
    x = np.array([[0, -INF, 1, 2], [-INF] * 4])
    kw = dict(reduction="none", ignore_index=3)
    out = compare_with_nans("CE(an all -inf ignored row)", snn.CrossEntropyLoss(**kw),
                            tnn.CrossEntropyLoss(**kw), x, np.array([2, 3]))  # fmt: skip
    assert out[1] == 0


# -- 2. per-class weights --------------------------------------------------------------------


@st.composite
def weighted_configs(draw):
    """A CrossEntropyLoss configuration with per-class weights, and an input shape."""
    C = draw(st.integers(1, 5), label="C")
    shape = draw(st.sampled_from([(C,), (3, C), (7, C), (2, C, 3), (2, C, 2, 3)]), label="shape")
    kwargs = dict(
        reduction=draw(st.sampled_from(REDUCTIONS), label="reduction"),
        label_smoothing=draw(st.sampled_from([0.0, 0.1, 0.45, 1.0]), label="label_smoothing"),
        ignore_index=draw(st.sampled_from([-100, 0, C - 1]), label="ignore_index"),
    )
    zeros = draw(st.booleans(), label="some weights 0")
    probabilities = draw(st.booleans(), label="probability targets")
    return C, shape, kwargs, zeros, probabilities, draw(st.integers(0, 2**16), label="seed")


@given(config=weighted_configs())
@example(config=(4, (7, 4), dict(reduction="mean", label_smoothing=0.1, ignore_index=2), False, False, 0))  # the subtle one: smoothed, weighted, ignored  # fmt: skip
@example(config=(3, (3, 3), dict(reduction="mean", label_smoothing=0.0, ignore_index=-100), True, True, 1))  # probabilities: the mean divides by N  # fmt: skip
def test_class_weights_as_torch(config):
    """weight= against torch: its weighted mean divides by Σ w[target] over the kept samples
    (class indices) or by N (probabilities), combined with ignore_index and smoothing."""
    C, shape, kwargs, zeros, probabilities, seed = config
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.2, 3.0, C)
    if zeros:
        w[rng.random(C) < 0.4] = 0.0
    class_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if probabilities:
        kwargs["ignore_index"] = -1 if kwargs["ignore_index"] >= 0 else -100  # torch: < 0 only
        p = rng.random(shape)
        t = p / p.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    else:
        t = rng.integers(0, C, class_shape)
        if C > 1 and kwargs["ignore_index"] >= 0 and np.all(t == kwargs["ignore_index"]):
            t.flat[0] = (kwargs["ignore_index"] + 1) % C  # keep one sample: 0/0 is NaN
    for dtype in DTYPES:
        target = t.astype(dtype) if probabilities else t
        x = randn(shape, dtype, seed=seed % 97, scale=2)
        s = snn.CrossEntropyLoss(weight=w.astype(dtype), **kwargs)
        tl = tnn.CrossEntropyLoss(weight=torch.from_numpy(w.astype(dtype)), **kwargs)
        if np.sum(w[t[t != kwargs["ignore_index"]]] if not probabilities else 1) == 0:
            compare_with_nans(f"CE(weight) {kwargs}", s, tl, x, target, dtype)  # 0/0: NaN
        else:
            check_loss(f"CE(weight) {kwargs}", s, tl, x, target, dtype=dtype)


def test_weighted_mean_is_not_the_mean_of_the_per_sample_losses():
    """torch's weighted mean: Σ w[t_i] l_i / Σ w[t_i]. A mean over N would differ."""
    x, t, w = randn((6, 3), "float64"), np.array([0, 0, 0, 0, 0, 2]), np.array([1.0, 2.0, 10.0])
    mean = check_loss("CE(weight) mean", snn.CrossEntropyLoss(weight=w),
                      tnn.CrossEntropyLoss(weight=torch.from_numpy(w)), x, t, dtype="float64")  # fmt: skip
    per_sample = snn.CrossEntropyLoss(weight=w, reduction="none")(x, t)
    assert not np.isclose(mean, per_sample.mean())


def test_weight_is_a_buffer_in_the_state_dict_as_torch():
    w = np.array([1.0, 2.0, 0.5])
    s, t = snn.CrossEntropyLoss(weight=w), tnn.CrossEntropyLoss(weight=torch.from_numpy(w))
    assert list(s.state_dict()) == list(t.state_dict()) == ["weight"]
    assert list(snn.CrossEntropyLoss().state_dict()) == list(tnn.CrossEntropyLoss().state_dict())
    assert s.float().weight.dtype == np.float32


@pytest.mark.parametrize("weight", [np.ones(2), np.ones((2, 2))], ids=["2 of 3", "2-D"])
def test_weight_of_the_wrong_shape_is_refused_as_torch(weight):
    x = randn((4, 3), "float64")
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 3"):
        tnn.CrossEntropyLoss(weight=torch.from_numpy(weight))(torch.from_numpy(x), torch.tensor([0, 1, 2, 0]))  # fmt: skip
    with pytest.raises(ValueError, match="weight must"):
        snn.CrossEntropyLoss(weight=weight)(x, np.array([0, 1, 2, 0]))


def test_probability_targets_refuse_a_nonnegative_ignore_index_as_torch():
    x, p = randn((2, 3), "float64"), np.full((2, 3), 1 / 3)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        tnn.CrossEntropyLoss(ignore_index=0)(torch.from_numpy(x), torch.from_numpy(p))
    with pytest.raises(ValueError, match="ignore_index=0 is not supported for probability"):
        snn.CrossEntropyLoss(ignore_index=0)(x, p)
    check_loss("CE(probs, ignore_index=-1)", snn.CrossEntropyLoss(ignore_index=-1),
               tnn.CrossEntropyLoss(ignore_index=-1), x, p, dtype="float64")  # fmt: skip


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("targets", [[1, 1], [1, 0]], ids=["all ignored", "zero weights"])
def test_a_zero_denominator_gives_torchs_nan_mean_and_gradient(targets, smoothing):
    """'mean' with Σ w[t] = 0: NaN loss; each kept row's gradient NaN, an ignored row's 0."""
    w = np.array([0.0, 2.0, 1.0])
    kw = dict(ignore_index=1, label_smoothing=smoothing)
    compare_with_nans("CE(0/0)", snn.CrossEntropyLoss(weight=w, **kw),
                      tnn.CrossEntropyLoss(weight=torch.from_numpy(w), **kw),
                      randn((2, 3), "float64"), np.array(targets))  # fmt: skip


# -- 4. a zero-length dimension --------------------------------------------------------------

EMPTY = [  # input shape, target: indices (shape) or probabilities (None)
    ((0, 3), np.zeros(0, np.int64)), ((0, 3), None), ((2, 0), np.full(2, -100)), ((2, 0), None),
    ((2, 3, 0), np.zeros((2, 0), np.int64)), ((2, 3, 0), None), ((0,), None),
]  # fmt: skip


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,target", EMPTY, ids=[f"{s}-{'probs' if t is None else 'indices'}" for s, t in EMPTY])  # fmt: skip
def test_an_empty_dimension_gives_torchs_empty_or_nan_loss(shape, target, reduction, smoothing):
    """torch: 'mean' of nothing is NaN, 'sum' 0, 'none' an empty (or zero) array."""
    x = np.zeros(shape)
    target = np.zeros(shape) if target is None else target
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    compare_with_nans(f"CE(empty {shape})", snn.CrossEntropyLoss(**kw), tnn.CrossEntropyLoss(**kw),
                      x, target)  # fmt: skip


# -- the same patterns in the other losses (the survey) ---------------------------------------

INF_LOGITS = np.array([[-INF, INF, 0.5], [2.0, -INF, INF]])
INF_TARGETS = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["BCEWithLogitsLoss", "FocalLoss"])
def test_infinite_logits_give_torchs_inf_and_nan(name, reduction):
    """torch's (1-y)·x + log(1 + e^(-x)): 0·(-inf) = NaN for x = -inf, y = 1; inf for x = +inf,
    y = 0. torchvision's focal loss is built on it, so it gives the same pattern."""
    compare_with_nans(f"{name}(±inf logits)", getattr(snn, name)(reduction=reduction),
                      getattr(tnn, name)(reduction=reduction), INF_LOGITS, INF_TARGETS)  # fmt: skip


@pytest.mark.filterwarnings("error")  # 0/0 must give torch's NaN without NumPy's warning
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["MSELoss", "BCELoss", "BCEWithLogitsLoss", "FocalLoss"])
def test_an_empty_batch_gives_torchs_nan_mean_quietly(name, reduction):
    e = np.empty((0, 3))
    compare_with_nans(f"{name}(empty)", getattr(snn, name)(reduction=reduction),
                      getattr(tnn, name)(reduction=reduction), e, e)  # fmt: skip
