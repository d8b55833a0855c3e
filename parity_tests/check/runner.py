"""Run a check: the spec's cases in both precision profiles, the comparisons, the diagnosis.

The comparison itself is the suite's (``parity_tests.harness.measure``, the profile's
tolerances); this module only decides what to compare and what to say about it.
"""

from __future__ import annotations

import numpy as np

from parity_tests.check.errors import UnsupportedSetting, UsageError
from parity_tests.check.mistakes import mistakes_for
from parity_tests.check.specs.base import Case, Result, Spec, Target
from parity_tests.check.verdict import Diagnosis, Row, Verdict
from parity_tests.harness import DTYPES, measure

DIAGNOSIS_DTYPE = (
    "float64"  # mistakes are told apart in double precision, where rounding can't hide them
)


def compare(spec: Spec, case: Case, dtype: str, actual: Result, expected: Result) -> list[Row]:
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
        if name in expected.steps and c.passed:
            row.first_step = None
        if e.size:
            row.yours, row.torch = float(a[c.index]), float(e[c.index])
        if name in expected.steps and not c.passed:
            e64, a64 = e.astype(np.float64), a.astype(np.float64)
            with np.errstate(invalid="ignore"):
                ratio = np.abs(a64 - e64) / (atol + rtol * np.abs(e64))
            ratio = np.where(np.isnan(ratio), np.inf, ratio).reshape(len(e), -1)
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

    def __init__(self, spec: Spec, *, thorough: bool = False, dtypes=DTYPES) -> None:
        self.spec, self.dtypes = spec, tuple(dtypes)
        self.cases = spec.cases(thorough)
        self._expected: dict[tuple[str, str], Result] = {}

    def expected(self, case: Case, dtype: str) -> Result:
        key = (case.label, dtype)
        if key not in self._expected:
            self._expected[key] = self.spec.expected(case, dtype)
        return self._expected[key]

    def run(self, target: Target) -> Verdict:
        spec = self.spec
        verdict = Verdict(spec.name, target.name, spec.twin)
        yours: dict[str, tuple[Case, Result]] = {}  # float64: the settings used and the results
        skipped: list[UnsupportedSetting] = []
        for case in self.cases:
            for dtype in self.dtypes:
                target.used = {}
                try:
                    actual = spec.actual(target, case, dtype)
                except UnsupportedSetting as err:
                    skipped.append(err)
                    target.note(f"case {case.label!r} ({dtype}) skipped: {err}")
                    break
                # torch runs with what the target was built with (read back, or the case's)
                case_used = (
                    Case(case.label, {**case.config, **target.used}, case.setup)
                    if target.used
                    else case
                )
                if dtype == DIAGNOSIS_DTYPE:
                    yours[case.label] = (case_used, actual)
                expected = self.expected(case, dtype) if case_used is case else self.spec.expected(case_used, dtype)  # fmt: skip
                verdict.rows += compare(spec, case_used, dtype, actual, expected)
                verdict.hyperparameters[case.label] = spec.describe(case_used)
        if not verdict.rows and skipped:
            raise skipped[0]
        verdict.notes = list(target.notes)
        if not verdict.passed:
            verdict.diagnosis = self.diagnose(verdict, yours)
            if verdict.diagnosis.mistake is None:
                _refuse_non_finite(verdict)
        return verdict

    def diagnose(self, verdict: Verdict, yours: dict[str, tuple[Case, Result]]) -> Diagnosis:
        failing = verdict.failures()
        if DIAGNOSIS_DTYPE in self.dtypes and not any(r.dtype == DIAGNOSIS_DTYPE for r in failing):
            return Diagnosis(None, "agrees in float64 but not in float32: a precision problem "
                             "(a sum or difference that loses digits in float32), not a "
                             "catalogued mistake")  # fmt: skip
        candidates = mistakes_for(self.spec.name)
        matches = [m for m in candidates if self._reproduces(m, yours)]
        if len(matches) == 1:
            m = matches[0]
            return Diagnosis(m.key, f"{m.explanation} [{m.key}; course section: {m.section}]", m.section, len(candidates))  # fmt: skip
        first = next(r for r in failing if r.dtype == failing[0].dtype)
        where = f"{first.tensor} of case {first.case!r} ({first.dtype}) at {list(first.index)}: yours {first.yours!r}, torch {first.torch!r}"  # fmt: skip
        if matches:
            names = " or ".join(m.key for m in matches)
            return Diagnosis(None, f"your numbers match more than one catalogued mistake ({names}); first disagreement: {where}", "", len(candidates))  # fmt: skip
        return Diagnosis(None, f"no catalogued mistake reproduces your numbers ({len(candidates)} tried); first disagreement: {where}", "", len(candidates))  # fmt: skip

    def _reproduces(self, mistake, yours: dict[str, tuple[Case, Result]]) -> bool:
        """Does ``mistake``, run with the settings the target ran with, give the target's
        numbers on every case (within the float64 profile's tolerance)?"""
        target = Target(mistake.variant(self.spec.name), mistake.key, derivative=mistake.derivative)
        for case, mine in yours.values():
            target.used = {}
            try:
                theirs = self.spec.actual(target, case, DIAGNOSIS_DTYPE)
            except UsageError:
                return False
            for name, value in mine.items():
                if name not in theirs or theirs[name].shape != value.shape:
                    return False
                rtol, atol = self.spec.tolerance(name, case, DIAGNOSIS_DTYPE)
                if not measure(value, theirs[name], rtol, atol).passed:
                    return False
        return True


def _refuse_non_finite(verdict: Verdict) -> None:
    """NaN or inf where torch is finite, and no catalogued mistake explains it: exit 2."""
    for r in verdict.failures():
        if r.yours is not None and not np.isfinite(r.yours) and np.isfinite(r.torch):
            raise UsageError(
                f"your {r.tensor} holds {r.yours} at {list(r.index)} (case {r.case!r}, {r.dtype})"
                f" where torch's is {r.torch:.6g}: an overflow or a division by zero in your code"
            )
