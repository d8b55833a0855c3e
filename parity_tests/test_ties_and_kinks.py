"""Parity exactly on the ties and kinks that the rest of the suite keeps its inputs away from.

Elsewhere inputs are distinct values kept off kinks, where two different rules can both look
right. Here they sit on them (zeros, integers, inputs after a ReLU, p ∈ {0, 1}, a norm equal
to max_norm) and outputs *and* gradients are compared with torch. torch's rules, each cited
from torch's source in the scratch docstring: MaxPool2d gives a tie's gradient to the first
maximum in row-major order (of several NaNs the last; in an all -inf window the first input
element, never the padding); AvgPool2d's ceil_mode overhang divides by the elements inside;
ReLU' (0) = 0 and ReLU' (NaN) = 1, LeakyReLU' (0) = negative_slope; clip_grad_norm_ scales
by max_norm/(total + 1e-6) even at total == max_norm; clip_grad_value_ is clamp_min(-c) then
clamp_max(c); BCELoss clamps log at -100 and p(1-p) at float32 1e-12; FocalLoss's gradient is
NaN where p_t rounds to 1 with γ < 1; a constant BatchNorm channel gives x_hat = 0 and
dx = γ/√eps·(dy - mean dy); Dropout(0) is the identity, Dropout(1) multiplies by 0; argmax
(NeuralNetwork.predict, mnist_challenge's ``logits.argmax(1)``) takes the first maximum;
sign(0) = 0 in l1_penalty_grad. Sigmoid, Tanh, GELU, SiLU, softmax, cross-entropy and
attention are smooth: compared at 0 and on tied scores anyway. docs/contract.md, "Ties and kinks", lists
the sources; ``test_blind_spots.py`` plants the wrong rules and checks these tests fail.
Scratch functions are looked up when a test runs (``sf.relu_derivative``), so a planted bug
reaches them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import scratch.functional as sf
import scratch.nn as snn
import scratch.nn.utils as snu
import scratch.regularization as sreg
import torch_ref.nn.activation as tact
import torch_ref.nn.attention as tattn
import torch_ref.nn.batchnorm as tbn
import torch_ref.nn.loss as tloss
import torch_ref.nn.pooling as tpool
from parity_check.core.harness import (
    DTYPES,
    PROFILES,
    assert_close,
    check_function,
    check_loss,
    check_module,
    sync_weights,
    upstream_like,
)
from scratch.models import NeuralNetwork
from scratch.nn.module import Parameter
from torch_ref.models import NeuralNetwork as TorchNeuralNetwork

NAN, INF = math.nan, math.inf


def ints(shape, dtype: str, lo: int = -2, hi: int = 3, seed: int = 0) -> np.ndarray:
    """Integer values in [lo, hi): exact in both dtypes, and full of ties and zeros."""
    rng = np.random.default_rng(seed)
    return rng.integers(lo, hi, shape).astype(PROFILES[dtype].np_dtype)


def arr(values, dtype: str) -> np.ndarray:
    return np.array(values, dtype=PROFILES[dtype].np_dtype)


def same_nans(actual, expected, *, component: str, tensor: str, dtype: str, **tol) -> None:
    """``assert_close``, where torch's NaNs must be NaN in scratch too (and only those)."""
    a, e = np.asarray(actual), expected.detach().numpy()
    nan = np.isnan(e)
    if not np.array_equal(np.isnan(a), nan):
        raise AssertionError(f"[{component}] {tensor} ({dtype}): NaN at "
                             f"{np.argwhere(np.isnan(a)).tolist()}, torch's at {np.argwhere(nan).tolist()}")  # fmt: skip
    assert_close(np.where(nan, 0, a), np.where(nan, 0, e), component=component, tensor=tensor,
                 dtype=dtype, **tol)  # fmt: skip


def run_module(component: str, scratch_module, torch_module, x: np.ndarray, dtype: str,
               grad: float | None = None):  # fmt: skip
    """One input, forward and backward in both twins (upstream ``grad``, else a random one),
    output and input gradient compared NaN-aware; returns torch's (output, input grad)."""
    t = torch.tensor(x, requires_grad=True)
    out_t, out_s = torch_module(t), scratch_module(x)
    same_nans(out_s, out_t, component=component, tensor="output", dtype=dtype)
    g = upstream_like(out_s) if grad is None else np.full(out_s.shape, grad, out_s.dtype)
    out_t.backward(torch.from_numpy(g))
    same_nans(scratch_module.backward(g), t.grad, component=component, tensor="grad of input",
              dtype=dtype)  # fmt: skip
    return out_t.detach().numpy(), t.grad.numpy()


# -- pooling ---------------------------------------------------------------------------------


def minus_inf(d):  # -inf blocks at a corner, an edge and inside: all -inf windows
    x = ints((1, 2, 4, 5), d, 1, 3)
    x[:, 0, :2, :2] = x[:, 1, 1:, 2:] = -INF
    return x


MAX_TIES = [
    ("zeros 2x2 (issue 16)", dict(kernel_size=2), lambda d: np.zeros((1, 1, 2, 2), d)),
    ("(1, 2) on [1, 1] (issue 16)", dict(kernel_size=(1, 2)), lambda d: np.ones((1, 1, 1, 2), d)),
    ("integers: ties in most windows", dict(kernel_size=2), lambda d: ints((2, 3, 6, 7), d)),
    ("overlapping 3/1: one element wins several windows", dict(kernel_size=3, stride=1), lambda d: ints((2, 2, 6, 6), d, 0, 2)),
    ("after a ReLU, 3/2 padding 1 (ResNet stem)", dict(kernel_size=3, stride=2, padding=1), lambda d: np.maximum(ints((2, 2, 7, 7), d), 0)),
    ("padding: -inf windows", dict(kernel_size=3, stride=1, padding=1), minus_inf),
    ("padding: all -inf", dict(kernel_size=3, stride=2, padding=1), lambda d: np.full((1, 1, 3, 3), -INF, d)),
    ("dilation 2 on ties", dict(kernel_size=2, dilation=2, padding=1), lambda d: ints((1, 2, 6, 6), d, 0, 2)),
    ("ceil_mode: a window past the input, all -inf", dict(kernel_size=2, ceil_mode=True), lambda d: np.full((1, 1, 3, 3), -INF, d)),
    ("ceil_mode + padding on integers", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), lambda d: ints((2, 2, 6, 6), d)),
    ("rectangular (2, 3)/(1, 2) on zeros", dict(kernel_size=(2, 3), stride=(1, 2)), lambda d: np.zeros((1, 2, 3, 7), d)),
    ("NaN: the last NaN of a window wins", dict(kernel_size=2), lambda d: arr([[[[NAN, 1, 0, NAN], [NAN, 2, NAN, NAN]]]], d)),
]  # fmt: skip
AVG_CEIL = [
    ("(1, 2) on [1, 2, 3] (issue 16)", dict(kernel_size=(1, 2), ceil_mode=True), lambda d: arr([[[[1, 2, 3]]]], d)),
    ("2x2 on 3x3 (issue 16)", dict(kernel_size=2, ceil_mode=True), lambda d: np.arange(1, 10, dtype=d).reshape(1, 1, 3, 3)),
    ("3/2 on 6x6: the last window holds two rows", dict(kernel_size=3, stride=2, ceil_mode=True), lambda d: ints((2, 2, 6, 6), d)),
    ("3/2 padding 1: clipped to the padded input", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), lambda d: ints((2, 2, 6, 6), d)),
    ("3/2 padding 1, count_include_pad=False", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), lambda d: ints((2, 2, 6, 6), d)),
    ("(2, 3)/(2, 2) on 5x7", dict(kernel_size=(2, 3), stride=2, ceil_mode=True), lambda d: ints((1, 2, 5, 7), d)),
    ("divisor_override ignores the overhang", dict(kernel_size=2, ceil_mode=True, divisor_override=3), lambda d: ints((1, 1, 3, 5), d)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs,make", MAX_TIES, ids=[c[0] for c in MAX_TIES])
def test_max_pool_ties(name, kwargs, make, dtype):
    """Random upstream gradients: a gradient routed to the wrong element of a tie shows."""
    x = make(dtype)
    run_module(f"MaxPool2d {name}", snn.MaxPool2d(**kwargs), tpool.MaxPool2d(**kwargs), x, dtype)
    same_nans(sf.max_pool2d(x, **kwargs), tpool.max_pool2d(torch.from_numpy(x), **kwargs),
              component=f"max_pool2d {name}", tensor="output", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs,make", AVG_CEIL, ids=[c[0] for c in AVG_CEIL])
def test_avg_pool_ceil_mode_overhang(name, kwargs, make, dtype):
    x = make(dtype)
    check_module(f"AvgPool2d {name}", snn.AvgPool2d(**kwargs), tpool.AvgPool2d(**kwargs), x,
                 dtype=dtype)  # fmt: skip
    assert_close(sf.avg_pool2d(x, **kwargs), tpool.avg_pool2d(torch.from_numpy(x), **kwargs),
                 component=f"avg_pool2d {name}", tensor="output", dtype=dtype)  # fmt: skip


ISSUE_16 = [  # module kwargs, input, torch's output and input gradient under upstream 1
    ("MaxPool2d", dict(kernel_size=2), np.zeros((1, 1, 2, 2)), [[[[0.0]]]], [[[[1, 0], [0, 0]]]]),
    ("MaxPool2d", dict(kernel_size=(1, 2)), [[[[1.0, 1.0]]]], [[[[1.0]]]], [[[[1, 0]]]]),
    ("AvgPool2d", dict(kernel_size=(1, 2), ceil_mode=True), [[[[1.0, 2.0, 3.0]]]], [[[[1.5, 3.0]]]], [[[[0.5, 0.5, 1.0]]]]),
    ("AvgPool2d", dict(kernel_size=2, ceil_mode=True), np.arange(1.0, 10.0).reshape(1, 1, 3, 3),
     [[[[3.0, 4.5], [7.5, 9.0]]]], [[[[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]]]]),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pool,kwargs,x,out,grad", ISSUE_16, ids=[f"{c[0]}{c[1]}" for c in ISSUE_16])  # fmt: skip
def test_issue_16_inputs(pool, kwargs, x, out, grad, dtype):
    """The issue's inputs under upstream gradient 1: scratch equals torch, and torch gives
    the values the issue states (the first maximum; the overhang divides by 1)."""
    x = arr(x, dtype)
    got = run_module(f"{pool}{kwargs} (issue 16)", getattr(snn, pool)(**kwargs),
                     getattr(tpool, pool)(**kwargs), x, dtype, grad=1.0)  # fmt: skip
    np.testing.assert_array_equal(got[0], arr(out, dtype))
    np.testing.assert_array_equal(got[1], arr(grad, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_then_max_pool_like_challenge_net(dtype):
    """ChallengeNet's stem: ReLU then MaxPool2d(2), so zeros tie in most windows."""
    x = ints((2, 3, 8, 8), dtype)
    check_module("ReLU → MaxPool2d(2)", snn.Sequential(snn.ReLU(), snn.MaxPool2d(2)),
                 torch.nn.Sequential(tact.ReLU(), tpool.MaxPool2d(2)), x, dtype=dtype)  # fmt: skip


# -- activations -----------------------------------------------------------------------------

AT_ZERO = [-3.0, -2.0, -1.0, -0.0, 0.0, 0.0, 1.0, 2.0]  # integers, and 0 of both signs
# name, scratch Module, torch Module, scratch f, torch f, scratch f' (looked up at call time)
ACTIVATIONS = [
    ("ReLU (kink: f'(0) = 0)", lambda: snn.ReLU(), lambda: tact.ReLU(), lambda z: sf.relu(z), F.relu, lambda z: sf.relu_derivative(z)),
    ("LeakyReLU(0.2) (kink: f'(0) = 0.2)", lambda: snn.LeakyReLU(0.2), lambda: tact.LeakyReLU(0.2), lambda z: sf.leaky_relu(z, 0.2), lambda t: F.leaky_relu(t, 0.2), lambda z: sf.leaky_relu_derivative(z, 0.2)),
    ("LeakyReLU(-1.5) (kink: f'(0) = -1.5)", lambda: snn.LeakyReLU(-1.5), lambda: tact.LeakyReLU(-1.5), lambda z: sf.leaky_relu(z, -1.5), lambda t: F.leaky_relu(t, -1.5), lambda z: sf.leaky_relu_derivative(z, -1.5)),
    ("Sigmoid (no kink)", lambda: snn.Sigmoid(), lambda: tact.Sigmoid(), lambda z: sf.sigmoid(z), torch.sigmoid, lambda z: sf.sigmoid_derivative(z)),
    ("Tanh (no kink)", lambda: snn.Tanh(), lambda: tact.Tanh(), lambda z: sf.tanh(z), torch.tanh, lambda z: sf.tanh_derivative(z)),
    ("GELU (no kink)", lambda: snn.GELU(), lambda: tact.GELU(), lambda z: sf.gelu(z), F.gelu, lambda z: sf.gelu_derivative(z)),
    ("GELU(tanh) (no kink)", lambda: snn.GELU("tanh"), lambda: tact.GELU("tanh"), lambda z: sf.gelu(z, "tanh"), lambda t: F.gelu(t, approximate="tanh"), lambda z: sf.gelu_derivative(z, "tanh")),
    ("SiLU (no kink)", lambda: snn.SiLU(), lambda: tact.SiLU(), lambda z: sf.silu(z), F.silu, lambda z: sf.silu_derivative(z)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,make,make_torch,f,tf,df", ACTIVATIONS, ids=[c[0].split()[0] for c in ACTIVATIONS])  # fmt: skip
def test_activation_at_zero(name, make, make_torch, f, tf, df, dtype):
    x = arr(AT_ZERO, dtype)
    check_function(name, f, tf, x, dtype=dtype, derivative=df)
    check_module(name, make(), make_torch(), x.reshape(2, 4), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_family_at_nan(dtype):
    """Not a kink, but the same comparison decides it: torch's ReLU passes the gradient at
    NaN (NaN <= 0 is false), LeakyReLU scales it by the slope (NaN > 0 is false)."""
    x = arr([[NAN, 0.0, -1.0, 2.0]], dtype)
    run_module("ReLU at NaN", snn.ReLU(), tact.ReLU(), x, dtype)
    run_module("LeakyReLU(0.2) at NaN", snn.LeakyReLU(0.2), tact.LeakyReLU(0.2), x, dtype)
    t = torch.tensor(x, requires_grad=True)
    (d_t,) = torch.autograd.grad(F.relu(t).sum(), t)
    same_nans(sf.relu_derivative(x), d_t, component="relu_derivative", tensor="at NaN", dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tied_logits(dtype):
    """Softmax has no kink; tied logits give equal probabilities, and a target on a tie or
    beside it gives the same loss and gradient in both twins."""
    x = arr([[0, 0, 0, 0], [2, 2, 1, 2], [1, 1, 1, 1], [-1, 3, 3, 0]], dtype)
    for name, s, t in [("Softmax", snn.Softmax(dim=1), tact.Softmax(dim=1)),
                       ("LogSoftmax", snn.LogSoftmax(dim=1), tact.LogSoftmax(dim=1))]:  # fmt: skip
        check_module(f"{name} (tied logits)", s, t, x, dtype=dtype)
    classes = np.array([0, 3, 2, 1])
    for kw in (dict(), dict(label_smoothing=0.1), dict(reduction="none")):
        check_loss(f"CrossEntropyLoss{kw} (tied logits)", snn.CrossEntropyLoss(**kw),
                   tloss.CrossEntropyLoss(**kw), x, classes, dtype=dtype)  # fmt: skip


# -- gradient clipping -----------------------------------------------------------------------


def twin_params(grads, dtype):
    """Scratch and torch parameters holding the same gradients."""
    grads = [arr(g, dtype) for g in grads]
    s = [Parameter(np.zeros_like(g)) for g in grads]
    t = [torch.nn.Parameter(torch.zeros(g.shape, dtype=PROFILES[dtype].torch_dtype)) for g in grads]
    for p, q, g in zip(s, t, grads, strict=True):
        p.grad, q.grad = g.copy(), torch.from_numpy(g.copy())
    return s, t


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("clip_value", [2.0, 0.0, -1.0])
def test_clip_grad_value_at_the_bounds(clip_value, dtype):
    """±2 sit on the bound of clip_value 2; at 0 the bounds meet, at -1 they cross."""
    s, t = twin_params([[2, -2, 1, -3, 3, 0], [[-2.0, 2.5], [0.5, -0.0]]], dtype)
    snu.clip_grad_value_(s, clip_value)
    torch.nn.utils.clip_grad_value_(t, clip_value)
    for i, (p, q) in enumerate(zip(s, t, strict=True)):
        assert_close(p.grad, q.grad, component=f"clip_grad_value_({clip_value})",
                     tensor=f"grad {i}", dtype=dtype)  # fmt: skip


NORM_CASES = [  # grads, max_norm, norm_type
    ("2-norm == max_norm", [[3, 4]], 5.0, 2.0),
    ("2-norm == max_norm over two parameters", [[1, 2], [2]], 3.0, 2.0),
    ("inf-norm tie == max_norm", [[3, -3], [1]], 3.0, INF),
    ("all zero", [[0, 0], [0]], 1.0, 2.0),
    ("max_norm 0", [[3, 4]], 0.0, 2.0),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,grads,max_norm,norm_type", NORM_CASES, ids=[c[0] for c in NORM_CASES])  # fmt: skip
def test_clip_grad_norm_at_max_norm(name, grads, max_norm, norm_type, dtype):
    s, t = twin_params(grads, dtype)
    total_s = snu.clip_grad_norm_(s, max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type)
    assert_close(total_s, total_t, component=f"clip_grad_norm_ ({name})", tensor="total norm",
                 dtype=dtype)  # fmt: skip
    for i, (p, q) in enumerate(zip(s, t, strict=True)):
        assert_close(p.grad, q.grad, component=f"clip_grad_norm_ ({name})", tensor=f"grad {i}",
                     dtype=dtype)  # fmt: skip


# -- losses ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_bce_on_its_clamps(reduction, dtype):
    """p ∈ {0, 1} against every kind of target, p below e^-100 (the log clamp; float32's
    smallest subnormal is e^-103) and p = 1e-13 (the gradient's denominator clamp only)."""
    tiny = float(np.finfo(PROFILES[dtype].np_dtype).smallest_subnormal)
    p = arr([0, 0, 0, 1, 1, 1, tiny, tiny, 1e-13, 0.5], dtype)
    y = arr([0, 1, 0.5, 0, 1, 0.5, 1, 0, 1, 1], dtype)
    check_loss(f"BCELoss({reduction}) on the clamps", snn.BCELoss(reduction=reduction),
               tloss.BCELoss(reduction=reduction), p, y, dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0])
def test_focal_loss_where_p_t_is_one(gamma, dtype):
    """Saturated logits with hard targets (p_t rounds to 1, m = 1 - p_t = 0): for γ < 1 torch's
    gradient is NaN there, for γ ≥ 1 it is finite; a soft target and a logit 0 stay finite."""
    x = arr([40, -40, 1e4, -1e4, 0, 3], dtype)
    y = arr([1, 0, 1, 0, 1, 0.5], dtype)
    loss = snn.FocalLoss(gamma=gamma, reduction="none")
    t = torch.tensor(x, requires_grad=True)
    loss_t = tloss.FocalLoss(gamma=gamma, reduction="none")(t, torch.from_numpy(y))
    name = f"FocalLoss(gamma={gamma}) at p_t = 1"
    same_nans(loss(x, y), loss_t, component=name, tensor="loss", dtype=dtype)
    g = upstream_like(loss_t)
    loss_t.backward(torch.from_numpy(g))
    same_nans(loss.backward(g), t.grad, component=name, tensor="grad of input", dtype=dtype)


# -- normalisation, dropout, attention -------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_batch_norm_constant_channels(eps, dtype):
    """Channels of zeros (a dead ReLU), of 3s, and after a ReLU: variance 0 where constant,
    so x_hat = 0 and the input gradient is γ/√eps·(dy - mean dy), eps deciding its size.

    Tolerance: torch computes y = x·α + β with α = γ/√(σ² + eps) and β = b - μα
    (batch_norm_kernel.cpp), so on a constant channel x·α and β cancel and what is left is the
    rounding of β, up to ε·|μγ|/√eps (6e-5 in float32 for μ = 3, γ = 2, eps = 1e-5); scratch's
    (x - μ)·α is exactly 0. Any wrong rule at variance 0 is off by order 1 or more."""
    x = ints((4, 3, 2, 3), dtype, 0, 3)
    x[:, 0], x[:, 1] = 0, 3
    profile = PROFILES[dtype]
    atol = max(profile.atol, float(np.finfo(profile.np_dtype).eps) * 3 * 2 / math.sqrt(eps))
    for name, s, t, xs in [("BatchNorm2d", snn.BatchNorm2d(3, eps=eps), tbn.BatchNorm2d(3, eps=eps), x),
                           ("BatchNorm1d", snn.BatchNorm1d(3, eps=eps), tbn.BatchNorm1d(3, eps=eps), x[:, :, 0, 0])]:  # fmt: skip
        with torch.no_grad():  # a γ and β other than 1 and 0, so eps's share shows in dγ too
            t.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
            t.bias.copy_(torch.tensor([0.25, -1.0, 0.0]))
        check_module(f"{name}(eps={eps}) (constant channels)", s, t, xs, dtype=dtype, atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_at_p_zero_and_one(p, dtype):
    """The two ends need no random mask: p = 0 returns the input, p = 1 multiplies it by 0."""
    x = ints((3, 4), dtype)
    check_module(f"Dropout(p={p})", snn.Dropout(p), torch.nn.Dropout(p), x, dtype=dtype)
    assert_close(sf.dropout(x, p, True), F.dropout(torch.from_numpy(x), p, True),
                 component=f"dropout(p={p})", tensor="output", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_attention_with_tied_scores(dtype):
    """No kink: equal scores give uniform weights. SDPA with a zero query and repeated keys;
    self-attention over repeated tokens, where every score of a head ties."""
    q, k, v = ints((2, 3, 4), dtype), ints((2, 5, 4), dtype, 0, 2, seed=1), ints((2, 5, 4), dtype, seed=2)  # fmt: skip
    q[0], k[:, 1] = 0, k[:, 0]
    leaves = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out_t = tattn.scaled_dot_product_attention(*leaves)
    out_s, cache = sf.scaled_dot_product_attention_forward(q, k, v, None, 0.0, False, None)
    assert_close(out_s, out_t, component="SDPA (tied scores)", tensor="output", dtype=dtype)
    g = upstream_like(out_s)
    out_t.backward(torch.from_numpy(g))
    for name, g_s, leaf in zip("qkv", sf.scaled_dot_product_attention_backward(g, cache), leaves, strict=True):  # fmt: skip
        assert_close(g_s, leaf.grad, component="SDPA (tied scores)", tensor=f"grad of {name}",
                     dtype=dtype)  # fmt: skip
    s_mha, t_mha = snn.MultiheadAttention(4, 2, batch_first=True), tattn.MultiheadAttention(4, 2, batch_first=True)  # fmt: skip
    t_mha.to(PROFILES[dtype].torch_dtype)
    s_mha.to(PROFILES[dtype].np_dtype)
    sync_weights(s_mha, t_mha)
    x = np.repeat(ints((2, 1, 4), dtype, seed=3), 3, axis=1)
    xt = torch.tensor(x, requires_grad=True)
    (out_t, w_t), (out_s, w_s) = t_mha(xt, xt, xt), s_mha(x, x, x)
    tol = dict(component="MultiheadAttention (repeated tokens)", dtype=dtype)
    assert_close(out_s, out_t, tensor="output", **tol)
    assert_close(w_s, w_t, tensor="attention weights", **tol)
    g = upstream_like(out_s)
    out_t.backward(torch.from_numpy(g))
    assert_close(sum(s_mha.backward(g)), xt.grad, tensor="grad of x", **tol)
    torch_params = dict(t_mha.named_parameters())
    for name, param in s_mha.named_parameters():
        assert_close(param.grad, torch_params[name].grad, tensor=f"grad of {name}", **tol)


# -- predictions and penalties ---------------------------------------------------------------


def test_prediction_takes_the_first_of_tied_classes():
    """torch.argmax takes the first maximal index, and mnist_challenge's accuracy uses it on
    both engines' logits (``logits.argmax(1)``); so must NeuralNetwork.predict on ties."""
    net, twin = NeuralNetwork([3, 4]), TorchNeuralNetwork([3, 4]).double()
    with torch.no_grad():
        twin.layers[0].weight.copy_(torch.tensor([[0.0, 0, 0], [1, 1, 0], [1, 1, 0], [0, 0, 1]]))
        twin.layers[0].bias.zero_()
    sync_weights(net, twin)
    X = np.array([[0.0, 0, 0], [1, 0, 0], [0, 0, 1], [1, 1, 2]])
    expected = twin(torch.from_numpy(X)).argmax(1).numpy()
    np.testing.assert_array_equal(expected, [0, 1, 3, 1])  # torch's rule itself
    np.testing.assert_array_equal(net.predict(X), expected)
    binary, binary_twin = NeuralNetwork([2, 1], output="sigmoid"), TorchNeuralNetwork([2, 1])
    sync_weights(binary, binary_twin.double())
    X = np.zeros((2, 2))  # logit exactly 0: probability 0.5 is not > 0.5, so class 0
    torch_pred = (torch.sigmoid(binary_twin(torch.from_numpy(X))) > 0.5).long().numpy()[:, 0]
    np.testing.assert_array_equal(binary.predict(X)[:, 0], torch_pred)


@pytest.mark.parametrize("dtype", DTYPES)
def test_l1_penalty_gradient_at_zero(dtype):
    w = ints((3, 4), dtype)
    t = torch.tensor(w, requires_grad=True)
    (0.1 * t.abs().sum()).backward()
    assert_close(sreg.l1_penalty_grad(w, 0.1), t.grad, component="l1_penalty_grad",
                 tensor="grad at zeros", dtype=dtype)  # fmt: skip
