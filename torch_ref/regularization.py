"""Twin of scratch/regularization.py: penalties with torch ops (gradients by autograd) and
the polynomial fits with ``torch.linalg``.

Same convention as scratch: l2_penalty = (λ/2)·Σ‖w‖², so that ``loss + l2_penalty(params, λ)``
under plain SGD is ``torch.optim.SGD(params, lr, weight_decay=λ)`` on ``loss``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["fit_least_squares", "fit_ridge", "l1_penalty", "l2_penalty", "polynomial_features"]


def l2_penalty(params: Iterable[torch.Tensor], lam: float) -> torch.Tensor:
    return lam / 2 * sum(p.pow(2).sum() for p in params)


def l1_penalty(params: Iterable[torch.Tensor], lam: float) -> torch.Tensor:
    return lam * sum(p.abs().sum() for p in params)


def polynomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """[1, x, ..., x^degree]: ``torch.linalg.vander`` has increasing powers."""
    return torch.linalg.vander(x, N=degree + 1)


def fit_least_squares(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``torch.linalg.lstsq`` with the SVD driver (NumPy's); torch's CPU default is 'gelsy'."""
    return torch.linalg.lstsq(X, y.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)


def fit_ridge(X: torch.Tensor, y: torch.Tensor, lam: float) -> torch.Tensor:
    eye = torch.eye(X.shape[1], dtype=X.dtype)
    return torch.linalg.solve(X.T @ X + lam * eye, X.T @ y)
