"""The diagnosis of a failed check: the catalogued mistake that reproduces it, else what the
numbers do show (``relations``), and always the disagreement worth reading first.

Only rows that carry numbers (``Row.yours``/``Row.torch``) are read: a row of a case that
raised or was not supported has none, and its own message says what happened.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from parity_check import relations
from parity_check.core.harness import measure
from parity_check.errors import UsageError
from parity_check.mistakes import Mistake
from parity_check.settings import SETTINGS, Setting
from parity_check.specs.base import Case, Result, Spec, Target
from parity_check.verdict import Diagnosis, Row, Verdict

if TYPE_CHECKING:
    from parity_check.runner import Checker

# mistakes are told apart in double precision, where rounding cannot hide them
DIAGNOSIS_DTYPE = "float64"
WITH_CONSTANT_S = 1.5  # the most a failing check spends on a mistake run with another constant

# tensors that are state carried from step to step: a wrong one spoils every later step, so it
# is the upstream cause to read first (BatchNorm's running statistics, an optimizer's buffers)
STATE_MARKERS = ("running_", "num_batches_tracked", "state", "buffer", "exp_avg", "velocity")


def is_state(row: Row) -> bool:
    """Whether ``row`` compares state kept between steps rather than a step's own result."""
    return any(marker in row.tensor for marker in STATE_MARKERS)


def has_numbers(row: Row) -> bool:
    return row.yours is not None and row.torch is not None


def citation_key(row: Row) -> tuple:
    """The order in which disagreements are worth reading: the earliest step first (a row that
    is not a trajectory is step 0), then state before the step's outputs, then the greatest
    headroom (a gradient off by a factor before a loss value off in its sixth digit)."""
    step = row.first_step or 0
    return (step, not is_state(row), -row.headroom)


def cite(rows: list[Row]) -> Row | None:
    """The failing row to cite: the first by ``citation_key`` among the failing rows with
    numbers, in float64 when any fails there; ties keep the table's order. None: no row has
    numbers that disagree."""
    failing = [r for r in rows if not r.passed and has_numbers(r)]
    failing = [r for r in failing if r.dtype == DIAGNOSIS_DTYPE] or failing
    if not failing:  # a wrong shape: a FAIL row whose message says what differs
        return next((r for r in rows if not r.passed and r.message), None)
    return min(failing, key=citation_key)


def where(row: Row | None) -> str:
    """The cited disagreement as the message shows it."""
    if row is None:
        return "no case produced numbers to compare (see the rows that raised)"
    if not has_numbers(row):
        return f"{row.tensor} of case {row.case!r} ({row.dtype}): {row.message}"
    step = "" if row.first_step is None else f" (step {row.step_label or row.first_step})"
    return (f"{row.tensor}{step} of case {row.case!r} ({row.dtype}) at {list(row.index)}: "
            f"yours {row.yours!r}, torch {row.torch!r}")  # fmt: skip


def diagnose(checker: Checker, verdict: Verdict, target: Target,
             yours: list[tuple[Case, Result]]) -> Diagnosis:  # fmt: skip
    """Name the one catalogued mistake (``checker.mistakes``) that reproduces the target's
    float64 numbers on every case; else the relation to torch's numbers that they show
    (``relations.find``), else say that none was found. The message always ends with the
    disagreement to read first (``cite``)."""
    failing = verdict.failures()
    if DIAGNOSIS_DTYPE in checker.dtypes and not any(r.dtype == DIAGNOSIS_DTYPE for r in failing):
        return Diagnosis(None, "agrees in float64 but not in float32: a precision problem "
                         "(a sum or difference that loses digits in float32), not a "
                         "catalogued mistake")  # fmt: skip
    candidates = checker.mistakes
    cited = cite(failing)
    first = f"first disagreement: {where(cited)}"
    if not yours:  # the verdict ran float32 alone: the diagnosis needs float64
        yours = float64_results(checker, target)
    matches = [m for m in candidates if yours and reproduces(checker.spec, m, yours)]
    if len(matches) == 1:
        m = matches[0]
        return Diagnosis(m.key, f"{m.explanation} [{m.key}; course section: {m.section}]", m.section, len(candidates))  # fmt: skip
    if matches:
        # the cases that ran cannot tell them apart (e.g. eval mode not supported): say each
        said = "; or ".join(f"{m.explanation} [{m.key}]" for m in matches)
        names = " or ".join(m.key for m in matches)
        return Diagnosis(None, f"your numbers match more than one catalogued mistake ({names}): {said}; {first}", "", len(candidates))  # fmt: skip
    none = f"no catalogued mistake reproduces your numbers ({len(candidates)} tried)"
    found = relations.find(checker, yours, cited) if yours else None
    both = with_constant(checker, candidates, yours) if yours and found is None else None
    if both is not None:  # two causes at once: a catalogued mistake and another constant
        m, setting, value = both
        name = setting.name
        return Diagnosis(m.key, f"{m.explanation} [{m.key}; course section: {m.section}]; and "
                         f"your numbers are that mistake run with {name}={value!r} (torch's "
                         f"default is {setting.default!r}): {setting.why}; the mistake "
                         f"reproduces your numbers only with it", m.section, len(candidates),
                         relation="setting", detail=f"{name}={value!r}")  # fmt: skip
    if found is not None:
        return Diagnosis(None, f"{found.text}; {none}; {first}", "", len(candidates),
                         relation=found.relation, detail=found.detail)  # fmt: skip
    shape = relations.misshapen(checker, yours) if yours else None
    said = f"{shape}; {none}" if shape else none
    return Diagnosis(None, f"{said}; {first}", "", len(candidates))


def with_constant(checker: Checker, candidates: list[Mistake],
                  yours: list[tuple[Case, Result]]) -> tuple[Mistake, Setting, object] | None:  # fmt: skip
    """A catalogued mistake that reproduces ``yours`` once run with another value of one of
    the component's usual settings (``settings.SETTINGS``, every kind but an axis: the book's
    Adam is the ε̂ form with eps=1e-7 hard-coded; its BatchNorm takes momentum as 1 − torch's),
    as (mistake, the ``Setting``, value); None when none does, or when trying stops at
    ``WITH_CONSTANT_S`` seconds (a failing check stays within seconds)."""
    start = time.perf_counter()
    expected = [checker.expected(c, DIAGNOSIS_DTYPE) for c, _ in yours]
    for setting in SETTINGS.get(checker.spec.name, ()):
        if setting.kind == "dim":
            continue
        for alt in setting.alternatives(yours[0][0], expected[0]):
            runs, shown = [], None
            for (c, mine), theirs in zip(yours, expected, strict=True):
                value = setting.value_for(alt, c, theirs)
                if value is not None:
                    shown = value if shown is None else shown
                    c = Case(c.label, {**c.config, setting.name: value}, c.setup)
                runs.append((c, mine))
            if shown is None:
                continue
            for m in candidates:
                if time.perf_counter() - start > WITH_CONSTANT_S:
                    return None
                try:
                    if reproduces(checker.spec, m, runs):
                        return m, setting, shown
                except (RuntimeError, ValueError, TypeError, IndexError):
                    break  # torch refuses the value (a BatchNorm's eps=0): the next value
    return None


def float64_results(checker: Checker, target: Target) -> list[tuple[Case, Result]]:
    """The target's float64 results, case by case (the cases it can run), for a verdict that
    ran float32 alone; empty when the target cannot run in float64."""
    results = []
    for case in checker.cases:
        try:
            results.append(checker._run_case(target, case, DIAGNOSIS_DTYPE))
        except UsageError:  # a case that did not run (not supported, error, no eval mode)
            continue
    return results


def reproduces(spec: Spec, mistake: Mistake, yours: list[tuple[Case, Result]]) -> bool:
    """Does ``mistake``, run with the settings the target ran with, give the target's
    numbers on every case (within ``spec.diagnosis_tolerance``)?"""
    target = Target(mistake.variant(spec.name), mistake.key, derivative=mistake.derivative)
    for case, mine in yours:
        target.used = {}
        try:
            theirs = spec.actual(target, case, DIAGNOSIS_DTYPE)
        except UsageError:
            return False
        for name, value in mine.items():
            if name not in theirs or theirs[name].shape != value.shape:
                return False
            rtol, atol = spec.diagnosis_tolerance(name, case)
            if not measure(value, theirs[name], rtol, atol).passed:
                return False
    return True
