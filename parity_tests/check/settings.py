"""The other settings torch is re-run with when a target's numbers match no catalogued mistake.

A FIXED list per component (``SETTINGS``), of two kinds:

- the usual other constants, which from-scratch code hard-codes (an eps of 1e-7 where torch's
  Adam has 1e-8, a BatchNorm eps of 1e-6, a LeakyReLU slope of 0.2, GELU's tanh form);
- torch names that learners use with another meaning: a BatchNorm momentum of 0.9 meaning
  torch's 0.1 (it weighs the old running value), CS231n's ``dropout_param['p']`` (the keep
  probability), SGD's momentum as an exponential moving average (torch's dampening equal to
  the momentum), and a softmax along another ``dim``.

``relations.find`` says which of them reproduces the target's numbers; the verdict stays a
FAIL, since torch's value is never assumed in silence. ``default`` is torch's own default,
checked against torch's signatures by ``test_check_diagnosis.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from parity_tests.check.specs.base import Case, Result

EPS = (1e-7, 1e-5, 1e-6, 1e-3, 1e-8, 0.0)  # the eps values from-scratch code hard-codes
HARD_CODED = "your code hard-codes another constant, or uses the name with another meaning"


@dataclass(frozen=True)
class Setting:
    """One torch setting to re-run with, and how its other values are found.

    ``kind``: "constant" (each of ``values``), "complement" (1 − the case's value),
    "dim" (each other axis of the case's output) or "same-as" (the value of the setting
    ``source``, e.g. SGD's dampening = momentum)."""

    name: str  # torch's name
    default: Any  # torch's default
    kind: str = "constant"
    values: tuple = ()
    source: str = ""
    why: str = HARD_CODED

    @property
    def relation(self) -> str:
        return "other-axis" if self.kind == "dim" else "setting"

    def current(self, case: Case) -> Any:
        """The value torch runs the case with."""
        return case.config.get(self.name, self.default)

    def alternatives(self, case: Case, theirs: Result) -> list:
        """The rules to try, each turned into a value per case by ``value_for``."""
        if self.kind == "constant":
            return list(self.values)
        if self.kind == "dim":
            return [-1, *range(_rank(theirs))]
        return [self.kind]

    def value_for(self, alt: Any, case: Case, theirs: Result) -> Any:
        """The value ``alt`` gives in ``case``; None where it is torch's own value there."""
        now = self.current(case)
        if self.kind == "complement":
            value = None if now is None else round(1 - now, 12)
        elif self.kind == "same-as":
            value = case.config.get(self.source) or None
        elif self.kind == "dim":
            rank = _rank(theirs)
            same = rank and now is not None and -rank <= alt < rank and alt % rank == now % rank
            value = None if not rank or alt >= rank or same else alt
        else:
            value = alt
        return None if value is None or _same(value, now) else value

    def sentence(self, case: Case, value: Any) -> str:
        """What the user is told when ``value`` reproduces their numbers."""
        shown = f"{self.name}={value!r}"
        if self.kind == "constant":
            now = self.current(case)
            this = "" if _same(now, self.default) else f"; this case's is {now!r}"
            return f"yours equals torch with {shown} (torch's default is {self.default!r}{this}): {self.why}"  # fmt: skip
        return (f"yours equals torch with {shown} in case {case.label!r}, where torch runs "
                f"{self.name}={self.current(case)!r}: {self.why}")  # fmt: skip


def _rank(theirs: Result) -> int:
    out = theirs.get("output")
    return 0 if out is None else out.ndim


def _same(a, b) -> bool:
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except (TypeError, ValueError):
        return a == b


BN = (
    Setting("momentum", 0.1, "complement",
            why="your momentum weighs the old running value (torch's weighs the new batch: "
            "running = (1 − momentum)·running + momentum·batch), so torch's 0.1 is your 0.9"),
    Setting("eps", 1e-5, values=EPS),
)  # fmt: skip
ADAM = (
    Setting("eps", 1e-8, values=EPS),
    Setting("betas", (0.9, 0.999), values=((0.9, 0.99), (0.9, 0.9), (0.95, 0.999), (0.999, 0.9))),
)
DROPOUT = (
    Setting("p", 0.5, "complement",
            why="your p is the keep probability (CS231n's dropout_param['p']); torch's p is "
            "the probability of dropping an element"),
)  # fmt: skip
SGD = (
    Setting("dampening", 0, "same-as", source="momentum",
            why="your velocity is an exponential moving average, v = βv + (1 − β)g; torch's "
            "SGD has dampening=0: v = βv + g"),
)  # fmt: skip
SLOPE = (Setting("negative_slope", 0.01, values=(0.1, 0.2, 0.3, 0.01, 0.02)),)
APPROXIMATE = (Setting("approximate", "none", values=("tanh", "none")),)
AXIS = (
    Setting("dim", None, "dim",
            why="your code works along another axis (torch normalises along dim)"),
)  # fmt: skip

SETTINGS: dict[str, tuple[Setting, ...]] = {
    "BatchNorm1d": BN,
    "BatchNorm2d": BN,
    "batch_norm": BN,
    "Adam": ADAM,
    "AdamW": ADAM,
    "RMSprop": (
        Setting("eps", 1e-8, values=EPS),
        Setting("alpha", 0.99, values=(0.9, 0.999, 0.95)),
    ),
    "SGD": SGD,
    "Dropout": DROPOUT,
    "dropout": DROPOUT,
    "LeakyReLU": SLOPE,
    "leaky_relu": SLOPE,
    "leaky_relu_derivative": SLOPE,
    "GELU": APPROXIMATE,
    "gelu": APPROXIMATE,
    "gelu_derivative": APPROXIMATE,
    "CrossEntropyLoss": (Setting("label_smoothing", 0.0, values=(0.1, 0.0, 0.2)),),
    "Softmax": AXIS,
    "LogSoftmax": AXIS,
    "softmax": AXIS,
    "log_softmax": AXIS,
}
