"""What the exercises' own checks share: an outcome, and a checker with exercise mistakes.

The course's exercises (XOR, gradient checking, architecture design) are not catalog
components, so their specs live here and their classic mistakes are listed beside them
instead of in ``parity_check/mistakes``; ``ExerciseChecker`` tries those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from parity_check.isolation import isolated
from parity_check.mistakes.base import Mistake
from parity_check.runner import DIAGNOSIS_DTYPE, Checker
from parity_check.specs.base import Case, Result, Spec
from parity_check.verdict import Verdict

one_thread = isolated  # torch on one thread, random states given back (check/isolation.py)


@dataclass
class Outcome:
    """One exercise's result: passed or not, the line the scoreboard shows, and the details."""

    passed: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)  # what --json writes for it


def verdict_outcome(verdict: Verdict, *, extra: str = "") -> Outcome:
    """The scoreboard's line for a parity verdict: its summary, or its diagnosis when wrong."""
    if verdict.passed:
        compared = [r for r in verdict.rows if r.compared]
        rows, cases = len(compared), len({r.case for r in compared})
        dtypes = " and ".join(sorted({r.dtype for r in compared}))
        detail = f"agrees with {verdict.twin}: {rows} comparisons, {cases} case{'s' * (cases != 1)}, {dtypes}"  # fmt: skip
    elif verdict.diagnosis is not None:
        detail = verdict.diagnosis.message
    else:
        detail = verdict.summary()
    if extra:
        detail = f"{detail}; {extra}"
    return Outcome(verdict.passed, detail, verdict.to_dict())


class ExerciseChecker(Checker):
    """A ``Checker`` whose diagnosis tries the exercise's own mistakes, in float64 only.

    An exercise's inputs are fixed, so torch's results are the same for every target: they
    are computed once per process (XOR's are a whole training run).
    """

    _cache: ClassVar[dict[tuple, Result]] = {}

    def __init__(self, spec: Spec, mistakes: list[Mistake], *, thorough: bool = False) -> None:
        super().__init__(spec, thorough=thorough, dtypes=(DIAGNOSIS_DTYPE,), mistakes=mistakes)

    def expected(self, case: Case, dtype: str) -> Result:
        key = (self.spec.name, "torch", case.label, dtype)
        if key not in self._cache:
            self._cache[key] = self.spec.expected(case, dtype)
        return self._cache[key]
