"""What a target's numbers show when no catalogued mistake reproduces them: a simple relation
to torch's numbers, found on the target's float64 results.

Tried in this order, the first that holds is said (``find``):

- ``setting`` / ``other-axis``: yours equals torch run with another setting, from a fixed
  list per component (``settings.SETTINGS``): the usual other constants (an eps of 1e-7), a
  torch name used with another meaning (a BatchNorm momentum of 0.9 meaning torch's 0.1,
  dropout's ``p`` as the keep probability), or another ``dim`` (a softmax over axis 0);
- ``step-late`` / ``step-early``: a trajectory equal to torch's shifted by one step;
- ``transposed``: a matrix equal to torch's transposed, whether its shape is torch's (a
  square one) or torch's reversed;
- ``scaled``: a tensor equal to k × torch's, one k for the whole tensor; k is named when it is
  N or 1/N (the case's batch size or element count), 2, 1/2 or −1.

Every comparison is the spec's ``diagnosis_tolerance`` (float64's). A relation on a setting
first runs torch on the case of the cited row alone, and on the other cases only when that
one agrees, so a diagnosed failure costs a few torch runs, not one per setting and case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from parity_check.core.harness import measure
from parity_check.settings import SETTINGS, Setting
from parity_check.specs.base import Case, Result
from parity_check.verdict import Row

if TYPE_CHECKING:
    from parity_check.runner import Checker

DTYPE = "float64"
# named factors: (value, detail); N and 1/N are added per case
NAMED = ((2.0, "k = 2"), (0.5, "k = 1/2"), (-1.0, "k = -1"))
MIN_SIZE_FOR_ANY_K = 4  # a scalar or a pair is "k × torch's" for some k: only named k's count


@dataclass
class Found:
    """A relation that holds: its kind, its short detail, and the sentence said to the user."""

    relation: str
    detail: str
    text: str


def find(checker: Checker, yours: list[tuple[Case, Result]], cited: Row | None) -> Found | None:
    """The first relation (module doc) that the target's float64 ``yours`` show against
    torch's, looked for first in the case of the ``cited`` row; None when none holds."""
    runs = _ordered(yours, cited)
    torch = [checker.expected(case, DTYPE) for case, _ in runs]
    for look in (_setting, _step_shift, _transposed, _scaled, _setting_of_output):
        found = look(checker, runs, torch, cited)
        if found is not None:
            return found
    return None


def _ordered(yours, cited: Row | None) -> list[tuple[Case, Result]]:
    """The cited row's case first: the cheapest test, and the one that must hold."""
    if cited is None:
        return list(yours)
    return sorted(yours, key=lambda run: run[0].label != cited.case)


def agrees(checker: Checker, case: Case, mine: Result, theirs: Result, names=None) -> bool:
    """``mine`` equals ``theirs`` on ``names`` (default: every tensor of ``mine``)."""
    for name in mine if names is None else names:
        if name not in theirs or theirs[name].shape != mine[name].shape:
            return False
        rtol, atol = checker.spec.diagnosis_tolerance(name, case)
        if not measure(mine[name], theirs[name], rtol, atol).passed:
            return False
    return True


def _failing(checker: Checker, case: Case, mine: Result, theirs: Result) -> list[str]:
    return [n for n in mine if not agrees(checker, case, mine, theirs, [n])]


# -- another setting -----------------------------------------------------------------------
def _setting(checker, runs, torch, cited) -> Found | None:
    for setting in SETTINGS.get(checker.spec.name, ()):
        found = _try_setting(checker, setting, runs, torch)
        if found is not None:
            return found
    return None


def _setting_of_output(checker, runs, torch, cited) -> Found | None:
    """The forward alone: the output agrees with torch run with another setting while the
    gradients differ too (softmax over axis 0 whose backward is the per-row Jacobian): the
    cause of the output is named, and the message says the gradients differ besides."""
    if not all("output" in mine for _, mine in runs):
        return None
    for setting in SETTINGS.get(checker.spec.name, ()):
        found = _try_setting(checker, setting, runs, torch, names=("output",))
        if found is not None:
            text = f"{found.text} (your output, that is: the gradients differ from that too)"
            return Found(found.relation, found.detail, text)
    return None


def _try_setting(checker, setting: Setting, runs, torch, names=None) -> Found | None:
    """Each alternative value of ``setting`` in turn: every case agrees with torch run with it,
    or already with torch itself, and at least one only with it (on ``names``: every tensor
    by default)."""
    first_case, _ = runs[0]
    for alt in setting.alternatives(first_case, torch[0]):
        shown = None
        for (case, mine), theirs in zip(runs, torch, strict=True):
            value = setting.value_for(alt, case, theirs)
            if value is not None:
                other = Case(case.label, {**case.config, setting.name: value}, case.setup)
                try:
                    theirs_then = setting.run(checker, case, value)
                except (RuntimeError, ValueError, TypeError, IndexError):
                    theirs_then = Result()  # torch refuses the value in this case: no match
                if agrees(checker, other, mine, theirs_then, names):
                    shown = shown or (case, value)
                    continue
            if not agrees(checker, case, mine, theirs, names):
                shown = None
                break
        if shown is not None:
            case, value = shown
            return Found(setting.relation, f"{setting.name}={value!r}", setting.sentence(case, value))  # fmt: skip
    return None


# -- one step early or late ----------------------------------------------------------------
def _step_shift(checker, runs, torch, cited) -> Found | None:
    for shift, said in ((1, "late"), (-1, "early")):
        held = _shifted(checker, runs, torch, shift)
        if held:
            case, name = held[0]
            why = ("the value read before the update instead of after, or a step counter "
                   "that starts one lower than torch's" if shift == 1 else
                   "a counter advanced before the value is read, or one that starts one "
                   "higher than torch's")  # fmt: skip
            return Found(f"step-{said}", f"one step {said}",
                         f"your {name} is torch's one step {said} (yours at step "
                         f"{'t + 1' if shift == 1 else 't'} equals torch's at step "
                         f"{'t' if shift == 1 else 't + 1'}) in case {case.label!r}: {why}")  # fmt: skip
    return None


def _shifted(checker, runs, torch, shift: int) -> list[tuple[Case, str]]:
    """Every failing tensor of every case, as (case, name), when each is a trajectory equal to
    torch's shifted by ``shift`` steps (1: yours is late); else empty."""
    held = []
    for (case, mine), theirs in zip(runs, torch, strict=True):
        for name in _failing(checker, case, mine, theirs):
            a, e = mine[name], theirs.get(name)
            if e is None or name not in theirs.steps or a.shape != e.shape or len(a) < 3:
                return []
            a, e = (a[1:], e[:-1]) if shift == 1 else (a[:-1], e[1:])
            rtol, atol = checker.spec.diagnosis_tolerance(name, case)
            if not measure(a, e, rtol, atol).passed:
                return []
            held.append((case, name))
    return held


# -- the transpose ---------------------------------------------------------------------------
def _transposed(checker, runs, torch, cited) -> Found | None:
    for (case, mine), theirs in zip(runs, torch, strict=True):
        for name, value in mine.items():
            e = theirs.get(name)
            steps = name in theirs.steps
            if e is None or value.ndim != 2 + steps or e.shape[-2] * e.shape[-1] < 2:
                continue
            if value.shape == e.shape and agrees(checker, case, mine, theirs, [name]):
                continue
            t = np.swapaxes(value, -1, -2)
            rtol, atol = checker.spec.diagnosis_tolerance(name, case)
            if t.shape == e.shape and measure(t, e, rtol, atol).passed:
                shape = f"shape {value.shape}, torch's {e.shape}" if value.shape != e.shape else f"square, {e.shape}"  # fmt: skip
                return Found("transposed", name,
                             f"your {name} is torch's transposed ({shape}) in case "
                             f"{case.label!r}{_settings(case)}: the product's factors are in "
                             "the other order (torch's Linear weight is (out, in): dW = gᵀx)")  # fmt: skip
    return None


# -- k × torch's -----------------------------------------------------------------------------
def _scaled(checker, runs, torch, cited) -> Found | None:
    """A tensor that is k × torch's in every case where it fails, with the same named k
    (N or 1/N may stand for a different number in each case), else one k in the cited case."""
    failing = [_failing(checker, case, mine, theirs) for (case, mine), theirs in zip(runs, torch, strict=True)]  # fmt: skip
    names = list(dict.fromkeys(n for names in failing for n in names))
    if cited is not None and cited.tensor in names:
        names.remove(cited.tensor)
        names.insert(0, cited.tensor)
    for name in names:
        common: dict[str, str] | None = None
        for ((case, mine), theirs), bad in zip(zip(runs, torch, strict=True), failing, strict=True):  # fmt: skip
            if name not in bad:
                continue
            forms = _factors(checker, case, name, mine[name], theirs)
            common = forms if common is None else {k: v for k, v in common.items() if k in forms}
            if not common:
                break
        if common:
            detail, text = next(iter(common.items()))
            return Found("scaled", detail, text)
    return None


def _factors(checker, case: Case, name: str, a: np.ndarray, theirs: Result) -> dict[str, str]:
    """Every way ``a`` is k × torch's ``name``, as {detail: sentence}, most telling first:
    k = N or 1/N, then 2, 1/2, −1, then any k (on a tensor of at least 4 elements)."""
    e = theirs.get(name)
    if e is None or e.shape != a.shape or name in theirs.steps:
        return {}
    a64, e64 = a.astype(np.float64).ravel(), e.astype(np.float64).ravel()
    if not (np.all(np.isfinite(a64)) and np.all(np.isfinite(e64))) or not np.any(e64):
        return {}
    k = float(a64 @ e64 / (e64 @ e64))  # least squares: one k for the whole tensor
    if not np.isfinite(k) or k == 0 or abs(k - 1) < 1e-9:
        return {}
    rtol, atol = checker.spec.diagnosis_tolerance(name, case)
    named = []
    for n, what in _counts(case, theirs):
        named += [(float(n), "k = N", f"N (N = {n}, {what})"), (1 / n, "k = 1/N", f"1/N (N = {n}, {what})")]  # fmt: skip
    named += [(v, d, d.removeprefix("k = ")) for v, d in NAMED]
    found = {}
    for value, detail, said in named:
        close = abs(k - value) <= 1e-9 * abs(value)
        if close and detail not in found and measure(a64, value * e64, rtol, atol).passed:
            found[detail] = _scaled_text(name, case, said, detail)
    if not found and a.size >= MIN_SIZE_FOR_ANY_K and measure(a64, k * e64, rtol, atol).passed:
        found[f"k = {k:.6g}"] = (f"your {name} is {k:.6g} × torch's (one factor for the whole "
                                 f"tensor) in case {case.label!r}: a constant factor torch does "
                                 "not apply")  # fmt: skip
    return found


def _counts(case: Case, theirs: Result) -> list[tuple[int, str]]:
    """The N a factor can be named by: the case's batch size, then its element count."""
    shape = case.setup.get("shape")
    if shape is None:
        for name in ("grad of input", "output"):
            if name in theirs and name not in theirs.steps and theirs[name].ndim:
                shape = theirs[name].shape
                break
    if not shape:
        return []
    counts = [(int(shape[0]), "the batch size")]
    if int(np.prod(shape)) != shape[0]:
        counts.append((int(np.prod(shape)), "the element count"))
    return [(n, what) for n, what in counts if n > 1]


def _scaled_text(name: str, case: Case, said: str, detail: str) -> str:
    why = {
        "k = N": "a sum where torch takes the mean (the 1/N is missing)",
        "k = 1/N": "a mean where torch sums (a 1/N torch does not have)",
        "k = 2": "a factor 2 torch does not have (a term counted twice, or the derivative of "
        "x² where torch's is of ½x²)",
        "k = 1/2": "half of torch's (a ½ torch does not have)",
        "k = -1": "the sign is flipped",
    }[detail]
    return (
        f"your {name} is {said} × torch's (one factor for the whole tensor) in case "
        f"{case.label!r}: {why}"
    )


def misshapen(checker: Checker, yours: list[tuple[Case, Result]]) -> str | None:
    """The first tensor whose shape is not torch's, said with its case and that case's
    settings (a (2, 3, 0, 0) output means little until it reads "padding=0"); None if none."""
    for case, mine in yours:
        theirs = checker.expected(case, DTYPE)
        for name, value in mine.items():
            e = theirs.get(name)
            if e is not None and value.shape != e.shape:
                return (f"your {name} has shape {value.shape} in case {case.label!r}"
                        f"{_settings(case)}, torch's {e.shape}")  # fmt: skip
    return None


def _settings(case: Case) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in case.config.items())
    return f" ({shown})" if shown else ""
