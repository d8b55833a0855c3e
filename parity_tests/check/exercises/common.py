"""What the exercises' own checks share: an outcome, and a checker with exercise mistakes.

The course's exercises (XOR, gradient checking, architecture design) are not catalog
components, so their specs live here and their classic mistakes are listed beside them
instead of in ``parity_tests/check/mistakes``; ``ExerciseChecker`` tries those.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch

from parity_tests.check.mistakes.base import Mistake
from parity_tests.check.runner import DIAGNOSIS_DTYPE, Checker
from parity_tests.check.specs.base import Case, Result, Spec
from parity_tests.check.verdict import Diagnosis, Verdict


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread meanwhile, as ``parity_tests.check.check`` runs: on small tensors a
    second thread only adds synchronisation, and on busy cores it spins (measured on 2 busy
    cores: XOR's 2,000 autograd steps 0.5 s on one thread, 14 s on two; the architecture's
    short MNIST run 6.8 s on one, 50 s on two)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class Outcome:
    """One exercise's result: passed or not, the line the scoreboard shows, and the details."""

    passed: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)  # what --json writes for it


def verdict_outcome(verdict: Verdict, *, extra: str = "") -> Outcome:
    """The scoreboard's line for a parity verdict: its summary, or its diagnosis when wrong."""
    if verdict.passed:
        rows, cases = len(verdict.rows), len({r.case for r in verdict.rows})
        dtypes = " and ".join(sorted({r.dtype for r in verdict.rows}))
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
        super().__init__(spec, thorough=thorough, dtypes=(DIAGNOSIS_DTYPE,))
        self.mistakes = mistakes

    def expected(self, case: Case, dtype: str) -> Result:
        key = (self.spec.name, "torch", case.label, dtype)
        if key not in self._cache:
            self._cache[key] = self.spec.expected(case, dtype)
        return self._cache[key]

    def diagnose(self, verdict: Verdict, yours: dict[str, tuple[Case, Result]]) -> Diagnosis:
        matches = [m for m in self.mistakes if self._reproduces(m, yours)]
        n = len(self.mistakes)
        if len(matches) == 1:
            m = matches[0]
            return Diagnosis(m.key, f"{m.explanation} [{m.key}; course section: {m.section}]", m.section, n)  # fmt: skip
        first = verdict.failures()[0]
        step = "" if first.first_step is None else f" ({first.step_label or f'step {first.first_step}'})"  # fmt: skip
        where = f"{first.tensor}{step} of case {first.case!r} at {list(first.index)}: yours {first.yours!r}, torch {first.torch!r}"  # fmt: skip
        if matches:
            names = " or ".join(m.key for m in matches)
            return Diagnosis(None, f"your numbers match more than one catalogued mistake ({names}); first disagreement: {where}", "", n)  # fmt: skip
        return Diagnosis(None, f"no catalogued mistake reproduces your numbers ({n} tried); first disagreement: {where}", "", n)  # fmt: skip
