"""Twin of scratch/datasets.py: the same toy data built with torch, Beale's gradient by autograd."""

from __future__ import annotations

import torch

__all__ = ["beale", "beale_grad", "spiral", "xor"]


def spiral(points_per_class: int = 100, classes: int = 3, noise: float = 0.2,
           seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """CS231n's spiral with torch's RNG: same geometry, different noise draws than scratch's."""
    g = torch.Generator().manual_seed(seed)
    r = torch.linspace(0.0, 1.0, points_per_class, dtype=torch.float64)
    X, y = [], []
    for c in range(classes):
        theta = torch.linspace(c * 4.0, (c + 1) * 4.0, points_per_class, dtype=torch.float64)
        theta = theta + torch.randn(points_per_class, generator=g, dtype=torch.float64) * noise
        X.append(torch.stack([r * torch.sin(theta), r * torch.cos(theta)], dim=1))
        y.append(torch.full((points_per_class,), c, dtype=torch.int64))
    return torch.cat(X), torch.cat(y)


def xor() -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    return X, torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=torch.float64)


def beale(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def beale_grad(x: float, y: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Beale's gradient by autograd, the twin of scratch's hand-derived one."""
    xt = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(float(y), dtype=torch.float64, requires_grad=True)
    dx, dy = torch.autograd.grad(beale(xt, yt), (xt, yt))
    return dx, dy
