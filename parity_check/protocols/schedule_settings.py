"""The settings a learner's schedule (a function of the epoch, or a class of its own) is given.

The blog's ``step_decay(epoch, initAlpha=0.01, factor=0.25, dropEvery=10)`` names StepLR's
settings its own way (``initAlpha`` the initial lr, ``factor`` the gamma, ``dropEvery`` the
step size: aliases in ``adapters.ALIASES``), and it has defaults of its own. A case gives only
the settings it changes, so each of torch's defaults that the schedule takes (under torch's
name or an alias) is passed too: ``factor`` gets StepLR's gamma 0.1, never silently its own
0.25. The base lr comes last, so that a function's ``max_lr`` is OneCycleLR's, not the lr.
"""

from __future__ import annotations

from parity_check import adapters
from parity_check.specs.base import Target

NOT_SETTINGS = ("last_epoch", "verbose")  # torch's bookkeeping, not part of a schedule


def settings(target: Target, fn, config: dict, defaults: dict, skip: tuple[str, ...] = ()) -> dict:
    """``config`` plus torch's default of every setting ``fn`` takes that ``config`` leaves
    out (None defaults and ``NOT_SETTINGS`` excepted), the lr last; ``skip``: ``fn``'s
    arguments with other roles (the epoch)."""
    accepted, _ = adapters.accepted_names(fn)
    accepted -= set(skip)
    given = {k: v for k, v in config.items() if k != "lr"}
    claimed = {n for k, v in given.items() for n in (adapters.translate(k, v, accepted, False) or {})}  # fmt: skip
    extra = {}
    for name, value in defaults.items():
        if name in config or name in NOT_SETTINGS or value is None:
            continue
        passed = adapters.translate(name, value, accepted, False, claimed)
        if passed is not None:
            extra[name] = value
            claimed |= set(passed)
    if extra:
        shown = ", ".join(f"{k}={v!r}" for k, v in extra.items())
        target.note(f"torch's defaults given too, as {target.name} takes them: {shown}")
    return {**given, **extra, **({"lr": config["lr"]} if "lr" in config else {})}
