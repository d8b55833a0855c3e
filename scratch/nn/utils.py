"""Gradient clipping, the standard cure for exploding gradients (the seed's section 3.4).

Twin: ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` (torch_ref/nn/utils.py).

``clip_grad_norm_`` treats all gradients as one long vector g: ``total = ‖g‖_p`` (the p-norm of
the per-parameter p-norms, which is the same thing), then scales every gradient in place by
``min(1, max_norm / (total + 1e-6))``. The 1e-6 is torch's: it keeps the division finite when
every gradient is zero, and means a norm exactly equal to max_norm is scaled by a hair under 1.
Direction is kept, only the length changes. ``clip_grad_value_`` clamps each component to
[-clip_value, clip_value] instead, which can change the direction.

Difference from torch, on bad input only: torch accepts ``max_norm <= 0`` (0 zeroes every
gradient, a negative value flips their sign) and a non-positive ``clip_value``; scratch
raises ValueError for both, since neither is ever meant. With ``error_if_nonfinite`` torch
raises RuntimeError; scratch raises ValueError (the project's convention for bad values).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from scratch.nn.module import Parameter

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Parameter | Iterable[Parameter]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Parameter) else list(parameters)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"parameters must be Parameters, got {type(p).__name__}")
    return [p.grad for p in params if p.grad is not None]


def _positive(value: object, name: str) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not value > 0:  # also rejects NaN
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def clip_grad_norm_(
    parameters: Parameter | Iterable[Parameter],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> np.ndarray:
    """Scale all gradients in place so their joint ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm *before* clipping (0-d array in the gradients' dtype), as torch does.
    """
    max_norm = _positive(max_norm, "max_norm")
    p = float(norm_type)  # accepts 'inf' like torch
    if not p > 0:
        raise ValueError(f"norm_type must be a positive number or 'inf', got {norm_type!r}")
    grads = _grads(parameters)
    if not grads:
        return np.asarray(0.0, np.float32)  # torch returns tensor(0.) when nothing has a grad
    dtype = grads[0].dtype
    if p == math.inf:
        norms = np.array([np.abs(g).max(initial=0) for g in grads], dtype)
        total = norms.max()
    else:
        norms = np.array([np.linalg.norm(g.ravel(), p) for g in grads], dtype)
        total = np.linalg.norm(norms, p)
    total = np.asarray(total, dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise ValueError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped; pass error_if_nonfinite=False to scale by it anyway"
        )
    clip_coef = dtype.type(max_norm) / (total + dtype.type(1e-6))
    clip_coef = np.minimum(clip_coef, dtype.type(1.0))  # only ever shrink
    for g in grads:
        g *= clip_coef
    return total


def clip_grad_value_(parameters: Parameter | Iterable[Parameter], clip_value: float) -> None:
    """Clamp every gradient component in place to ``[-clip_value, clip_value]``."""
    clip_value = _positive(clip_value, "clip_value")
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
