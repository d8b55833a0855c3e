"""The seed's toy data: the spiral, XOR, and Beale's function with its gradient.

Twin: torch_ref/datasets.py (the same geometry generated with torch; Beale's gradient by autograd).
"""

from __future__ import annotations

import numpy as np

from scratch._checks import check_positive_int

__all__ = ["beale", "beale_grad", "spiral", "xor"]

BEALE_MINIMUM = (3.0, 0.5)  # f = 0 there
BEALE_START = (0.5, -1.5)  # the seed's optimizer race starts here


def spiral(
    points_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """CS231n's spiral: ``classes`` arms of ``points_per_class`` points in 2-D.

    Arm k: radius r = linspace(0, 1), angle θ = linspace(4k, 4(k+1)) + noise·N(0, 1);
    x = (r sin θ, r cos θ). Returns X (N, 2) float64 and y (N,) int64 labels.
    """
    n = check_positive_int(points_per_class, "points_per_class")
    k = check_positive_int(classes, "classes")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    X = np.zeros((n * k, 2))
    y = np.zeros(n * k, dtype=np.int64)
    for c in range(k):
        r = np.linspace(0.0, 1.0, n)
        theta = np.linspace(c * 4.0, (c + 1) * 4.0, n) + rng.standard_normal(n) * noise
        X[c * n : (c + 1) * n] = np.c_[r * np.sin(theta), r * np.cos(theta)]
        y[c * n : (c + 1) * n] = c
    return X, y


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points, X (4, 2) float64, and targets y (4, 1) float64 in {0, 1}."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, y


def _beale_terms(x, y):
    return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3


def beale(x: float | np.ndarray, y: float | np.ndarray) -> float | np.ndarray:
    """f(x, y) = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²; min 0 at (3, 0.5)."""
    a, b, c = _beale_terms(x, y)
    return a**2 + b**2 + c**2


def beale_grad(x: float | np.ndarray, y: float | np.ndarray) -> tuple:
    """(∂f/∂x, ∂f/∂y) by the chain rule through the three squared terms."""
    a, b, c = _beale_terms(x, y)
    dx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y**2
    return dx, dy
