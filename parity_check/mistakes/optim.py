"""Classic mistakes in optimizers and learning-rate schedules.

Each variant is scratch's optimizer or scheduler with one deliberate change, made from the
outside where it can be (the state it starts from, the lr it sees, the flag it gets), so the
rest of the update is scratch's own, torch-exact rule.
"""

from __future__ import annotations

import functools
import math
from unittest import mock

import numpy as np

import scratch.optim as so
import scratch.optim.lr_scheduler as sl
from parity_check.mistakes.base import Mistake

SECTION = "Optimizers and schedules"


# -- SGD -------------------------------------------------------------------------------------
class SGDLrInsideVelocity(so.SGD):
    """The course's momentum, v = β v + lr g; θ -= v: torch's buffer b = v / lr, with the lr of
    the step that wrote it (so under a changing lr the old gradients keep their old lr)."""

    def _update(self, p, grad, state, group):
        lr, v = group["lr"], state.get("momentum_buffer")
        if v is not None:
            v /= lr  # torch's b, if the lr had always been this one
        super()._update(p, grad, state, group)
        if "momentum_buffer" in state:
            state["momentum_buffer"] *= lr


class SGDNesterovIgnored(so.SGD):
    """Nesterov written as plain momentum: the flag is accepted and never used."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False):  # fmt: skip
        super().__init__(params, lr, momentum, dampening, weight_decay, False, maximize=maximize)


class SGDMomentumAsEMA(so.SGD):
    """Momentum as an exponential moving average from v = 0: v = βv + (1 - β)g; θ -= lr·v.
    That is torch's buffer with dampening = β, started at 0 instead of at g."""

    def _update(self, p, grad, state, group):
        mu, dampening = group["momentum"], group["dampening"]
        if mu != 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(p.data)  # torch's first buffer is g
        group["dampening"] = mu
        try:
            super()._update(p, grad, state, group)
        finally:
            group["dampening"] = dampening


# -- ε inside the square root (RMSprop, Adam, AdamW) --------------------------------------------
class _SqrtShifted:
    """numpy, except ``sqrt(x)`` is ``sqrt(x + shift)``: how ε gets inside the root."""

    def __init__(self, shift: float) -> None:
        self.shift = shift

    def sqrt(self, x):
        return np.sqrt(x + self.shift)

    def __getattr__(self, name):
        return getattr(np, name)


def _eps_inside(cls: type, module: str, shift) -> type:
    """``cls`` whose ``√(·) + ε`` becomes ``√(· + shift(state, group))``, ε = 0 outside."""

    def _update(self, p, grad, state, group):
        eps = group["eps"]
        with mock.patch(f"{module}.np", _SqrtShifted(shift(state, group))):
            group["eps"] = 0.0
            try:
                cls._update(self, p, grad, state, group)
            finally:
                group["eps"] = eps

    return type(f"{cls.__name__}EpsInsideSqrt", (cls,), {"_update": _update})


def _adam_shift(state, group):
    # Adam divides √v by √(1 - β₂ᵗ); √(v + ε(1 - β₂ᵗ)) / √(1 - β₂ᵗ) = √(v̂ + ε)
    t = state.get("step", 0.0) + 1
    return group["eps"] * (1 - group["betas"][1] ** t)


EPS_INSIDE = {
    "RMSprop": _eps_inside(so.RMSprop, "scratch.optim.rmsprop", lambda state, group: group["eps"]),
    "Adam": _eps_inside(so.Adam, "scratch.optim.adam", _adam_shift),
    "AdamW": _eps_inside(so.AdamW, "scratch.optim.adam", _adam_shift),
}


# -- Adam's bias correction ----------------------------------------------------------------------
def _adam_counting_from(cls: type, first: float, name: str) -> type:
    """``cls`` whose step counter starts at ``first`` instead of 0 (scratch adds 1 before use):
    1 gives the correction of step t + 1; inf gives 1 - β^∞ = 1, no correction at all."""

    def _update(self, p, grad, state, group):
        if not state:
            state.update(step=first, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))  # fmt: skip
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        cls._update(self, p, grad, state, group)

    return type(f"{cls.__name__}{name}", (cls,), {"_update": _update})


def _each_adam(first: float, name: str) -> dict:
    return {"Adam": _adam_counting_from(so.Adam, first, name),
            "AdamW": _adam_counting_from(so.AdamW, first, name)}  # fmt: skip


class _SqrtScaled(_SqrtShifted):
    """numpy, except ``sqrt(x)`` is ``sqrt(x)·scale``."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sqrt(self, x):
        return np.sqrt(x) * self.scale


def _adam_eps_hat(cls: type) -> type:
    """Kingma & Ba's "efficient version", lr_t = lr·√(1 - β₂ᵗ)/(1 - β₁ᵗ), θ -= lr_t·m/(√v + ε),
    is torch's step with ε/√(1 - β₂ᵗ) for ε: (√v + ε)/√(1 - β₂ᵗ) = √v̂ + ε/√(1 - β₂ᵗ)."""

    def _update(self, p, grad, state, group):
        eps, t = group["eps"], state.get("step", 0.0) + 1
        group["eps"] = eps / math.sqrt(1 - group["betas"][1] ** t)
        try:
            cls._update(self, p, grad, state, group)
        finally:
            group["eps"] = eps

    return type(f"{cls.__name__}EpsHat", (cls,), {"_update": _update})


def _adam_beta2_squared(cls: type) -> type:
    """v corrected by 1 - β₂² at every step: torch's √v/√(1 - β₂ᵗ) with √v scaled by
    √((1 - β₂ᵗ)/(1 - β₂²)), the rest of the step scratch's own."""

    def _update(self, p, grad, state, group):
        beta2, t = group["betas"][1], state.get("step", 0.0) + 1
        scale = math.sqrt((1 - beta2**t) / (1 - beta2**2))
        with mock.patch("scratch.optim.adam.np", _SqrtScaled(scale)):
            cls._update(self, p, grad, state, group)

    return type(f"{cls.__name__}Beta2Squared", (cls,), {"_update": _update})


class AdamWAsL2(so.Adam):
    """AdamW's signature and default λ = 1e-2, with the decay added to the gradient (Adam's L2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):  # fmt: skip
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class AdamDecoupled(so.Adam):
    """Adam's signature, with AdamW's decoupled decay θ(1 - lr λ)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, maximize=False):  # fmt: skip
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)  # fmt: skip


# -- schedules -----------------------------------------------------------------------------------
SCHEDULERS = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
              "SequentialLR", "OneCycleLR")  # fmt: skip


def _early(cls: type) -> type:
    """The schedule counted from last_epoch 0 instead of -1: every lr one step early."""

    @functools.wraps(cls.__init__)  # keeps the signature the checker reads
    def __init__(self, *args, **kwargs):
        cls.__init__(self, *args, **kwargs)
        self.step()

    return type(f"{cls.__name__}OneStepEarly", (cls,), {"__init__": __init__})


def _late(cls: type) -> type:
    """The first step() after construction does nothing: every lr one step late."""

    @functools.wraps(cls.__init__)
    def __init__(self, *args, **kwargs):
        cls.__init__(self, *args, **kwargs)
        self._skip_next = True

    def step(self):
        if getattr(self, "_skip_next", False):
            self._skip_next = False
            return
        cls.step(self)

    return type(f"{cls.__name__}OneStepLate", (cls,), {"__init__": __init__, "step": step})


class CosineTMaxMinusOne(sl.CosineAnnealingLR):
    """Cosine annealing over T_max - 1 steps: cos(π t/(T_max - 1)), eta_min reached at T_max - 1."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        super().__init__(optimizer, T_max - 1, eta_min, last_epoch)


class CosineToZero(sl.CosineAnnealingLR):
    """Cosine annealing whose floor is 0 whatever eta_min says."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        super().__init__(optimizer, T_max, 0.0, last_epoch)


MISTAKES = [
    Mistake("momentum-lr-inside-velocity", ("SGD",), SECTION,
            "your trajectory matches momentum with lr inside the velocity (v = βv + lr·g; θ -= v),"
            " which equals torch's only while lr is constant: torch keeps b = μb + g and steps"
            " θ -= lr·b, so a new lr rescales the whole buffer at once",
            SGDLrInsideVelocity),
    Mistake("nesterov-as-plain-momentum", ("SGD",), SECTION,
            "with nesterov=True your steps match plain momentum: Nesterov steps along g + μ·b "
            "(the gradient plus the decayed buffer), not along b",
            SGDNesterovIgnored),
    Mistake("eps-inside-sqrt", tuple(EPS_INSIDE), SECTION,
            "your denominator matches √(s + ε) (the course's RMSProp formula): torch divides by "
            "√s + ε, ε outside the root (for Adam: √v̂ + ε); they differ most where gradients are small",
            EPS_INSIDE),
    Mistake("adam-no-bias-correction", ("Adam", "AdamW"), SECTION,
            "your steps match Adam without bias correction: divide m by 1 - β₁ᵗ and v by 1 - β₂ᵗ"
            " (t = 1 at the first step), or the first steps are far too short",
            _each_adam(float("inf"), "NoBiasCorrection")),
    Mistake("adam-bias-correction-t-plus-one", ("Adam", "AdamW"), SECTION,
            "your bias correction matches 1 - βᵗ⁺¹: the step counter is one ahead (t = 1 at the "
            "first update, incremented before use, means starting it at 0)",
            _each_adam(1.0, "BiasCorrectionTPlusOne")),
    Mistake("adamw-decay-through-gradient", ("AdamW",), SECTION,
            "your AdamW matches Adam with L2 (λθ added to the gradient, then divided by √v̂): "
            "AdamW decays the weights directly, θ ← θ(1 - lr·λ), outside the adaptive step",
            AdamWAsL2),
    Mistake("adam-decay-decoupled", ("Adam",), SECTION,
            "your Adam decays the weights directly (θ ← θ(1 - lr·λ), AdamW's rule): torch's Adam "
            "adds λθ to the gradient (L2), which then goes through m and √v̂",
            AdamDecoupled),
    Mistake("schedule-one-step-early", SCHEDULERS, SECTION,
            "your lr at step t is torch's at step t + 1: torch's lr before the first step() is "
            "the schedule at epoch 0 (last_epoch starts at -1 and the constructor steps once)",
            {name: _early(getattr(sl, name)) for name in SCHEDULERS}),
    Mistake("schedule-one-step-late", SCHEDULERS, SECTION,
            "your lr at step t is torch's at step t - 1: each step() must move the schedule to "
            "the next epoch, the first one included",
            {name: _late(getattr(sl, name)) for name in SCHEDULERS}),
    Mistake("cosine-anneals-to-zero", ("CosineAnnealingLR",), SECTION,
            "your cosine matches annealing down to 0: torch anneals to eta_min, "
            "η = η_min + (η_max - η_min)(1 + cos(π t / T_max)) / 2",
            CosineToZero),
    Mistake("momentum-as-moving-average", ("SGD",), SECTION,
            "your momentum matches an exponential moving average, v = βv + (1 - β)g from v = 0: "
            "torch's buffer is b = μb + (1 - dampening)g with dampening 0 by default, and b = g "
            "at the first step; yours is torch's with dampening = μ, its first step also (1 - μ) "
            "times too short",
            SGDMomentumAsEMA),
    Mistake("adam-eps-hat", ("Adam", "AdamW"), SECTION,
            "your steps match Adam's \"efficient version\" (lr_t = lr·√(1 - β₂ᵗ)/(1 - β₁ᵗ), then "
            "m/(√v + ε)): ε is added before the bias correction, which makes it ε/√(1 - β₂ᵗ) "
            "in torch's terms (32ε at the first step with β₂ = 0.999); torch divides by "
            "√v̂ + ε, v̂ = v/(1 - β₂ᵗ), ε after the correction",
            {cls.__name__: _adam_eps_hat(cls) for cls in (so.Adam, so.AdamW)}),
    Mistake("adam-beta2-squared", ("Adam", "AdamW"), SECTION,
            "your second-moment correction matches v/(1 - β₂²) at every step (1 - beta2**2): "
            "torch's is v/(1 - β₂ᵗ), t the step count (1 at the first step), so it fades as t grows",
            {cls.__name__: _adam_beta2_squared(cls) for cls in (so.Adam, so.AdamW)}),
    Mistake("cosine-t-max-minus-one", ("CosineAnnealingLR",), SECTION,
            "your cosine matches cos(π t/(T_max - 1)), reaching eta_min one step early: torch's "
            "is η = η_min + (η_max - η_min)(1 + cos(π t / T_max)) / 2, eta_min at t = T_max",
            CosineTMaxMinusOne),
]  # fmt: skip
