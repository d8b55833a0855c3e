"""Specs of the optimizers (whole trajectories) and the learning-rate schedules (lr by step).

Optimizers: see ``optim_spec.py`` (the objective and the three protocols). Each case is a
line: a label, torch's hyperparameters, and the setup (steps; a lr schedule the spec applies
between steps). The ci set runs 100 steps; ``--thorough`` adds 300-step cases.

Schedules: the lr of every step over N steps, torch's convention (the lr before the first
``step()`` is step 0). Three protocols, detected from the target:

- a scheduler class ``Cls(optimizer, **settings)`` with ``step()`` and ``get_last_lr()`` (or
  the optimizer's ``param_groups[0]["lr"]``); it gets a ``scratch.optim.SGD`` (momentum 0.9,
  which OneCycleLR cycles: that is compared too), and SequentialLR's children are scratch's
  schedulers on that optimizer (torch's for torch);
- a function of the epoch ``f(epoch, **settings) -> lr`` (the base lr under ``lr`` or an
  alias: ``lr0``, ``base_lr``, ``initial_lr``, ``initAlpha``, ``eta_max``, ``max_lr``, ...;
  StepLR's ``gamma`` as ``factor``, its ``step_size`` as ``dropEvery``; torch's defaults
  given too: ``protocols/schedule_settings.py``);
- a scheduler class without an optimizer, ``Cls(**settings)``: ``step()``, the lr read from
  ``get_last_lr()``, an attribute (``lr``, ``current_lr``, ``last_lr``), or ``obj(epoch)``.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import torch

import scratch.optim.lr_scheduler as sl
from parity_check import adapters
from parity_check.errors import UnsupportedSetting, UsageError, call_user
from parity_check.protocols import schedule_settings
from parity_check.specs.base import Case, Result, Spec, Target, basic
from parity_check.specs.module_spec import torch_defaults
from parity_check.specs.optim_spec import (
    OptimizerSpec,
    required_positional,
)  # fmt: skip
from scratch.nn import Parameter
from scratch.optim import SGD


def C(label: str, setup: dict, **config) -> Case:
    return Case(label, config, setup)


CI, LONG = dict(steps=100), dict(steps=300)
WARMUP = dict(steps=100, schedule="warmup+cosine")


def optimizer(name: str, cases: list[Case], thorough: list[Case]) -> OptimizerSpec:
    hyper = {k: v for k, v in torch_defaults(getattr(torch.optim, name)).items()
             if k not in ("foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay")}  # fmt: skip
    return OptimizerSpec(name, hyper, cases, thorough)


OPTIMIZERS = [
    optimizer("SGD", [
        basic(C("SGD(lr=0.05)", CI, lr=0.05)),
        C("SGD(momentum=0.9)", CI, lr=0.01, momentum=0.9),
        C("SGD(momentum, dampening, weight_decay)", CI, lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.05),
        C("SGD(nesterov)", CI, lr=0.01, momentum=0.9, nesterov=True),
        C("SGD(momentum=0.9), warmup+cosine lr", WARMUP, lr=0.02, momentum=0.9),
    ], [
        C("SGD(maximize)", LONG, lr=0.01, momentum=0.9, maximize=True),
        C("SGD(momentum=0.5), lr / 10 at half-way", dict(LONG, schedule="lr / 10 at half-way"), lr=0.05, momentum=0.5),
        C("SGD(nesterov, weight_decay), warmup+cosine lr", dict(LONG, schedule="warmup+cosine"), lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.01),
    ]),
    optimizer("RMSprop", [
        basic(C("RMSprop(lr=0.01)", CI, lr=0.01)),
        C("RMSprop(alpha=0.9, centered, momentum=0.5)", CI, lr=0.005, alpha=0.9, centered=True, momentum=0.5),
        C("RMSprop(weight_decay=0.05, eps=1e-4)", CI, lr=0.01, weight_decay=0.05, eps=1e-4),
        C("RMSprop, warmup+cosine lr", WARMUP, lr=0.01),
    ], [
        C("RMSprop(maximize, centered)", LONG, lr=0.005, centered=True, maximize=True),
        C("RMSprop(momentum=0.9), lr / 10 at half-way", dict(LONG, schedule="lr / 10 at half-way"), lr=0.002, momentum=0.9),
    ]),
    optimizer("Adam", [
        basic(C("Adam(lr=0.02)", CI, lr=0.02)),
        C("Adam(betas=(0.8, 0.99), amsgrad)", CI, lr=0.02, betas=(0.8, 0.99), amsgrad=True),
        C("Adam(weight_decay=0.1)", CI, lr=0.02, weight_decay=0.1),
        C("Adam, warmup+cosine lr", WARMUP, lr=0.05),
    ], [
        C("Adam(maximize, eps=1e-3)", LONG, lr=0.01, eps=1e-3, maximize=True),
        C("Adam(amsgrad, weight_decay), warmup+cosine lr", dict(LONG, schedule="warmup+cosine"), lr=0.02, amsgrad=True, weight_decay=0.05),
    ]),
    optimizer("AdamW", [
        basic(C("AdamW(lr=0.02)", CI, lr=0.02)),
        C("AdamW(weight_decay=0.1)", CI, lr=0.02, weight_decay=0.1),
        C("AdamW(weight_decay=0.1, amsgrad)", CI, lr=0.02, weight_decay=0.1, amsgrad=True),
        C("AdamW(betas=(0.85, 0.995)), warmup+cosine lr", WARMUP, lr=0.05, betas=(0.85, 0.995)),
    ], [
        C("AdamW(maximize, weight_decay=0.3)", LONG, lr=0.01, weight_decay=0.3, maximize=True),
        C("AdamW(eps=1e-4), lr / 10 at half-way", dict(LONG, schedule="lr / 10 at half-way"), lr=0.02, eps=1e-4),
    ]),
]  # fmt: skip


# -- schedules -------------------------------------------------------------------------------
OPTIMIZER_ARGS = ("optimizer", "opt", "optim", "optimiser")
READ_LR = ("lr", "current_lr", "last_lr", "learning_rate")


class SchedulerSpec(Spec):
    """One lr scheduler: its cases (torch's settings, the optimizer's lr; steps in setup)."""

    kind = "scheduler"
    dtypes = ("float64",)  # an lr is a Python float: a float32 profile would repeat the rows

    def __init__(self, name: str, cases: list[Case], thorough: list[Case]) -> None:
        self.name = name
        self.reference, self.twin = f"scratch.optim.lr_scheduler.{name}", f"torch.optim.lr_scheduler.{name}"  # fmt: skip
        self._cases, self._thorough = list(cases), list(thorough)
        self.defaults = torch_defaults(getattr(torch.optim.lr_scheduler, name))

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def describe(self, case: Case) -> dict[str, Any]:
        config = dict(case.config)
        if "schedulers" in config:
            config["schedulers"] = [f"{n}({', '.join(f'{k}={v!r}' for k, v in s.items())})" for n, s in config["schedulers"]]  # fmt: skip
        return {**config, "steps": case.setup["steps"]}

    def _settings(self, case: Case, lib, optimizer) -> dict:
        settings = {k: v for k, v in case.config.items() if k != "lr"}
        if "schedulers" in settings:
            settings["schedulers"] = [getattr(lib, n)(optimizer, **s) for n, s in settings["schedulers"]]  # fmt: skip
        return settings

    def _result(self, lrs: list[float], momenta: list[float] | None = None) -> Result:
        result = Result()
        result.add_steps("lr by step", [float(x) for x in lrs])
        if momenta is not None and self.name == "OneCycleLR":
            result.add_steps("momentum by step", momenta)
        return result

    def expected(self, case: Case, dtype: str) -> Result:
        steps = case.setup["steps"]
        opt = torch.optim.SGD([torch.zeros(1)], lr=case.config.get("lr", 0.1), momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = getattr(torch.optim.lr_scheduler, self.name)(opt, **self._settings(case, torch.optim.lr_scheduler, opt))  # fmt: skip
            lrs, moms = [sched.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
            for _ in range(steps):
                opt.step()
                sched.step()
                lrs.append(sched.get_last_lr()[0])
                moms.append(opt.param_groups[0]["momentum"])
        return self._result(lrs, moms)

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        steps = case.setup["steps"]
        obj = target.obj
        if inspect.isfunction(obj):
            return self._function(target, case, steps)
        if not inspect.isclass(obj):
            raise UsageError(f"{target.name} is a {type(obj).__name__}: give the scheduler's class or a function of the epoch")  # fmt: skip
        positional = [n for n in required_positional(obj) if n != "self"]
        if positional and positional[0] in OPTIMIZER_ARGS:
            return self._with_optimizer(target, case, steps)
        return self._standalone(target, case, steps)

    def _with_optimizer(self, target: Target, case: Case, steps: int) -> Result:
        target.note("protocol: torch's: Cls(optimizer, **settings) on a scratch.optim.SGD, step() after optimizer.step()")  # fmt: skip
        opt = SGD([Parameter(np.zeros(1))], lr=case.config.get("lr", 0.1), momentum=0.9)
        settings = self._settings(case, sl, opt)
        obj, used = adapters.build(
            target, (opt,), settings, self.defaults, f"{self.name}'s settings"
        )
        target.used = {
            k: v for k, v in adapters.changed(used, settings).items() if k != "schedulers"
        }

        def read() -> float:
            if callable(getattr(obj, "get_last_lr", None)):
                return _first(call_user("calling get_last_lr()", obj.get_last_lr), target)
            return opt.param_groups[0]["lr"]

        lrs, moms = [read()], [opt.param_groups[0]["momentum"]]
        for _ in range(steps):
            opt.step()
            call_user("calling step()", obj.step)
            lrs.append(read())
            moms.append(opt.param_groups[0]["momentum"])
        return self._result(lrs, moms)

    def _unsupported_children(self, case: Case, target: Target) -> None:
        if "schedulers" in case.config:
            raise UnsupportedSetting(f"{self.name} chains scheduler objects: give a class {target.name}(optimizer, schedulers, milestones)")  # fmt: skip

    def _function(self, target: Target, case: Case, steps: int) -> Result:
        self._unsupported_children(case, target)
        fn = target.obj
        positional = required_positional(fn)
        if not positional:
            raise UsageError(f"{target.name} takes no epoch: a schedule function is f(epoch, **settings) -> lr")  # fmt: skip
        config = schedule_settings.settings(target, fn, case.config, self.defaults, (positional[0],))  # fmt: skip
        kwargs, missing, _ = adapters.resolve(target, fn, config, skip=(positional[0],))
        used = adapters.settle(
            target, None, config, missing, self.defaults, f"{self.name}'s settings"
        )
        target.used = adapters.changed(used, config)
        target.note(f"protocol: a function of the epoch {fn.__name__}({positional[0]}, ...) -> lr, epoch 0 = before the first step")  # fmt: skip
        lrs = [_number(call_user(f"calling {fn.__name__}({e}, ...)", fn, e, **kwargs), target) for e in range(steps + 1)]  # fmt: skip
        return self._result(lrs)

    def _standalone(self, target: Target, case: Case, steps: int) -> Result:
        self._unsupported_children(case, target)
        config = schedule_settings.settings(target, target.obj, case.config, self.defaults)
        obj, used = adapters.build(target, (), config, self.defaults, f"{self.name}'s settings")
        target.used = adapters.changed(used, config)
        if not callable(getattr(obj, "step", None)):
            if callable(obj):
                target.note("protocol: a scheduler object without an optimizer, lr = obj(epoch)")
                return self._result([_number(call_user("calling your scheduler(epoch)", obj, e), target) for e in range(steps + 1)])  # fmt: skip
            raise UsageError(f"{target.name} has no step() and is not callable with the epoch")
        target.note("protocol: a scheduler object without an optimizer: step(), lr read back after each")  # fmt: skip

        def read() -> float:
            if callable(getattr(obj, "get_last_lr", None)):
                return _first(call_user("calling get_last_lr()", obj.get_last_lr), target)
            for attr in READ_LR:
                if isinstance(getattr(obj, attr, None), (int, float, np.floating)):
                    return getattr(obj, attr)
            raise UsageError(f"{target.name} has no get_last_lr() and no lr attribute to read the lr from")  # fmt: skip

        lrs = [read()]
        for _ in range(steps):
            call_user("calling step()", obj.step)
            lrs.append(read())
        return self._result(lrs)


def _first(value, target: Target) -> float:
    """get_last_lr() gives one lr per group (a list); a plain number is accepted too."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise UsageError(f"{target.name}.get_last_lr() returned an empty list")
        value = value[0]
    return _number(value, target)


def _number(value, target: Target) -> float:
    try:
        return float(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        raise UsageError(f"{target.name} gave {value!r} as the lr; expected a number") from None


def S(label: str, steps: int = 30, **config) -> Case:
    return Case(label, config, dict(steps=steps))


SCHEDULERS = [
    SchedulerSpec("StepLR", [
        basic(S("StepLR(step_size=4, gamma=0.5)", lr=0.1, step_size=4, gamma=0.5)),
        S("StepLR(step_size=7)", lr=0.1, step_size=7),
    ], [S("StepLR(step_size=30, gamma=0.7), 200 steps", 200, lr=0.5, step_size=30, gamma=0.7)]),
    SchedulerSpec("MultiStepLR", [
        basic(S("MultiStepLR([3, 8, 8, 15], gamma=0.3)", lr=0.1, milestones=[3, 8, 8, 15], gamma=0.3)),
    ], [S("MultiStepLR([50, 120], 200 steps)", 200, lr=0.1, milestones=[50, 120])]),
    SchedulerSpec("ExponentialLR", [
        basic(S("ExponentialLR(gamma=0.9)", lr=0.1, gamma=0.9)),
    ], [S("ExponentialLR(gamma=0.99), 300 steps", 300, lr=0.01, gamma=0.99)]),
    SchedulerSpec("CosineAnnealingLR", [
        basic(S("CosineAnnealingLR(T_max=20, eta_min=0.01), past T_max", lr=0.1, T_max=20, eta_min=0.01)),
        S("CosineAnnealingLR(T_max=10, eta_min=0.002)", 10, lr=0.05, T_max=10, eta_min=0.002),
    ], [S("CosineAnnealingLR(T_max=100, eta_min=1e-4), 250 steps", 250, lr=0.1, T_max=100, eta_min=1e-4)]),
    SchedulerSpec("LinearLR", [
        basic(S("LinearLR(start_factor=0.25, total_iters=8)", lr=0.1, start_factor=0.25, total_iters=8)),
        S("LinearLR(1.0, 0.05, total_iters=20)", lr=0.1, start_factor=1.0, end_factor=0.05, total_iters=20),
    ], [S("LinearLR(total_iters=150), 200 steps", 200, lr=0.1, start_factor=0.01, total_iters=150)]),
    SchedulerSpec("SequentialLR", [
        basic(S("SequentialLR(warmup 5, cosine)", lr=0.1, schedulers=[("LinearLR", dict(start_factor=0.1, total_iters=5)), ("CosineAnnealingLR", dict(T_max=25, eta_min=0.001))], milestones=[5])),
        # milestone 0: the second scheduler runs from the start (torch accepts it): 1, 0.5, 0.25, ...
        S("SequentialLR(milestones=[0])", 10, lr=1.0, schedulers=[("LinearLR", dict(start_factor=0.1, total_iters=3)), ("ExponentialLR", dict(gamma=0.5))], milestones=[0]),
    ], [S("SequentialLR(3 phases), 200 steps", 200, lr=0.1, schedulers=[("LinearLR", dict(start_factor=0.1, total_iters=20)), ("ExponentialLR", dict(gamma=0.98)), ("StepLR", dict(step_size=40, gamma=0.5))], milestones=[20, 150])]),
    SchedulerSpec("OneCycleLR", [  # fewer steps than total_steps: a one-step-early schedule still runs
        basic(S("OneCycleLR(max_lr=0.1, total_steps=40)", max_lr=0.1, total_steps=40)),
        S("OneCycleLR(linear, pct_start=0.25)", max_lr=0.05, total_steps=40, anneal_strategy="linear", pct_start=0.25),
    ], [
        S("OneCycleLR(three_phase), 300 steps", 300, max_lr=0.1, total_steps=320, three_phase=True),
        S("OneCycleLR(div_factor=10, final_div_factor=100), 300 steps", 300, max_lr=0.1, total_steps=302, div_factor=10.0, final_div_factor=100.0),
    ]),
]  # fmt: skip

SPECS = [*OPTIMIZERS, *SCHEDULERS]
