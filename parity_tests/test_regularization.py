"""Parity of scratch/regularization.py with torch (torch_ref/regularization.py).

- L1/L2 penalties: value against torch ops, gradient against autograd.
- The factor-of-2 convention, proven on trajectories: ``torch.optim.SGD(weight_decay=λ)`` ==
  plain SGD on ``loss + (λ/2)‖w‖²`` (torch, autograd) == scratch's hand-written gradient
  descent with ``l2_penalty_grad``; and the seed's ``λ‖w‖²`` is weight_decay=2λ, not λ.
- The overfitting demo on the course's data (30 points on [-3, 3], y = 0.5x² - x + 1.5·noise,
  NumPy's legacy seed 42), identical bit for bit in both twins: NumPy fits vs ``torch.linalg``
  fits, within tolerances derived from the condition numbers, and the story asserted in both
  twins (degree 15: lowest training error, largest error against the noiseless parabola).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.nn as snn
import scratch.regularization as sr
import torch_ref.regularization as tr
from parity_check.core.harness import DTYPES, assert_close, assert_trajectory_close, randn

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


# -- the overfitting demo: the course's data ------------------------------------------------
EPS64 = np.finfo(np.float64).eps
FITS = [("degree 2", 2, 0.0), ("degree 15", 15, 0.0), ("ridge 15", 15, sr.RIDGE_LAMBDA)]


def test_overfitting_data_is_the_courses_in_both_twins():
    """The course's own lines (global seed 42, then randn), bit for bit, in scratch and torch."""
    saved = np.random.get_state()
    try:
        np.random.seed(42)
        x_course = np.linspace(-3, 3, 30)
        y_course = 0.5 * x_course**2 - x_course + np.random.randn(30) * 1.5
    finally:
        np.random.set_state(saved)
    x, y = sr.overfitting_data()
    x_t, y_t = tr.overfitting_data()
    for name, ours in [("scratch x", x), ("scratch y", y), ("torch x", x_t.numpy()),
                       ("torch y", y_t.numpy())]:  # fmt: skip
        expected = x_course if "x" in name else y_course
        assert np.array_equal(ours, expected), f"{name} is not the course's data"


def fit(twin, degree: int, lam: float, x, y):
    """Coefficients of one of the course's fits by scratch (``sr``) or torch (``tr``)."""
    X = twin.polynomial_features(x, degree)
    return twin.fit_ridge(X, y, lam) if lam else twin.fit_least_squares(X, y)


@pytest.mark.parametrize("degree", sr.DEGREES)
def test_least_squares_fit_parity(degree):
    x, y = sr.overfitting_data()
    x_t, y_t = tr.overfitting_data()
    X, X_t = sr.polynomial_features(x, degree), tr.polynomial_features(x_t, degree)
    assert_close(
        X, X_t, component="polynomial_features", tensor=f"degree {degree}", dtype="float64"
    )
    c, c_t = fit(sr, degree, 0.0, x, y), fit(tr, degree, 0.0, x_t, y_t)
    # Backward-stable least-squares solvers agree to about κ(X)·eps relative to ‖c‖ (the
    # residual is noise-sized, so the κ² term is no larger). Degree 15 on the course's 30
    # points of [-3, 3] has κ ≈ 2.4e8 (x¹⁵ reaches 1.4e7) and ‖c‖∞ ≈ 3.5: a tolerance of
    # ~2e-6, where the default atol of 1e-12 would fail. Measured: 2.3e-9. Degree 2: κ ≈ 6.7.
    kappa = np.linalg.cond(X)
    atol = 10 * kappa * EPS64 * np.abs(c).max()
    assert_close(c, c_t, component=f"least squares, degree {degree}", tensor="coefficients",
                 dtype="float64", rtol=0, atol=atol)  # fmt: skip
    G = sr.polynomial_features(sr.plot_grid(), degree)  # the curve the course draws
    assert_close(G @ c, G @ c_t.numpy(), component=f"least squares, degree {degree}",
                 tensor="curve on the plotting grid", dtype="float64", rtol=0,
                 atol=10 * kappa * EPS64 * np.abs(G @ c).max())  # fmt: skip


def test_fits_are_the_courses_own():
    """The course fits with np.polyfit and solves ridge on np.vander's decreasing powers; ours
    (lstsq on increasing powers) lands on the same curves, to the conditioning's tolerance."""
    x, y = sr.overfitting_data()
    grid = sr.plot_grid()
    V = np.vander(x, 16)  # the course's ridge: decreasing powers, the intercept penalised too
    course = {
        2: np.polyval(np.polyfit(x, y, 2), grid),
        15: np.polyval(np.polyfit(x, y, 15), grid),
        "ridge": np.vander(grid, 16) @ np.linalg.solve(V.T @ V + 10.0 * np.eye(16), V.T @ y),
    }
    for key, curve in course.items():
        degree, lam = (15, sr.RIDGE_LAMBDA) if key == "ridge" else (key, 0.0)
        ours = sr.polynomial_features(grid, degree) @ fit(sr, degree, lam, x, y)
        # κ(X) ≈ 2.4e8 at degree 15: measured gaps 1.6e-9 (least squares), 1.6e-9 (ridge)
        atol = 1e-12 if degree == 2 else 10 * np.linalg.cond(sr.polynomial_features(x, 15)) * EPS64
        assert_close(ours, curve, component=f"course's fit, {key}", tensor="curve on the grid",
                     dtype="float64", rtol=0, atol=atol * np.abs(curve).max())  # fmt: skip


@pytest.mark.parametrize("dtype,degree", [("float64", 2), ("float64", 15), ("float32", 2)])
def test_ridge_fit_parity(dtype, degree):
    x, y = (a.astype(dtype) for a in sr.overfitting_data())
    X = sr.polynomial_features(x, degree)
    c = sr.fit_ridge(X, y, sr.RIDGE_LAMBDA)
    assert c.dtype == X.dtype
    c_t = tr.fit_ridge(torch.from_numpy(X), torch.from_numpy(y), sr.RIDGE_LAMBDA)
    # LU with partial pivoting is blind to column scaling, so what sets the twins' agreement
    # is κ of A = XᵀX + λI with its columns scaled to unit norm (van der Sluis: within √n of
    # the best scaling). Degree 2: κ ≈ 9, the default profiles hold in float64 and float32.
    # Degree 15 (the course's ridge): κ(A) ≈ 4.7e13, column-scaled ≈ 1.4e11, so ~1e-4 of
    # ‖c‖∞ in float64 (measured: 1.4e-10). In float32 that κ is 1.6e4 times 1/eps: no digit
    # of the degree-15 normal equations survives, so it is not compared (float32 is degree 2).
    A = (X.T @ X).astype(np.float64) + sr.RIDGE_LAMBDA * np.eye(degree + 1)
    kappa = np.linalg.cond(A / np.linalg.norm(A, axis=0))
    tol = {} if kappa < 1e3 else dict(rtol=0.0, atol=10 * kappa * EPS64 * np.abs(c).max())
    assert_close(c, c_t, component=f"ridge λ={sr.RIDGE_LAMBDA:g}, degree {degree}",
                 tensor="coefficients", dtype=dtype, **tol)  # fmt: skip


def demo_errors(twin) -> dict[str, tuple[float, float, float]]:
    """Per fit: training MSE, MSE against the noiseless parabola on the grid, max |coefficient|."""
    x, y = twin.overfitting_data()
    grid = sr.plot_grid()
    truth = sr.smooth_target(grid)
    g = grid if twin is sr else torch.from_numpy(grid)
    out = {}
    for name, degree, lam in FITS:
        c = fit(twin, degree, lam, x, y)
        train = np.asarray(twin.polynomial_features(x, degree) @ c)
        curve = np.asarray(twin.polynomial_features(g, degree) @ c)
        out[name] = (
            sr.mse(train, np.asarray(y)),
            sr.mse(curve, truth),
            float(np.abs(np.asarray(c)).max()),
        )
    return out


@pytest.mark.parametrize("twin", [sr, tr], ids=["scratch", "torch"])
def test_overfitting_story(twin):
    """Both twins tell the course's story on its data (numbers in the demo line of docs/components.md)."""
    errors = demo_errors(twin)
    train = {k: v[0] for k, v in errors.items()}
    truth = {k: v[1] for k, v in errors.items()}
    biggest = {k: v[2] for k, v in errors.items()}
    assert train["degree 15"] < train["ridge 15"] < train["degree 2"], errors  # 1.02 < 1.28 < 1.42
    assert truth["degree 15"] > 2 * truth["degree 2"], errors  # chases the noise: 0.89 vs 0.41
    assert truth["degree 15"] > 1.5 * truth["ridge 15"], errors  # ridge pulls it back: 0.47
    assert biggest["degree 15"] > 5 * biggest["ridge 15"], "ridge must shrink the coefficients"


BAD_INPUT = [
    (lambda: sr.l2_penalty([np.ones(2)], -0.1), ValueError, "lam must be a non-negative number"),
    (lambda: sr.l1_penalty_grad(np.ones(2), float("nan")), ValueError, "lam must be a non-negative"),
    (lambda: sr.l1_penalty([np.arange(3)], 0.1), TypeError, "weights must have dtype float32 or float64"),
    (lambda: sr.polynomial_features(np.ones((2, 2)), 3), ValueError, "x must be 1-D"),
    (lambda: sr.polynomial_features(np.ones(3), -1), ValueError, "degree must be a non-negative integer"),
    (lambda: sr.fit_ridge(np.ones((3, 2)), np.ones(4), 0.1), ValueError, r"X must be \(n, k\) and y \(n,\)"),
    (lambda: sr.fit_ridge(np.ones((3, 2)), np.ones(3), -1.0), ValueError, "lam must be"),
    (lambda: sr.overfitting_data(n=0), ValueError, "n must be a positive integer"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
