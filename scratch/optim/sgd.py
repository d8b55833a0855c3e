"""SGD with momentum, dampening, Nesterov and weight decay.  Twin: ``torch.optim.SGD``
(torch_ref/optim/sgd.py).

torch's rule, per parameter θ with gradient g, step t = 1, 2, ...::

    g ← g + λ θ                                   (weight_decay λ, an L2 term in the gradient)
    b ← g                      at t = 1           (momentum μ ≠ 0: the buffer starts at g,
    b ← μ b + (1 - τ) g        at t > 1            not at 0, so dampening τ skips step 1)
    g ← g + μ b  (nesterov)    or  g ← b
    θ ← θ - lr g

The seed writes momentum with lr *inside* the velocity: ``v = β v + lr g; w = w - v``
(scratch.optim.seed_rules.seed_momentum_step). With a constant lr and τ = 0, induction gives
v_t = lr · b_t, so the two trajectories coincide exactly. They part ways as soon as lr
changes (a schedule): torch rescales the whole buffer by the new lr at once, the seed's v
keeps the old lr on past gradients and applies the new lr only to new ones.
parity_tests/test_optim.py proves both statements.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from scratch.nn.module import Parameter
from scratch.optim.optimizer import Optimizer, check_hyper, check_implementation

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent; defaults are torch's (lr=1e-3, no momentum)."""

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_implementation(foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)  # fmt: skip
        super().__init__(params, defaults)

    def _validate(self, defaults: dict) -> None:
        # torch's SGD: ``x < 0.0`` refuses negatives but lets NaN through; dampening unchecked
        check_hyper(defaults["lr"], "lr", nan_ok=True)
        check_hyper(defaults["momentum"], "momentum", nan_ok=True)
        check_hyper(defaults["weight_decay"], "weight_decay", nan_ok=True)
        if not isinstance(defaults["dampening"], numbers.Real):
            raise TypeError(f"dampening must be a number, got {defaults['dampening']!r}")
        if defaults["nesterov"] and (defaults["momentum"] <= 0 or defaults["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p: Parameter, grad: np.ndarray, state: dict, group: dict) -> None:
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        mu = group["momentum"]
        if mu != 0:
            b = state.get("momentum_buffer")
            if b is None or id(p) in self._fresh:  # torch reads every buffer before updating,
                b = state["momentum_buffer"] = g.copy()  # so a duplicate's 2nd copy starts anew
                self._fresh.add(id(p))
            else:
                b *= mu
                b += (1 - group["dampening"]) * g
            g = g + mu * b if group["nesterov"] else b
        p.data -= group["lr"] * g
