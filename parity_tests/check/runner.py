"""Run a check: the spec's cases in both precision profiles, the comparisons, the diagnosis.

The comparison itself is the suite's (``parity_tests.harness``: ``measure`` and, per step of
a trajectory, ``elementwise``, with the profile's tolerances); this module only decides what
to compare and what to say about it.
"""

from __future__ import annotations

import numpy as np

from parity_tests.check import diagnosis
from parity_tests.check.diagnosis import DIAGNOSIS_DTYPE
from parity_tests.check.errors import UnsupportedSetting, UsageError, UserCodeError
from parity_tests.check.mistakes import Mistake, mistakes_for
from parity_tests.check.specs.base import Case, Result, Spec, Target
from parity_tests.check.verdict import Diagnosis, Row, Verdict
from parity_tests.harness import DTYPES, elementwise, measure


def compare(spec: Spec, case: Case, dtype: str, actual: Result, expected: Result) -> list[Row]:
    """One ``Row`` per tensor of torch's result: its figures against the target's, and for a
    trajectory the first step out of tolerance. A tensor the target did not produce is
    reported by the spec (a note or an error), not silently passed here."""
    rows = []
    for name, e in expected.items():
        if name not in actual:
            continue
        a = actual[name]
        rtol, atol = spec.tolerance(name, case, dtype)
        if a.shape != e.shape:
            raise UsageError(f"{name} has shape {a.shape}, expected {e.shape} (torch's)")
        c = measure(a, e, rtol, atol)
        row = Row(case.label, dtype, name, c.max_abs, c.max_rel, rtol, atol, c.headroom,
                  c.passed, c.index)  # fmt: skip
        if e.size:
            row.yours, row.torch = float(a[c.index]), float(e[c.index])
        if name in expected.steps and not c.passed:
            a64, e64 = a.astype(np.float64), e.astype(np.float64)
            ratio = elementwise(a64, e64, rtol, atol)[2].reshape(len(e), -1)
            step = int(np.flatnonzero(ratio.max(axis=1) > 1)[0])
            where = int(np.argmax(ratio[step]))
            row.first_step = step
            row.step_label = expected.step_labels[step] if expected.step_labels else ""
            row.index = (step, *(int(i) for i in np.unravel_index(where, e.shape[1:])))
            row.yours, row.torch = float(a64[row.index]), float(e64[row.index])
        rows.append(row)
    return rows


class Checker:
    """Checks targets against one spec, caching torch's results across targets."""

    def __init__(self, spec: Spec, *, thorough: bool = False, dtypes=DTYPES,
                 mistakes: list[Mistake] | None = None) -> None:  # fmt: skip
        self.spec = spec
        self.mistakes = mistakes_for(spec.name) if mistakes is None else mistakes
        # a spec of exact values (an lr schedule, a gain) has one profile: float32 would repeat it
        self.dtypes = tuple(d for d in dtypes if d in spec.dtypes) or tuple(spec.dtypes)
        self.cases = spec.cases(thorough)
        self._expected: dict[tuple[str, str], Result] = {}

    def expected(self, case: Case, dtype: str) -> Result:
        key = (case.label, dtype, repr(sorted(case.config.items())))
        if key not in self._expected:
            self._expected[key] = self.spec.expected(case, dtype)
        return self._expected[key]

    def _run_case(self, target: Target, case: Case, dtype: str) -> tuple[Case, Result]:
        """The target's result, and the case as it ran (settings read back from the target)."""
        target.used = {}
        actual = self.spec.actual(target, case, dtype)
        if target.used:  # torch (and each mistake) runs with what the target was built with
            case = Case(case.label, {**case.config, **target.used}, case.setup)
        return case, actual

    def run(self, target: Target) -> Verdict:
        verdict = Verdict(self.spec.name, target.name, self.spec.twin)
        yours: list[tuple[Case, Result]] = []  # float64: the case as it ran, and the result
        skipped: list[UnsupportedSetting] = []
        for case in self.cases:
            for dtype in self.dtypes:
                try:
                    ran, actual = self._run_case(target, case, dtype)
                except UnsupportedSetting as err:
                    skipped.append(err)
                    target.note(f"case {case.label!r} ({dtype}) skipped: {err}")
                    break
                except UserCodeError as err:  # say which case (and so which settings) it was
                    shown = ", ".join(f"{k}={v!r}" for k, v in case.config.items())
                    raise err.during(f"case {case.label!r} ({shown}), {dtype}") from err.original
                if dtype == DIAGNOSIS_DTYPE:
                    yours.append((ran, actual))
                verdict.rows += compare(self.spec, ran, dtype, actual, self.expected(ran, dtype))
                verdict.hyperparameters[case.label] = self.spec.describe(ran)
        if not verdict.rows and skipped:
            raise skipped[0]
        if not verdict.passed:
            verdict.diagnosis = self.diagnose(verdict, target, yours)
            if verdict.diagnosis.mistake is None:
                _refuse_non_finite(verdict)
        verdict.notes = list(target.notes)
        return verdict

    def diagnose(self, verdict: Verdict, target: Target,
                 yours: list[tuple[Case, Result]]) -> Diagnosis:  # fmt: skip
        """The diagnosis of a failed verdict (``check/diagnosis.py``)."""
        return diagnosis.diagnose(self, verdict, target, yours)


def _refuse_non_finite(verdict: Verdict) -> None:
    """NaN or inf where torch is finite, and no catalogued mistake explains it: exit 2."""
    for r in verdict.failures():
        if r.yours is not None and not np.isfinite(r.yours) and np.isfinite(r.torch):
            at = list(r.index)
            if r.first_step is not None:
                at = f"step {r.step_label or r.first_step} {list(r.index[1:])}"
            raise UsageError(
                f"your {r.tensor} holds {r.yours} at {at} (case {r.case!r}, {r.dtype}) where "
                f"torch's is {r.torch:.6g}: an overflow, a division by zero or the root of a "
                "negative number in your code"
            )
