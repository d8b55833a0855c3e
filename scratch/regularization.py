"""Regularisation: L1/L2 weight penalties and the seed's polynomial overfitting demo.

Twin: torch_ref/regularization.py (penalties with torch ops and autograd; fits with
``torch.linalg``). Proof: parity_tests/test_regularization.py.

Penalty convention (the factor of 2, stated once and used everywhere):

    l2_penalty(w, λ) = (λ/2)·‖w‖²      gradient λ·w
    l1_penalty(w, λ) = λ·‖w‖₁          gradient λ·sign(w)   (0 at w = 0, as torch's abs')

With the 1/2, adding ``l2_penalty`` to the loss is *exactly* ``torch.optim.SGD(...,
weight_decay=λ)``, which adds λ·w to each gradient. Written without the 1/2, as λ·‖w‖²
(a common course convention), the penalty's gradient is 2λ·w: that λ is half of torch's
weight_decay (λ = 0.01 ⇔ weight_decay=0.02). test_regularization.py proves both statements.

Overfitting demo, with the course's data: 30 evenly spaced x on [-3, 3] and
y = 0.5x² - x + 1.5·ε, the 30 ε drawn by NumPy's legacy generator seeded with 42 (the course
calls ``np.random.seed(42)`` then ``np.random.randn(30)``; ``RandomState(42).randn(30)`` is the
same stream without touching the global one). The course fits a degree-2 and a degree-15
polynomial by least squares and the degree-15 one again by ridge regression with λ = 10 in
closed form, ``c = (XᵀX + λI)⁻¹ Xᵀy`` (solved, never inverted; as that formula implies, the
intercept is penalised too). The course prints no errors, it only plots; the errors the
notebook and the tests quote are ours: the training MSE on the 30 points and the MSE against
the noiseless parabola on the course's plotting grid (200 points on [-3, 3]), to which a fresh
noisy point adds 1.5² on average. Degree 15 has the lowest training error and the largest
error against the parabola; ridge pulls it back.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from scratch._checks import as_float_array, check_positive_int

__all__ = [
    "fit_least_squares",
    "fit_ridge",
    "l1_penalty",
    "l1_penalty_grad",
    "l2_penalty",
    "l2_penalty_grad",
    "overfitting_data",
    "polynomial_features",
]  # plus the demo's smooth_target, plot_grid and mse, plain formulas with no twin

Weights = np.ndarray | Sequence[np.ndarray]


def _check_lambda(lam: float) -> float:
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not lam >= 0:
        raise ValueError(f"lam must be a non-negative number, got {lam!r}")
    return float(lam)


def _as_list(weights: Weights) -> list[np.ndarray]:
    arrays = [weights] if isinstance(weights, np.ndarray) else list(weights)
    return [as_float_array(w, "weights") for w in arrays]


def _per_array(weights: Weights, grads: list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    return grads[0] if isinstance(weights, np.ndarray) else grads


def l2_penalty(weights: Weights, lam: float) -> np.ndarray:
    """(λ/2)·Σ‖w‖² over one array or a list of arrays (0-d, in the weights' dtype)."""
    lam = _check_lambda(lam)
    ws = _as_list(weights)
    dtype = ws[0].dtype if ws else np.float64
    return np.asarray(dtype.type(lam / 2) * sum(np.sum(w * w) for w in ws), dtype)


def l2_penalty_grad(weights: Weights, lam: float) -> np.ndarray | list[np.ndarray]:
    """λ·w for each array: what SGD's ``weight_decay=λ`` adds to the gradient."""
    lam = _check_lambda(lam)
    return _per_array(weights, [w.dtype.type(lam) * w for w in _as_list(weights)])


def l1_penalty(weights: Weights, lam: float) -> np.ndarray:
    """λ·Σ‖w‖₁ over one array or a list of arrays (0-d, in the weights' dtype)."""
    lam = _check_lambda(lam)
    ws = _as_list(weights)
    dtype = ws[0].dtype if ws else np.float64
    return np.asarray(dtype.type(lam) * sum(np.sum(np.abs(w)) for w in ws), dtype)


def l1_penalty_grad(weights: Weights, lam: float) -> np.ndarray | list[np.ndarray]:
    """λ·sign(w): a subgradient, 0 at w = 0 exactly as torch's ``abs`` backward."""
    lam = _check_lambda(lam)
    return _per_array(weights, [w.dtype.type(lam) * np.sign(w) for w in _as_list(weights)])


# -- the overfitting demo ----------------------------------------------------------------------


COURSE_SEED = 42
RIDGE_LAMBDA = 10.0  # the course's ridge penalty for the degree-15 fit
DEGREES = (2, 15)  # the course's good fit and its overfit


def smooth_target(x: np.ndarray) -> np.ndarray:
    """The noiseless curve behind the course's samples: 0.5x² - x."""
    return 0.5 * x**2 - x


def overfitting_data(
    n: int = 30, noise: float = 1.5, seed: int = COURSE_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """(x, y), the course's data: x = linspace(-3, 3, n), y = 0.5x² - x + noise·randn(n).

    The draws are NumPy's legacy Gaussian stream (MT19937 + polar method), the one
    ``np.random.seed(seed); np.random.randn(n)`` gives: with the defaults, the course's
    exact 30 points.
    """
    n = check_positive_int(n, "n")
    x = np.linspace(-3.0, 3.0, n)
    return x, smooth_target(x) + np.random.RandomState(seed).randn(n) * noise


def plot_grid(n: int = 200) -> np.ndarray:
    """The course's plotting grid, where the demo's error against the parabola is measured."""
    return np.linspace(-3.0, 3.0, n)


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """The Vandermonde matrix [1, x, x², ..., x^degree], shape (n, degree + 1)."""
    x = as_float_array(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    if isinstance(degree, bool) or not isinstance(degree, numbers.Integral) or degree < 0:
        raise ValueError(f"degree must be a non-negative integer, got {degree!r}")
    return np.vander(x, int(degree) + 1, increasing=True).astype(x.dtype, copy=False)


def _check_design(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, y = as_float_array(X, "X"), as_float_array(y, "y")
    if X.ndim != 2 or y.shape != X.shape[:1]:
        raise ValueError(f"X must be (n, k) and y (n,), got {X.shape} and {y.shape}")
    return X, y


def fit_least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin_c ‖Xc - y‖² by LAPACK's SVD solver (gelsd), robust to an ill-conditioned X."""
    X, y = _check_design(X, y)
    return np.linalg.lstsq(X, y, rcond=None)[0]


def fit_ridge(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """argmin_c ‖Xc - y‖² + λ‖c‖², closed form c = (XᵀX + λI)⁻¹ Xᵀy (by a linear solve)."""
    X, y = _check_design(X, y)
    lam = _check_lambda(lam)
    A = X.T @ X + X.dtype.type(lam) * np.eye(X.shape[1], dtype=X.dtype)
    return np.linalg.solve(A, X.T @ y)


def mse(prediction: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error, as a Python float."""
    return float(np.mean((prediction - target) ** 2))
