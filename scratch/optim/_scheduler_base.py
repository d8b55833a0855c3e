"""The scheduler base class shared by scratch/optim/lr_scheduler.py and one_cycle.py.

Twin: ``torch.optim.lr_scheduler.LRScheduler``. Re-exported by ``scratch.optim.lr_scheduler``.
"""

from __future__ import annotations

import copy
import numbers
from typing import Any

from scratch.optim.optimizer import Optimizer


def _number(value: object, name: str) -> Any:
    """``value`` unchanged if it is a real number, else TypeError naming ``name``.

    torch's schedulers check almost nothing: a γ of 0, a negative η_min or a NaN factor all
    give a schedule (of zeros, negative or NaN lrs), so scratch accepts every real number too
    (bools, NaN and inf included) and keeps it as given, so the arithmetic is torch's. Only a
    non-number is refused up front, where torch would fail later inside its arithmetic.
    """
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return value


def _nonzero(value: object, name: str, why: str) -> Any:
    """A number other than 0: torch accepts 0 at construction and divides by it later."""
    if _number(value, name) == 0:
        raise ValueError(f"{name} must be non-zero ({why}), got {value!r}")
    return value


def _group_values(optimizer: Optimizer, key: str) -> list[Any]:
    return [group[key] for group in optimizer.param_groups]


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and writes ``get_lr()`` into the groups."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not a scratch.optim Optimizer")
        _number(last_epoch, "last_epoch")  # -1 starts; anything else resumes, as in torch
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        elif any("initial_lr" not in group for group in optimizer.param_groups):
            raise ValueError(
                "last_epoch >= 0 resumes a schedule, but the optimizer's param_groups have no "
                "'initial_lr': load the optimizer's state_dict first, or use last_epoch=-1"
            )
        self.base_lrs: list[float] = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's own step (epoch -1 → 0); some get_lr rules treat it specially."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lr of each param group after the latest ``step()``."""
        return list(self._last_lr)

    def step(self) -> None:
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        """Advance one step (chainable ``get_lr``), or jump to ``epoch`` (closed form)."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as torch's scheduler state_dict."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))
