"""What every checkable component provides: its cases, torch's results, and a run of any target.

A *spec* is the reference computation of one catalog component, written once and run three
ways: with torch (the expected result), with the user's object, and with each catalogued
mistake (``parity_check/mistakes``), which is how a failure gets its diagnosis.

A run returns a ``Result``: named arrays in a fixed order ("output", "grad of input",
"grad of weight", "running_var", "lr by step", ...). Names listed in ``Result.steps`` are
trajectories (one row per step), for which a verdict reports the first step out of tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parity_check.core.harness import PROFILES


def as_array(value) -> np.ndarray:
    """A copy of an ndarray, a torch tensor or a number as an ndarray."""
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy().copy()
    return np.array(value)


class Result(dict):
    """Named arrays of one run (insertion-ordered), plus which of them are trajectories."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: set[str] = set()
        self.step_labels: list[
            str
        ] = []  # what each step is ("train", "eval", "epoch 3"), if not plain

    def add_steps(self, name: str, values: list) -> None:
        """A trajectory from one array per step."""
        self.add(name, np.stack([as_array(v) for v in values]), trajectory=True)

    def add(self, name: str, value, *, trajectory: bool = False) -> None:
        self[name] = as_array(value)
        if trajectory:
            self.steps.add(name)


# Inputs several specs share (softmax, log-softmax and their modules, cross-entropy):
# tied maxima, one row's target among them: softmax shares the mass evenly between them
TIED_LOGITS = [[2.0, 2.0, -1.0, 0.5], [0.0, 0.0, 0.0, 0.0], [1.5, -3.0, 1.5, 1.5]]
# logits hundreds apart: softmax underflows to exactly 0 for the small ones, so log(softmax(z))
# is -inf where torch's log_softmax is finite (z - max - log Σ exp(z - max))
FAR_LOGITS = [[0.0, 1000.0, 2.0, -5.0], [-800.0, 0.0, 3.0, 1.0], [0.5, 0.0, 900.0, -900.0]]


@dataclass
class Case:
    """One configuration to run: a label for people, and the settings a spec interprets.

    Each spec's case table runs from the course's simplest form to torch's general one; its
    first case is the *basic* one (``basic=True``, see ``basic``): the form every course
    teaches (a 2-D batch for Linear and BatchNorm1d, one 4-D batch with stride 1 and no
    padding for the convolutions and pools, a constant lr for an optimizer, the defaults for
    a function or a loss). A target must run it; the other cases may be out of its scope."""

    label: str
    config: dict[str, Any] = field(default_factory=dict)  # hyperparameters, in torch's names
    setup: dict[str, Any] = field(default_factory=dict)  # the rest: input shape, modes, steps
    basic: bool = False


def basic(case: Case) -> Case:
    """``case``, marked as its table's basic case (written first in the table)."""
    case.basic = True
    return case


def basic_first(cases: list[Case]) -> list[Case]:
    """A generated table whose first case is the basic one."""
    if cases:
        basic(cases[0])
    return cases


@dataclass
class Target:
    """The object under check and how to drive it (options from the command line)."""

    obj: Any
    name: str = "target"
    mapping: dict[str, str] = field(default_factory=dict)  # torch name -> the user's name
    derivative: Any = None  # a function's derivative, or a loss's gradient function
    target_first: bool | None = None  # a loss called loss(target, input); None = detect
    notes: list[str] = field(default_factory=list)  # what the adapters chose, for the verdict
    used: dict[str, Any] = field(default_factory=dict)  # hyperparameters actually used
    # torch's matrix name -> whether the target keeps it transposed, (in, out): read from a
    # non-square case, and used where the matrix is square and its shape cannot tell
    layouts: dict[str, bool] = field(default_factory=dict)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class Spec:
    """Base class: subclasses set the class attributes and define the three methods."""

    name: str = ""  # the catalog's short name, e.g. "BatchNorm2d" or "gelu"
    dtypes: tuple[str, ...] = ("float64", "float32")  # exact values (an lr): ("float64",)
    kind: str = ""  # module | function | loss | optimizer | scheduler | init
    reference: str = ""  # dotted scratch name: the correct implementation
    twin: str = ""  # what torch runs

    def cases(self, thorough: bool) -> list[Case]:
        raise NotImplementedError

    def expected(self, case: Case, dtype: str) -> Result:
        """torch's result for ``case`` in ``dtype`` ("float64" or "float32")."""
        raise NotImplementedError

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        """The target's result for ``case``; ``UsageError`` if it cannot be driven."""
        raise NotImplementedError

    def tolerance(self, tensor: str, case: Case, dtype: str) -> tuple[float, float]:
        """(rtol, atol) for one compared tensor: the profile's unless a spec says why not."""
        profile = PROFILES[dtype]
        return profile.rtol, profile.atol

    def diagnosis_tolerance(self, tensor: str, case: Case) -> tuple[float, float]:
        """(rtol, atol) for comparing the target's float64 result with a mistake's: the
        float64 profile's, unless both are random draws (an initialiser) and so differ more."""
        return self.tolerance(tensor, case, "float64")

    def describe(self, case: Case) -> dict[str, Any]:
        """The hyperparameters of a case, as the verdict shows them."""
        return dict(case.config)
