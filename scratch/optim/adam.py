"""Adam (with AMSGrad and L2 weight decay) and AdamW (decoupled weight decay).
Twins: ``torch.optim.Adam`` and ``torch.optim.AdamW`` (torch_ref/optim/adam.py).

torch's rule, per parameter θ with gradient g, step t = 1, 2, ...::

    θ ← θ (1 - lr λ)                           AdamW: decay the weights directly
    g ← g + λ θ                                Adam:  L2 term added to the gradient
    m ← lerp(m, g, 1 - β₁)                     (= β₁ m + (1 - β₁) g, the seed's m)
    v ← β₂ v + (1 - β₂) g²                     (the seed's v)
    v̂max ← max(v̂max, v)                        (amsgrad: use v̂max instead of v below)
    d = √v / √(1 - β₂ᵗ) + ε                    (ε outside the root, after bias correction)
    θ ← θ - lr / (1 - β₁ᵗ) · m / d

Why AdamW exists: in Adam the L2 term λθ goes through m and is divided by √v, so a weight
whose gradients have been large is decayed *less* (its decay is normalised away); AdamW's
θ(1 - lr λ) shrinks every weight by the same factor whatever its gradient history.
parity_tests/test_optim.py shows the difference and its direction.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from scratch.nn.module import Parameter
from scratch.optim.optimizer import Optimizer, check_hyper, check_implementation, lerp

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam; defaults are torch's (lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)."""

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_implementation(foreach=foreach, capturable=capturable,
                             differentiable=differentiable, fused=fused)  # fmt: skip
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)  # fmt: skip
        super().__init__(params, defaults)

    def _validate(self, defaults: dict) -> None:
        # torch's Adam: ``not 0.0 <= x`` (NaN refused), each beta in [0, 1), both Python
        # floats (0 or 1 written as ints is refused, as is a NumPy float32); only the first
        # two entries of ``betas`` are read and kept
        check_hyper(defaults["lr"], "lr")
        check_hyper(defaults["eps"], "eps")
        betas = defaults["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) < 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        check_hyper(betas[0], "betas[0]", high=1.0)
        check_hyper(betas[1], "betas[1]", high=1.0)
        check_hyper(defaults["weight_decay"], "weight_decay")
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError(f"betas must both be floats, got {betas!r} (write 0.0, not 0)")
        defaults["betas"] = (betas[0], betas[1])

    def _update(self, p: Parameter, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        g = -grad if group["maximize"] else grad
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.data *= 1 - lr * wd
            else:
                g = g + wd * p.data
        m = state["exp_avg"] = lerp(state["exp_avg"], g, 1 - beta1)
        v = state["exp_avg_sq"]
        v *= beta2
        v += (1 - beta2) * g * g
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        step_size = lr / (1 - beta1**t)
        d = np.sqrt(v) / (1 - beta2**t) ** 0.5 + group["eps"]
        p.data -= step_size * (m / d)


class AdamW(Adam):
    """Adam with decoupled weight decay θ ← θ(1 - lr λ); torch's default weight_decay=1e-2."""

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)  # fmt: skip
