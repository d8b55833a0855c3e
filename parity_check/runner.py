"""Run a check: the spec's cases in both precision profiles, the comparisons, the diagnosis.

The comparison itself is the suite's (``parity_check.core.harness``: ``measure`` and, per step of
a trajectory, ``elementwise``, with the profile's tolerances); this module only decides what
to compare and what to say about it.

No case aborts the check but the basic one: an exception in any other case is a row ("not
supported by your code" or "error", ``scope.row_for``), a wrong shape, NaN or inf a FAIL row,
and a mode that cannot be set (eval) leaves its steps out, with a note.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from parity_check import diagnosis
from parity_check.core.harness import DTYPES, elementwise, measure
from parity_check.diagnosis import DIAGNOSIS_DTYPE
from parity_check.errors import (
    ModeNotSet,
    ShapeMismatch,
    UnsupportedSetting,
    UsageError,
    UserCodeError,
)
from parity_check.mistakes import Mistake, mistakes_for
from parity_check.scope import row_for, settings
from parity_check.specs.base import Case, Result, Spec, Target
from parity_check.verdict import Diagnosis, Row, Verdict


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
        if a.shape != e.shape:  # a FAIL of this case; the diagnosis still compares the arrays
            message = f"{name} has shape {a.shape}, torch's {e.shape}, in case {case.label!r} ({settings(case)})"  # fmt: skip
            rows.append(Row(case.label, dtype, name, rtol=rtol, atol=atol, message=message))
            continue
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
                 mistakes: list[Mistake] | None = None, strict: bool = False) -> None:  # fmt: skip
        self.spec, self.strict = spec, strict
        self.mistakes = mistakes_for(spec.name) if mistakes is None else mistakes
        # a spec of exact values (an lr schedule, a gain) has one profile: float32 would repeat it
        self.dtypes = tuple(d for d in dtypes if d in spec.dtypes) or tuple(spec.dtypes)
        self.cases = spec.cases(thorough)
        # the case every target must run: the table's basic case (its first, if none is marked)
        self.basic = next((c for c in self.cases if c.basic), self.cases[0] if self.cases else None)
        self._expected: dict[tuple[str, str], Result] = {}

    def expected(self, case: Case, dtype: str) -> Result:
        modes = repr(case.setup.get("modes"))  # fewer steps where eval could not be set
        key = (case.label, dtype, repr(sorted(case.config.items())), modes)
        if key not in self._expected:
            self._expected[key] = self.spec.expected(case, dtype)
        return self._expected[key]

    def _run_case(self, target: Target, case: Case, dtype: str) -> tuple[Case, Result]:
        """The target's result, and the case as it ran (settings read back from the target)."""
        target.used = {}
        try:
            actual = self.spec.actual(target, case, dtype)
        except ModeNotSet as err:
            # compare the steps before the first eval one (a BatchNorm's training steps);
            # a case that starts in eval mode is left out entirely (the caller notes it)
            training = _training_steps(case)
            if training is None:
                raise
            target.note(f"case {case.label!r}: its eval steps are not compared, {err}")
            return self._run_case(target, training, dtype)
        if target.used:  # torch (and each mistake) runs with what the target was built with
            case = dataclasses.replace(case, config={**case.config, **target.used})
        return case, actual

    def run(self, target: Target) -> Verdict:
        verdict = Verdict(self.spec.name, target.name, self.spec.twin, strict=self.strict)
        yours: list[tuple[Case, Result]] = []  # float64: the case as it ran, and the result
        ran: list[Case] = []  # the cases that ran, for scope.rank_only
        for case in self.cases:
            for dtype in self.dtypes:
                try:
                    done, actual = self._run_case(target, case, dtype)
                except ModeNotSet as err:
                    target.note(f"case {case.label!r} is not compared: {err}")
                    break
                except ShapeMismatch as err:  # a FAIL of this case, even of the basic one
                    message = f"{err.what} has shape {err.shape}, torch's {err.expected}, in case {case.label!r} ({settings(case)})"  # fmt: skip
                    verdict.rows.append(Row(case.label, dtype, err.what, message=message))
                    verdict.hyperparameters[case.label] = self.spec.describe(case)
                    continue
                except (UserCodeError, UnsupportedSetting) as err:
                    # code that works in training mode only (the course's scope): its
                    # training steps are compared, its eval steps are not supported (an
                    # adapter says so with UnsupportedSetting: CS231n's test-mode cache=None)
                    done_actual = self._training_only(target, case, dtype, err, verdict)
                    if done_actual is None:
                        verdict.rows.append(self._row(target, case, dtype, err, ran))
                        verdict.hyperparameters[case.label] = self.spec.describe(case)
                        continue
                    done, actual = done_actual
                except UsageError as err:
                    verdict.rows.append(self._row(target, case, dtype, err, ran))
                    verdict.hyperparameters[case.label] = self.spec.describe(case)
                    continue
                if not any(c is case for c in ran):
                    ran.append(case)
                if dtype == DIAGNOSIS_DTYPE:
                    yours.append((done, actual))
                verdict.rows += compare(self.spec, done, dtype, actual, self.expected(done, dtype))
                verdict.hyperparameters[case.label] = self.spec.describe(done)
        if verdict.failures():  # the diagnosis reads the rows of numbers only
            compared = dataclasses.replace(verdict, rows=[r for r in verdict.rows if r.compared])
            verdict.diagnosis = self.diagnose(compared, target, yours)
        elif verdict.errors():
            first = verdict.errors()[0]
            at = f" at {first.where}" if first.where else ""
            verdict.diagnosis = Diagnosis(None, f"your code raised in case {first.case!r} ({first.dtype}): {first.message}{at}")  # fmt: skip
        verdict.notes = list(target.notes)
        return verdict

    def _row(self, target: Target, case: Case, dtype: str, err: UsageError, ran: list[Case]) -> Row:
        """The row of a case that raised: in the basic case no verdict (``err`` re-raised,
        saying which case), but where only its float32 profile is not supported."""
        ran_before = any(c is case for c in ran)
        if case is self.basic and not (isinstance(err, UnsupportedSetting) and ran_before):
            if isinstance(err, UserCodeError):  # say which case (and so which settings)
                raise err.during(f"case {case.label!r} ({settings(case)}), {dtype}") from err.original  # fmt: skip
            raise err
        return row_for(target, case, dtype, err, ran)

    def _training_only(self, target: Target, case: Case, dtype: str, err: UsageError,
                       verdict: Verdict) -> tuple[Case, Result] | None:  # fmt: skip
        """``case`` run on its training steps alone, when those run and only the eval ones
        raised ``err``: the eval steps become a "not supported" row. None otherwise."""
        training = _training_steps(case)
        raised_in_user_code = isinstance(err, UserCodeError) or isinstance(err.__cause__, UserCodeError)  # fmt: skip
        if training is None or not raised_in_user_code:
            return None
        try:
            done = self._run_case(target, training, dtype)
        except UsageError:
            return None
        user = err if isinstance(err, UserCodeError) else err.__cause__
        reason = f"eval mode not supported ({user.what})"
        verdict.rows.append(Row(case.label, dtype, "eval steps", status="not supported",
                                message=user.what, where=user.where, reason=reason))  # fmt: skip
        return done

    def diagnose(self, verdict: Verdict, target: Target,
                 yours: list[tuple[Case, Result]]) -> Diagnosis:  # fmt: skip
        """The diagnosis of a failed verdict (``check/diagnosis.py``)."""
        return diagnosis.diagnose(self, verdict, target, yours)


def _training_steps(case: Case) -> Case | None:
    """``case`` cut before its first eval step, if it has training steps before one."""
    modes = tuple(case.setup.get("modes", ()))
    if "eval" not in modes or modes.index("eval") == 0:
        return None
    return dataclasses.replace(case, setup={**case.setup, "modes": modes[: modes.index("eval")]})
