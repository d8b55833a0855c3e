"""Activations and their derivatives, elementwise (course section: Activations).

Fill in each function, then run ``parity-check exercises/`` (the scoreboard) or one check:
``parity-check relu exercises/activations.py:relu --derivative exercises/activations.py:relu_derivative``.

Every function takes ``z``, a NumPy array of any shape, float32 or float64, and returns an
array of the same shape and dtype (torch keeps the dtype; so must you). The derivative is
d a / d z at each element (what backward multiplies the upstream gradient by); it is
compared with torch's autograd gradient of ``sum(f(z))``. Inputs include values of ±1e4,
where a formula that exponentiates blindly overflows.
"""

from __future__ import annotations

import numpy as np


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0). Twin: ``torch.nn.functional.relu``."""
    raise NotImplementedError


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0 (torch takes 0 at the kink z = 0). Twin: autograd of relu."""
    raise NotImplementedError


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)). Twin: ``torch.sigmoid``.

    Hint: exp(-z) overflows for z = -1e4. Only ever exponentiate -|z| (which is ≤ 0) and
    pick the algebraically equal form for each sign of z.
    """
    raise NotImplementedError


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    """σ(z)·(1 - σ(z)). Twin: autograd of ``torch.sigmoid``."""
    raise NotImplementedError


def tanh(z: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent. Twin: ``torch.tanh``."""
    raise NotImplementedError


def tanh_derivative(z: np.ndarray) -> np.ndarray:
    """1 - tanh(z)². Twin: autograd of ``torch.tanh``."""
    raise NotImplementedError
