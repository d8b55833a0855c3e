"""RMSprop (optionally centered, with momentum and weight decay).  Twin: ``torch.optim.RMSprop``
(torch_ref/optim/rmsprop.py).

torch's rule, per parameter θ with gradient g::

    g ← g + λ θ                               (weight_decay λ)
    s ← α s + (1 - α) g²                      (square_avg, from 0)
    ḡ ← lerp(ḡ, g, 1 - α);  s̃ = s - ḡ²        (centered only: a running variance)
    d = √s̃ + ε                                (eps OUTSIDE the root)
    b ← μ b + g / d;  θ ← θ - lr b            (momentum μ > 0, b from 0)
    θ ← θ - lr g / d                          (otherwise)

The seed writes the update as ``w -= lr g / √(s + ε)`` (ε *inside* the root) but codes
``lr g / (√s + ε)`` (outside, torch's). The two are not one rule in disguise: with
r = (√s + ε) / √(s + ε), for s > 0::

    |r - 1| ≤ ε · max(1, 1/(2√s)) / √(s + ε),

so they agree to relative O(ε/√s) when the squared-gradient average s is large against ε
(and O(ε/s) when s < 1/4), and coincide only in the limit ε → 0 (for a fixed s > 0; the
only exact meeting point is √s = (1 - ε)/2). Where gradients vanish (s ≲ ε) they differ
completely: as s → 0 the seed divides by √ε, torch by ε, so torch's step is up to 1/√ε =
10⁴ times longer for ε = 1e-8. Over the seed's 300-step Beale race (lr 1e-2, α 0.99) the
two trajectories differ by 2.9e-5 relative at ε = 1e-8 and the gap shrinks in proportion
to ε (2.9e-9 at ε = 1e-12). scratch.optim.seed_rules.seed_rmsprop_step has both variants;
parity_tests/test_optim.py checks the bound, the ε → 0 limit and the vanishing-gradient gap.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from scratch.nn.module import Parameter
from scratch.optim.optimizer import Optimizer, check_hyper, check_implementation, lerp

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop; defaults are torch's (lr=1e-2, alpha=0.99, eps=1e-8)."""

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        capturable: bool = False,  # torch's positional order (no * in RMSprop's signature)
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_implementation(foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)  # fmt: skip
        super().__init__(params, defaults)

    def _validate(self, defaults: dict) -> None:
        # torch's RMSprop: ``not 0.0 <= x`` for each (NaN refused, inf and alpha > 1 taken)
        for name in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            check_hyper(defaults[name], name)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:  # lazy init at the first step with a gradient, as torch does
            state["step"] = 0.0
            state["square_avg"] = np.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        alpha = group["alpha"]
        s = state["square_avg"]
        s *= alpha
        s += (1 - alpha) * g * g
        if group["centered"]:
            g_bar = state["grad_avg"] = lerp(state["grad_avg"], g, 1 - alpha)
            d = np.sqrt(s - g_bar * g_bar)
        else:
            d = np.sqrt(s)
        d += group["eps"]
        if group["momentum"] > 0:
            b = state["momentum_buffer"]
            b *= group["momentum"]
            b += g / d
            p.data -= group["lr"] * b
        else:
            p.data -= group["lr"] * (g / d)
