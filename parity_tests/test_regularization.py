"""Parity of scratch/regularization.py with torch (torch_ref/regularization.py).

- L1/L2 penalties: value against torch ops, gradient against autograd.
- The factor-of-2 convention, proven on trajectories: ``torch.optim.SGD(weight_decay=λ)`` ==
  plain SGD on ``loss + (λ/2)‖w‖²`` (torch, autograd) == scratch's hand-written gradient
  descent with ``l2_penalty_grad``; and the seed's ``λ‖w‖²`` is weight_decay=2λ, not λ.
- The overfitting demo: NumPy fits vs ``torch.linalg`` fits, within a tolerance derived from
  the condition number, and the story asserted (degree 15: lowest train, highest test error).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.nn as snn
import scratch.regularization as sr
import torch_ref.regularization as tr
from parity_tests.harness import DTYPES, assert_close, assert_trajectory_close, randn

LAM = 0.05
SHAPES = [(4, 3), (3,), (2, 3, 2)]


def weights(dtype: str) -> list[np.ndarray]:
    ws = [randn(s, dtype, seed=i, kinks=()) for i, s in enumerate(SHAPES)]
    ws[0][0, :2] = 0.0  # exact zeros: L1's subgradient there must be torch's (0)
    return ws


PENALTIES = [
    ("l1_penalty", sr.l1_penalty, sr.l1_penalty_grad, tr.l1_penalty),
    ("l2_penalty", sr.l2_penalty, sr.l2_penalty_grad, tr.l2_penalty),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "name,penalty,grad,torch_penalty", PENALTIES, ids=[p[0] for p in PENALTIES]
)
def test_penalty_value_and_gradient(name, penalty, grad, torch_penalty, dtype):
    ws = weights(dtype)
    ts = [torch.tensor(w, requires_grad=True) for w in ws]
    value_t = torch_penalty(ts, LAM)
    value_t.backward()
    value = penalty(ws, LAM)
    assert value.dtype == ws[0].dtype
    assert_close(value, value_t, component=name, tensor="value", dtype=dtype)
    for i, (g, t) in enumerate(zip(grad(ws, LAM), ts, strict=True)):
        assert_close(g, t.grad, component=name, tensor=f"grad of weight {i}", dtype=dtype)
    single = grad(ws[1], LAM)  # one array in, one array out
    assert_close(single, ts[1].grad, component=name, tensor="grad of a single array", dtype=dtype)


# -- SGD weight_decay == plain SGD on loss + (λ/2)‖w‖² -----------------------------------------
STEPS, LR = 100, 0.1


def regression(dtype: str):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 5)).astype(dtype)
    y = (X @ rng.standard_normal((5, 1)) + 0.1 * rng.standard_normal((32, 1))).astype(dtype)
    return X, y


def torch_trajectory(dtype: str, *, weight_decay: float = 0.0, penalty=None) -> list[np.ndarray]:
    """Weights (W, b flattened) after each SGD step; ``penalty(params)`` is added to the loss."""
    X, y = (torch.from_numpy(a) for a in regression(dtype))
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 1).to(getattr(torch, dtype))
    with torch.no_grad():
        model.weight.copy_(torch.linspace(-1, 1, 5))
        model.bias.fill_(0.5)
    opt = torch.optim.SGD(model.parameters(), lr=LR, weight_decay=weight_decay)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), y)
        if penalty is not None:
            loss = loss + penalty(list(model.parameters()))
        loss.backward()
        opt.step()
        trajectory.append(torch.cat([p.detach().flatten() for p in model.parameters()]).clone())
    return trajectory


def scratch_trajectory(dtype: str, penalty_grad) -> list[np.ndarray]:
    """Plain gradient descent written by hand: w ← w - lr (∇loss + ∇penalty)."""
    X, y = regression(dtype)
    model = snn.Linear(5, 1, dtype=np.dtype(dtype).type)
    model.weight.data[...] = np.linspace(-1, 1, 5)
    model.bias.data[...] = 0.5
    loss_fn = snn.MSELoss()
    params = list(model.parameters())
    trajectory = []
    for _ in range(STEPS):
        model.zero_grad()
        loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        extra = penalty_grad([p.data for p in params])
        for p, g in zip(params, extra, strict=True):
            p.data = p.data - p.data.dtype.type(LR) * (p.grad + g)
        trajectory.append(np.concatenate([p.data.ravel() for p in params]))
    return trajectory


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_weight_decay_equals_l2_penalty(dtype):
    decayed = torch_trajectory(dtype, weight_decay=LAM)
    penalised = torch_trajectory(dtype, penalty=lambda ps: tr.l2_penalty(ps, LAM))
    name = f"SGD(weight_decay={LAM}) vs loss + (λ/2)‖w‖²"
    assert_trajectory_close(penalised, decayed, component=name, tensor="torch weights", dtype=dtype)
    by_hand = scratch_trajectory(dtype, lambda ws: sr.l2_penalty_grad(ws, LAM))
    assert_trajectory_close(by_hand, decayed, component=name, tensor="scratch weights", dtype=dtype)


def test_seed_convention_is_twice_the_weight_decay():
    """λ‖w‖² (no 1/2) is weight_decay=2λ; mistaking it for weight_decay=λ is visible."""
    seed_style = torch_trajectory(
        "float64", penalty=lambda ps: LAM * sum(p.pow(2).sum() for p in ps)
    )
    assert_trajectory_close(seed_style, torch_trajectory("float64", weight_decay=2 * LAM),
                            component="seed's λ‖w‖²", tensor="weights", dtype="float64")  # fmt: skip
    gap = float((seed_style[-1] - torch_trajectory("float64", weight_decay=LAM)[-1]).abs().max())
    assert gap > 1e-3, f"the factor of 2 must change the trajectory, gap {gap}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_l1_gradient_descent_matches_autograd(dtype):
    penalised = torch_trajectory(dtype, penalty=lambda ps: tr.l1_penalty(ps, LAM))
    by_hand = scratch_trajectory(dtype, lambda ws: sr.l1_penalty_grad(ws, LAM))
    assert_trajectory_close(by_hand, penalised, component="loss + λ‖w‖₁ by GD", tensor="weights",
                            dtype=dtype)  # fmt: skip


# -- the overfitting demo ----------------------------------------------------------------------
RIDGE_LAM = 1e-2
EPS64 = np.finfo(np.float64).eps


def demo_data():
    x_tr, y_tr, x_te, y_te = sr.overfitting_data(generator=np.random.default_rng(0))
    return x_tr, y_tr, x_te, y_te


@pytest.mark.parametrize("degree", [2, 15])
def test_least_squares_fit_parity(degree):
    x_tr, y_tr, x_te, _ = demo_data()
    X = sr.polynomial_features(x_tr, degree)
    X_t = tr.polynomial_features(torch.from_numpy(x_tr), degree)
    assert_close(
        X, X_t, component="polynomial_features", tensor=f"degree {degree}", dtype="float64"
    )
    c = sr.fit_least_squares(X, y_tr)
    c_t = tr.fit_least_squares(X_t, torch.from_numpy(y_tr))
    # Backward-stable least-squares solvers agree to about κ(X)·eps relative to ‖c‖ (the
    # residual here is noise-sized, so the κ² term is no larger); degree 15 on 20 points has
    # κ ≈ 7e5, i.e. ~1e-10 of ‖c‖∞ ≈ 2e4: far beyond the default atol of 1e-12.
    kappa = np.linalg.cond(X)
    atol = 10 * kappa * EPS64 * np.abs(c).max()
    assert_close(c, c_t, component=f"least squares, degree {degree}", tensor="coefficients",
                 dtype="float64", rtol=0, atol=atol)  # fmt: skip
    X_te = sr.polynomial_features(x_te, degree)
    assert_close(X_te @ c, X_te @ c_t.numpy(), component=f"least squares, degree {degree}",
                 tensor="test predictions", dtype="float64", rtol=0,
                 atol=10 * kappa * EPS64 * np.abs(X_te @ c).max())  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_ridge_fit_parity(dtype):
    x_tr, y_tr, x_te, _ = (a.astype(dtype) for a in demo_data())
    X = sr.polynomial_features(x_tr, 15)
    c = sr.fit_ridge(X, y_tr, RIDGE_LAM)
    assert c.dtype == X.dtype
    c_t = tr.fit_ridge(torch.from_numpy(X), torch.from_numpy(y_tr), RIDGE_LAM)
    # XᵀX + λI is well conditioned (κ ≈ 3e3) in float64 so the default profile holds; in
    # float32 a linear solve is accurate to ~κ·eps32 ≈ 4e-4 relative, so that is the tolerance.
    kappa = np.linalg.cond((X.T @ X).astype(np.float64) + RIDGE_LAM * np.eye(16))
    tol = {} if dtype == "float64" else dict(rtol=10 * kappa * np.finfo(np.float32).eps, atol=0.0)
    assert_close(c, c_t, component="ridge, degree 15", tensor="coefficients", dtype=dtype, **tol)


def test_overfitting_story():
    x_tr, y_tr, x_te, y_te = demo_data()
    errors = {}
    for name, degree, fit in [
        ("degree 2", 2, sr.fit_least_squares),
        ("degree 15", 15, sr.fit_least_squares),
        ("ridge 15", 15, lambda X, y: sr.fit_ridge(X, y, RIDGE_LAM)),
    ]:
        c = fit(sr.polynomial_features(x_tr, degree), y_tr)
        errors[name] = tuple(sr.mse(sr.polynomial_features(x, degree) @ c, y)
                             for x, y in ((x_tr, y_tr), (x_te, y_te)))  # fmt: skip
    train, test = {k: v[0] for k, v in errors.items()}, {k: v[1] for k, v in errors.items()}
    assert train["degree 15"] < train["ridge 15"] < train["degree 2"], errors
    assert test["degree 15"] > 2 * test["degree 2"], errors  # overfits: worse than underfitting
    assert test["degree 15"] > 2 * test["ridge 15"], errors  # ridge repairs it
    c15 = sr.fit_least_squares(sr.polynomial_features(x_tr, 15), y_tr)
    c_ridge = sr.fit_ridge(sr.polynomial_features(x_tr, 15), y_tr, RIDGE_LAM)
    assert np.abs(c15).max() > 100 * np.abs(c_ridge).max(), "ridge must shrink the coefficients"


BAD_INPUT = [
    (lambda: sr.l2_penalty([np.ones(2)], -0.1), ValueError, "lam must be a non-negative number"),
    (lambda: sr.l1_penalty_grad(np.ones(2), float("nan")), ValueError, "lam must be a non-negative"),
    (lambda: sr.l1_penalty([np.arange(3)], 0.1), TypeError, "weights must have dtype float32 or float64"),
    (lambda: sr.polynomial_features(np.ones((2, 2)), 3), ValueError, "x must be 1-D"),
    (lambda: sr.polynomial_features(np.ones(3), -1), ValueError, "degree must be a non-negative integer"),
    (lambda: sr.fit_ridge(np.ones((3, 2)), np.ones(4), 0.1), ValueError, r"X must be \(n, k\) and y \(n,\)"),
    (lambda: sr.fit_ridge(np.ones((3, 2)), np.ones(3), -1.0), ValueError, "lam must be"),
    (lambda: sr.overfitting_data(n_train=0), ValueError, "n_train must be a positive integer"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
