"""The seed's own update rules, kept only to show how they relate to torch's.

No torch twin of their own: they are compared against ``torch.optim.SGD`` and
``torch.optim.RMSprop`` (and scratch's SGD/RMSprop, which follow torch) in
parity_tests/test_optim.py. Each function takes and returns plain arrays, one step at a time.
"""

from __future__ import annotations

import numpy as np

__all__ = ["seed_momentum_step", "seed_rmsprop_step"]


def seed_momentum_step(
    w: np.ndarray, v: np.ndarray, g: np.ndarray, lr: float, beta: float
) -> tuple[np.ndarray, np.ndarray]:
    """The seed's momentum: ``v = β v + lr g; w = w - v`` (v starts at 0). Returns (w, v).

    torch keeps lr out of the buffer (b = μ b + g; θ -= lr b). With a constant lr,
    v_t = lr · b_t, so the trajectories coincide; under a schedule they do not (see SGD).
    """
    v = beta * v + lr * g
    return w - v, v


def seed_rmsprop_step(
    w: np.ndarray,
    s: np.ndarray,
    g: np.ndarray,
    lr: float,
    beta: float,
    eps: float,
    *,
    eps_inside_root: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The seed's RMSProp: ``s = β s + (1 - β) g²; w -= lr g / √(s + ε)``. Returns (w, s).

    ``eps_inside_root=True`` is the seed's formula; ``False`` is the seed's code,
    ``lr g / (√s + ε)``, which is torch's rule (see RMSprop for when the two agree).
    """
    s = beta * s + (1 - beta) * g * g
    d = np.sqrt(s + eps) if eps_inside_root else np.sqrt(s) + eps
    return w - lr * g / d, s
