"""The spec of an optimizer: whole trajectories from one start, on one deterministic objective.

Every run starts from the same parameters (a (3, 4) and a (5,) array), and at each step the
gradient is computed from the *current* parameters by one NumPy function, in the run's dtype,
for torch and for the target alike: the only thing that differs is the update rule. The
objective is Σ sᵢ·log cosh(θᵢ - aᵢ) + 0.01·θᵢ⁴ with scales sᵢ from 1e-3 to 3, so some
gradients are tiny (where ε's place matters) and none is quadratic (where optimizers differ).
The verdict compares the parameters after every step and reports the first step out of
tolerance. A case may set the lr between steps (``setup["schedule"]``, a factor of the base
lr per step): that is where momentum with lr inside the velocity parts from torch's.

Three protocols of its own, detected from the target (and the learner styles of
``protocols/optim_styles.py``, tried first: the book's ``update(params, grads)``, nnfs's
``update_params(layer)``, CS231n's ``rule(w, dw, config)``, deeplearning.ai's
``update_parameters_with_*`` and step functions):

- torch's: ``Cls(params, **hyper)``, ``step()`` updates each ``scratch.nn.Parameter``'s
  ``.data`` from its ``.grad``; lr set through ``param_groups[i]["lr"]`` (or an ``lr``
  attribute);
- the course's: ``Cls(**hyper)`` and ``step(params, grads) -> new params`` on one flat
  array (the rules are elementwise, so flattening changes nothing); lr set as an attribute;
- a learner style's adapter, which steps one flat array ``step(w, g, lr, t) -> new w``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from parity_check import adapters
from parity_check.core.harness import PROFILES
from parity_check.errors import UnsupportedSetting, UsageError, call_user
from parity_check.protocols import optim_styles
from parity_check.protocols.optim_names import required_positional
from parity_check.specs.base import Case, Result, Spec, Target
from scratch.nn import Parameter

SHAPES = ((3, 4), (5,))
SIZES = [math.prod(s) for s in SHAPES]
_rng = np.random.default_rng(7)
START = _rng.uniform(-2.5, 2.5, sum(SIZES))
CENTRE = _rng.uniform(-1.0, 1.0, sum(SIZES))
SCALE = _rng.permutation(np.logspace(-3, np.log10(3.0), sum(SIZES)))


def objective_grad(theta: np.ndarray, maximize: bool = False) -> np.ndarray:
    """∇ of Σ s·log cosh(θ - a) + 0.01 θ⁴ at the flat ``theta``, in its dtype (minus it if
    ``maximize``: the optimizer then climbs -f, so every run heads for the same minimum)."""
    dt = theta.dtype
    g = SCALE.astype(dt) * np.tanh(theta - CENTRE.astype(dt)) + dt.type(0.04) * theta**3
    return -g if maximize else g


def split(flat: np.ndarray) -> list[np.ndarray]:
    return [c.reshape(s) for c, s in zip(np.split(flat, np.cumsum(SIZES)[:-1]), SHAPES, strict=True)]  # fmt: skip


SCHEDULES: dict[str, Callable[[int, int], float]] = {
    # warmup from 0.1 over 10 steps, then a cosine down to 0.1 of the base lr
    "warmup+cosine": lambda t, n: 0.1 + 0.9 * t / 10 if t < 10
    else 0.1 + 0.45 * (1 + math.cos(math.pi * (t - 10) / (n - 10))),
    "lr / 10 at half-way": lambda t, n: 1.0 if t < n // 2 else 0.1,
}  # fmt: skip


# -- the spec ------------------------------------------------------------------------------
LR_ATTRS = ("lr", "learning_rate", "eta")  # the current lr (not base_lr, initial_lr, max_lr)


class OptimizerSpec(Spec):
    """One optimizer: its cases (torch's hyperparameters; steps and lr schedule in setup)."""

    kind = "optimizer"

    def __init__(self, name: str, hyper: dict, cases: list[Case], thorough: list[Case]) -> None:
        self.name, self.hyper = name, dict(hyper)  # torch's defaults, in torch's order
        self.reference, self.twin = f"scratch.optim.{name}", f"torch.optim.{name}"
        self._cases, self._thorough = list(cases), list(thorough)

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def describe(self, case: Case) -> dict[str, Any]:
        setup = case.setup
        return {**case.config, "steps": setup["steps"],
                "lr schedule": setup.get("schedule") or "constant"}  # fmt: skip

    def lrs(self, case: Case, base: float) -> list[float]:
        """The lr of each step: the base lr, or the schedule's factor of it."""
        setup = case.setup
        n, schedule = setup["steps"], setup.get("schedule")
        return [base * (SCHEDULES[schedule](t, n) if schedule else 1.0) for t in range(n)]

    def _result(self, steps: list[np.ndarray]) -> Result:
        result = Result()
        result.step_labels = [str(i + 1) for i in range(len(steps))]  # after the i-th update
        result.add_steps("parameters", steps)
        return result

    def expected(self, case: Case, dtype: str) -> Result:
        tdt = PROFILES[dtype].torch_dtype
        params = [torch.tensor(p, dtype=tdt) for p in split(START)]
        config = dict(case.config)
        opt = getattr(torch.optim, self.name)(params, **config)
        maximize = bool(config.get("maximize", False))
        steps = []
        for lr in self.lrs(case, config.get("lr", self.hyper["lr"])):
            for group in opt.param_groups:
                group["lr"] = lr
            flat = torch.cat([p.detach().reshape(-1) for p in params]).numpy()
            for p, g in zip(params, split(objective_grad(flat, maximize)), strict=True):
                p.grad = torch.from_numpy(g.copy())
            opt.step()
            steps.append(torch.cat([p.detach().reshape(-1) for p in params]).numpy().copy())
        return self._result(steps)

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        np_dtype = PROFILES[dtype].np_dtype
        full = {**self.hyper, **case.config}
        protocol = detect(target)
        if not isinstance(protocol, str):
            return self._learner(protocol, target, case, full, np_dtype)
        params = [Parameter(p.astype(np_dtype)) for p in split(START)]
        args = (params,) if protocol == "torch" else ()
        obj, used = adapters.build(target, args, full, self.hyper, f"{self.name}'s hyperparameters")
        target.used = adapters.changed(used, full)
        maximize = bool(used.get("maximize", False))
        lrs = self.lrs(case, used["lr"])
        scheduled = len(set(lrs)) > 1
        steps = []
        if protocol == "torch":
            target.note("protocol: torch's: Cls(params, **hyper), step() on scratch.nn.Parameter .data/.grad")  # fmt: skip
            set_lr = _lr_setter(target, obj, scheduled, groups=True)
            for lr in lrs:
                set_lr(lr)
                flat = np.concatenate([np.asarray(p.data).reshape(-1) for p in params])
                if callable(getattr(obj, "zero_grad", None)):
                    call_user("calling zero_grad()", obj.zero_grad)
                for p, g in zip(params, split(objective_grad(flat, maximize)), strict=True):
                    p.grad = g.copy()
                call_user("calling step()", obj.step)
                got = [adapters.check_array(p.data, "a parameter's .data after step()", s, np_dtype, exact=True)
                       for p, s in zip(params, SHAPES, strict=True)]  # fmt: skip
                steps.append(np.concatenate([a.reshape(-1) for a in got]))
            return self._result(steps)
        target.note(f"protocol: the course's: Cls(**hyper), step(params, grads) -> new params, on one flat array of {sum(SIZES)}")  # fmt: skip
        set_lr = _lr_setter(target, obj, scheduled, groups=False)
        w = START.astype(np_dtype)
        for lr in lrs:
            set_lr(lr)
            w_in = w.copy()
            out = call_user("calling step(params, grads)", obj.step, w_in, objective_grad(w, maximize))  # fmt: skip
            w = adapters.check_array(w_in if out is None else out, "step's return (the new parameters)", w.shape, np_dtype, exact=True).copy()  # fmt: skip
            steps.append(w)
        return self._result(steps)

    def _learner(self, style, target: Target, case: Case, full: dict, np_dtype) -> Result:
        """A learner style's adapter (``protocols/optim_*.py``) steps one flat array."""
        step, used = style.stepper(target, self, full, np_dtype)
        maximize = bool(used.get("maximize", False))
        w = START.astype(np_dtype)
        steps = []
        for t, lr in enumerate(self.lrs(case, used["lr"]), start=1):
            w = step(w, objective_grad(w, maximize), lr, t)
            steps.append(w)
        target.used = adapters.changed(used, full)  # after the first step: values read back
        return self._result(steps)


def detect(target: Target):
    """ "torch", "course", or the learner style's adapter module (``optim_styles.find``)."""
    obj = target.obj
    style = optim_styles.find(obj)
    if style is not None:
        return style
    if not inspect.isclass(obj):
        raise UsageError(f"{target.name} is a {type(obj).__name__}: give the optimizer's class (or a step function)")  # fmt: skip
    step = getattr(obj, "step", None)
    if not callable(step):
        raise UsageError(f"{target.name} has no step(): an optimizer needs step() (torch's) or step(params, grads) (the course's)")  # fmt: skip
    needed = [n for n in required_positional(step) if n != "self"]
    if not needed:
        return "torch"
    if len(needed) == 2:
        return "course"
    raise UsageError(f"{target.name}.step takes {needed}: expected step() (torch's) or step(params, grads) (the course's)")  # fmt: skip


def _lr_setter(target: Target, obj: Any, scheduled: bool, groups: bool) -> Callable[[float], None]:
    """How to change the lr between steps: param_groups, else an attribute ``lr`` (or alias)."""
    if not scheduled:
        return lambda lr: None
    param_groups = getattr(obj, "param_groups", None)
    if groups and isinstance(param_groups, list) and param_groups and all(isinstance(g, dict) for g in param_groups):  # fmt: skip
        target.note("lr changed between steps through param_groups[i]['lr']")

        def set_groups(lr: float) -> None:
            for group in param_groups:
                group["lr"] = lr

        return set_groups
    for attr in LR_ATTRS:
        if hasattr(obj, attr) and isinstance(getattr(obj, attr), (int, float, np.floating)):
            target.note(f"lr changed between steps through the attribute {attr}")

            def set_attr(lr: float, attr: str = attr) -> None:
                setattr(obj, attr, lr)

            return set_attr
    raise UnsupportedSetting(
        f"{target.name} has no param_groups and no lr attribute: the lr cannot be changed between steps"
    )
