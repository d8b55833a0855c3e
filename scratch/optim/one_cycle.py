"""OneCycleLR (the 1cycle policy), split from lr_scheduler.py to keep each file readable.

Twin: ``torch.optim.lr_scheduler.OneCycleLR``. Re-exported by ``scratch.optim.lr_scheduler``.
"""

from __future__ import annotations

import math

from scratch.optim._scheduler_base import LRScheduler, _nonzero, _number
from scratch.optim.optimizer import Optimizer


def _step_count(value: object, name: str) -> int:
    """torch's test, ``isinstance(value, int) and value > 0``: True counts as 1, 10.0 and a
    NumPy integer are refused."""
    if not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer (a Python int), got {value!r}")
    return value


def _per_group(name: str, optimizer: Optimizer, value: float | list[float]) -> list[float]:
    """One value per param group: a scalar is repeated, a list must match the group count."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have one value per param group: got {len(value)} values for "
                f"{len(optimizer.param_groups)} groups"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: lr climbs from max_lr/div_factor to max_lr, then anneals far below.

    Phases (``three_phase=False``): steps 0 → pct_start·total - 1 go initial_lr → max_lr
    while momentum (SGD/RMSprop ``momentum``, Adam's β₁) goes max_momentum → base_momentum;
    then to total - 1, lr goes max_lr → initial_lr/final_div_factor and momentum back up.
    ``three_phase=True`` makes the descent symmetric and adds a final annihilation phase.
    Each phase interpolates with a half cosine (``anneal_strategy="cos"``) or linearly.
    Stepping more than ``total_steps`` times is an error, as in torch.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:  # fmt: skip
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not a scratch.optim Optimizer")
        if total_steps is not None:
            self.total_steps = _step_count(total_steps, "total_steps")
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = _step_count(epochs, "epochs") * _step_count(
                steps_per_epoch, "steps_per_epoch"
            )
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        # torch's test: a float (0 and 1 as ints are refused, NaN passes) in [0, 1]
        if _number(pct_start, "pct_start") < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"pct_start must be a float in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        # any number (a negative one gives negative lrs, as in torch); 0 would be divided by
        if last_epoch == -1:
            _nonzero(div_factor, "div_factor", "initial_lr = max_lr / div_factor")
            _nonzero(final_div_factor, "final_div_factor", "min_lr = initial_lr / final_div_factor")
        total = self.total_steps
        up_end = float(pct_start * total) - 1
        if three_phase:
            self._schedule_phases = [
                (up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (float(2 * pct_start * total) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]  # fmt: skip
        else:
            self._schedule_phases = [
                (up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        max_lrs = [_number(v, "max_lr") for v in _per_group("max_lr", optimizer, max_lr)]
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group("max_momentum", optimizer, max_momentum)
            lows = _per_group("base_momentum", optimizer, base_momentum)
            # unchecked in torch too (a β₁ of 1 or more reaches Adam, which does not check
            # a group's values); only non-numbers are refused here
            highs = [_number(m, "max_momentum") for m in highs]
            lows = [_number(m, "base_momentum") for m in lows]
            if last_epoch == -1:
                for group, top, bottom in zip(optimizer.param_groups, highs, lows, strict=True):
                    self._set_momentum(group, top)
                    group["max_momentum"], group["base_momentum"] = top, bottom
        self.optimizer = optimizer
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(
                f"Tried to step {t} times. The specified number of total steps is {self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr0, lr1, m0, m1) in enumerate(self._schedule_phases):
                if t <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (t - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start_step = end_step
        return lrs
