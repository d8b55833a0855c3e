"""Shapes that count as torch's: a bias kept as (1, n) or (n, 1), a gamma as (1, C, 1, 1).

torch keeps a bias, BatchNorm's gamma and beta and the running statistics as (n,); from-scratch
code often keeps them as a row (1, n), a column (n, 1) or broadcastable (1, C, 1, 1). They hold
the same numbers, so they are compared reshaped (as an (in, out) weight is compared transposed).
"""

from __future__ import annotations

import numpy as np


def same_but_ones(have: tuple, shape: tuple) -> bool:
    """Whether ``have`` differs from torch's ``shape`` only by axes of length 1."""
    return (
        int(np.prod(have)) == int(np.prod(shape))
        and tuple(d for d in have if d != 1) == tuple(d for d in shape if d != 1)
        and len(have) != len(shape)
    )
