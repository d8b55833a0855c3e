"""Learning-rate schedules that rewrite ``optimizer.param_groups[i]["lr"]`` after each step.

Twin: ``torch.optim.lr_scheduler`` (torch_ref/optim/lr_scheduler.py re-exports it).

The seed's schedule is a warmup then a cosine decay; torch builds it as
``SequentialLR(opt, [LinearLR(...), CosineAnnealingLR(...)], milestones=[warmup])``.

torch's schedulers are mostly *chainable*: ``step()`` derives the new lr from the group's
current one (StepLR multiplies by γ; CosineAnnealingLR by a ratio of cosines), not from a
closed form in t, which rounds differently. To give torch's exact floats this file ports
torch's ``get_lr`` term for term, with the bookkeeping that picks the formula (``last_epoch``,
``_step_count``, the constructor's initial step, SequentialLR's closed-form hand-over at a
milestone). Call ``optimizer.step()`` then ``scheduler.step()``, as in torch.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from typing import Any

from scratch.optim._scheduler_base import LRScheduler, _group_values, _nonzero, _number
from scratch.optim.one_cycle import OneCycleLR
from scratch.optim.optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LinearLR", "MultiStepLR",
           "OneCycleLR", "SequentialLR", "StepLR"]  # fmt: skip


class StepLR(LRScheduler):
    """lr ← lr·γ every ``step_size`` steps (chainable; closed form base·γ^⌊t/step_size⌋)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:  # fmt: skip
        # torch takes any step_size (2.5 and -2 give schedules) but divides by it at step 1
        self.step_size = _nonzero(step_size, "step_size", "torch's first step() divides by it")
        self.gamma = _number(gamma, "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr ← lr·γ at each milestone (a milestone listed k times multiplies by γᵏ, as torch)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:  # fmt: skip
        if not isinstance(milestones, Iterable):
            raise TypeError(f"milestones must be an iterable of epochs, got {milestones!r}")
        self.milestones = Counter(milestones)  # torch's: 0 fires at construction, -1 never
        self.gamma = _number(gamma, "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr ← lr·γ every step (chainable; closed form base·γᵗ)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _number(gamma, "gamma")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (base - η_min)(1 + cos(π t / T_max)) / 2, computed chainably as torch.

    Past T_max the cosine keeps going (lr climbs back up), as torch's does: this is not
    a restart schedule, and torch's chainable form is what defines the values there.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:  # fmt: skip
        self.T_max = _nonzero(T_max, "T_max", "torch's first step() divides by it")
        self.eta_min = _number(eta_min, "eta_min")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        if self._step_count == 1 and t > 0:
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]  # fmt: skip
        if (t - 1 - T) % (2 * T) == 0:  # at a trough the ratio below would be 0/0
            return [group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, self.optimizer.param_groups,
                                           strict=True)]  # fmt: skip
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]  # fmt: skip


class LinearLR(LRScheduler):
    """lr factor goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters``."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5,
                 last_epoch: int = -1) -> None:  # fmt: skip
        # torch's checks, written as torch writes them (so NaN passes, as in torch)
        if _number(start_factor, "start_factor") > 1.0 or start_factor <= 0:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        if _number(end_factor, "end_factor") > 1.0 or end_factor < 0:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor!r}")
        self.start_factor, self.end_factor = start_factor, end_factor
        # any number: 0 (or less) keeps start_factor for good; only the closed form that
        # SequentialLR uses at a milestone divides by it (ZeroDivisionError, as in torch)
        self.total_iters = _number(total_iters, "total_iters")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, s, e, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if t == 0:
            return [group["lr"] * s for group in self.optimizer.param_groups]
        if self._is_initial or t > n:
            return _group_values(self.optimizer, "lr")
        factor = 1.0 + (e - s) / (n * s + (t - 1) * (e - s))  # ratio of successive factors
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        t, s, e, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (e - s) * min(n, t) / n) for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers[i]`` between ``milestones[i-1]`` and ``milestones[i]`` (warmup + cosine).

    At a milestone the next scheduler restarts from its own epoch 0 (closed form), as torch's.
    """

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler],
                 milestones: list[int], last_epoch: int = -1) -> None:  # fmt: skip
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not a scratch.optim Optimizer")
        _number(last_epoch, "last_epoch")
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError("SequentialLR expects at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(f"schedulers[{i}] must be an LRScheduler, got {scheduler!r}")
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"SequentialLR expects all schedulers to belong to the same optimizer, "
                    f"but schedulers[{i}] ({type(scheduler).__name__}) has another one"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR needs one milestone fewer than schedulers, got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
        for i, m in enumerate(milestones):  # torch checks none: 0 starts on schedulers[1]
            _number(m, f"milestones[{i}]")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # undo the sub-schedulers' initial steps
            group["lr"] = group["initial_lr"]
        _undo_initial_epoch(self)
        first = self._schedulers[bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        for scheduler, sub in zip(self._schedulers, state.pop("_schedulers"), strict=True):
            scheduler.load_state_dict(sub)
        self.__dict__.update(state)


def _undo_initial_epoch(scheduler: LRScheduler) -> None:
    """Step every (nested) sub-scheduler back one epoch: torch's ``recursive_undo``."""
    if isinstance(scheduler, SequentialLR):
        for sub in scheduler._schedulers:
            _undo_initial_epoch(sub)
    else:
        scheduler.last_epoch -= 1
