"""Twin of scratch/regularization.py: penalties with torch ops (gradients by autograd) and
the polynomial fits with ``torch.linalg``, on the course's overfitting data.

Same convention as scratch: l2_penalty = (λ/2)·Σ‖w‖², so that ``loss + l2_penalty(params, λ)``
under plain SGD is ``torch.optim.SGD(params, lr, weight_decay=λ)`` on ``loss``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

__all__ = ["fit_least_squares", "fit_ridge", "l1_penalty", "l2_penalty", "overfitting_data",
           "polynomial_features"]  # fmt: skip


def l2_penalty(params: Iterable[torch.Tensor], lam: float) -> torch.Tensor:
    return lam / 2 * sum(p.pow(2).sum() for p in params)


def l1_penalty(params: Iterable[torch.Tensor], lam: float) -> torch.Tensor:
    return lam * sum(p.abs().sum() for p in params)


def overfitting_data(
    n: int = 30, noise: float = 1.5, seed: int = 42
) -> tuple[torch.Tensor, torch.Tensor]:
    """The course's (x, y) as float64 tensors, bit for bit scratch's.

    The noise is the course's own draws, NumPy's legacy ``RandomState(seed).randn(n)``: torch
    has no generator that reproduces them. x is spaced as ``np.linspace`` spaces it
    (start + k·step, the last point pinned to the stop); ``torch.linspace`` fills from both
    ends and lands 1 ulp away on some points, which would make the data, not the fits, differ.
    """
    step = 6.0 / (n - 1) if n > 1 else 0.0
    x = torch.arange(n, dtype=torch.float64) * step - 3.0
    if n > 1:
        x[-1] = 3.0
    noise_draws = torch.from_numpy(np.random.RandomState(seed).randn(n))
    return x, 0.5 * x**2 - x + noise_draws * noise


def polynomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """[1, x, ..., x^degree]: ``torch.linalg.vander`` has increasing powers."""
    return torch.linalg.vander(x, N=degree + 1)


def fit_least_squares(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``torch.linalg.lstsq`` with the SVD driver (NumPy's); torch's CPU default is 'gelsy'."""
    return torch.linalg.lstsq(X, y.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)


def fit_ridge(X: torch.Tensor, y: torch.Tensor, lam: float) -> torch.Tensor:
    eye = torch.eye(X.shape[1], dtype=X.dtype)
    return torch.linalg.solve(X.T @ X + lam * eye, X.T @ y)
