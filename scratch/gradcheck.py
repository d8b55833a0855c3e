"""Numerical gradient checking by central differences (CS231n's recipe), float64.

Twin: torch_ref/gradcheck.py (``torch.autograd.gradcheck``). Both answer the same question —
does the hand-written (or autograd) backward match finite differences? — and must agree.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from scratch._checks import as_float_array
from scratch.nn.module import Module

__all__ = ["GradcheckError", "gradcheck", "numerical_gradient", "relative_error"]


class GradcheckError(AssertionError):
    """The analytic gradient disagrees with the numerical one."""


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """CS231n's ``max |a - b| / max(1e-8, |a| + |b|)``: scale-free, safe near zero."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def numerical_gradient(f: Callable[[], np.ndarray], x: np.ndarray, upstream: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:  # fmt: skip
    """d/dx of Σ f() · upstream, perturbing ``x`` in place (and restoring it).

    Central differences: (L(x + ε) - L(x - ε)) / 2ε, error O(ε²). A random ``upstream``
    (not ones) catches backward passes that are only right for ``sum()``.
    """
    if x.dtype != np.float64:
        raise TypeError(f"x must be float64 for a numerical gradient, got {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = np.sum(f() * upstream)
        x[i] = old - eps
        minus = np.sum(f() * upstream)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(module: Module, x: np.ndarray, *, eps: float = 1e-6, tol: float = 1e-6,
              seed: int = 0, raise_exception: bool = True) -> bool:  # fmt: skip
    """Check ``module.backward`` for the input and every parameter against central differences.

    Returns True when every relative error is below ``tol``; otherwise raises GradcheckError
    naming the worst tensor (or returns False when ``raise_exception=False``), like
    ``torch.autograd.gradcheck``. A float32 module or input is checked on float64 copies, as
    the twin does (central differences in float32 would drown in rounding).
    """
    x = as_float_array(x, "x")
    if x.dtype != np.float64 or any(p.dtype != np.float64 for p in module.parameters()):
        # the twin checks float64 copies of the input and parameters; so does this one
        module, x = copy.deepcopy(module).double(), x.astype(np.float64)
    x = x.copy()
    upstream = np.random.default_rng(seed).standard_normal(np.shape(module(x)))
    module.zero_grad()
    module(x)
    analytic = {"input": module.backward(upstream)}
    analytic.update({name: p.grad for name, p in module.named_parameters()})
    numeric = {"input": numerical_gradient(lambda: module(x), x, upstream, eps)}
    for name, p in module.named_parameters():
        numeric[name] = numerical_gradient(lambda: module(x), p.data, upstream, eps)
    errors = {name: relative_error(analytic[name], numeric[name]) for name in analytic}
    worst = max(errors, key=errors.get)
    if errors[worst] < tol:
        return True
    if raise_exception:
        raise GradcheckError(
            f"{type(module).__name__}: gradient of {worst} has relative error "
            f"{errors[worst]:.3e} > tol {tol:.1e} (all: {errors})"
        )
    return False
