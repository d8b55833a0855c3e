"""The verdict of a check: every compared tensor's figures, the diagnosis, and how to show them.

``Verdict.render()`` draws the terminal table with ``rich``; ``Verdict.to_dict()`` is what
``--json`` writes. Headroom is ``max |yours - torch| / (atol + rtol·|torch|)``: at most 1 passes.

A row's ``status``: "ok" or "FAIL" (a compared tensor; a FAIL with no numbers is a wrong
shape, said in ``message``), "not supported" (the case is out of your code's scope: it said
so, or its signature has no way to take the setting) or "error" (your code raised in a case
that is not scope: a FAIL of that case). The verdict is taken on the cases that ran: PASS when
they all agree (the basic case always runs, or there is no verdict), "in scope" when some
case was not supported; ``strict`` asks for torch's whole domain, so a not-supported case
fails it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STATUSES = ("ok", "FAIL", "not supported", "error")


@dataclass
class Row:
    """One compared tensor of one case in one precision profile, or one case that did not
    run (``status`` "not supported" or "error": no numbers, the exception in ``message``)."""

    case: str
    dtype: str
    tensor: str
    max_abs: float | None = None
    max_rel: float | None = None
    rtol: float | None = None
    atol: float | None = None
    headroom: float | None = None
    passed: bool = False
    index: tuple[int, ...] = ()  # where the headroom is greatest
    yours: float | None = None  # the values there
    torch: float | None = None
    first_step: int | None = None  # trajectories: the first step out of tolerance
    step_label: str = ""  # what that step is, e.g. "3 (eval)"
    status: str = ""  # one of STATUSES; "" means from ``passed`` ("ok" or "FAIL")
    message: str = ""  # a wrong shape, or the exception's one line
    where: str = ""  # file:line where the exception was raised (your code)
    reason: str = ""  # not supported: why, in a few words ("3-D input not supported")

    def __post_init__(self) -> None:
        if not self.status:
            self.status = "ok" if self.passed else "FAIL"
        self.passed = self.status == "ok"

    @property
    def compared(self) -> bool:
        """A row of numbers (ok or FAIL), the only kind the diagnosis reads."""
        return self.status in ("ok", "FAIL")


@dataclass
class Diagnosis:
    """The catalogued mistake that reproduces a failure, or why none was named."""

    mistake: str | None  # the mistake's key, None when no catalogued mistake matches
    message: str
    section: str = ""
    candidates_tried: int = 0
    # when no mistake matches, what the numbers show (check/relations.py): "scaled",
    # "transposed", "other-axis", "step-early", "step-late" or "setting"; else None
    relation: str | None = None
    detail: str = ""  # e.g. "k = 1/N", "eps=1e-07"


@dataclass
class Verdict:
    component: str
    target: str
    twin: str
    rows: list[Row] = field(default_factory=list)
    hyperparameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # case -> values
    notes: list[str] = field(default_factory=list)
    diagnosis: Diagnosis | None = None
    strict: bool = False  # torch's whole domain asked for: a not-supported case fails

    @property
    def passed(self) -> bool:
        """Every case that ran agrees, one did (the basic case), no case raised an error, and
        with ``strict`` every case ran."""
        if not any(r.compared for r in self.rows) or self.failures() or self.errors():
            return False
        return not (self.strict and self.unsupported())

    @property
    def in_scope(self) -> bool:
        """Some case was not supported by your code, and every case that ran agrees."""
        ran = any(r.compared for r in self.rows)
        return ran and bool(self.unsupported()) and not self.failures() and not self.errors()

    @property
    def not_covered(self) -> list[str]:
        """One text per case your code does not support: its label, settings and why."""
        texts: dict[str, list[Row]] = {}
        for r in self.unsupported():
            texts.setdefault(r.case, []).append(r)
        dtypes = sorted({r.dtype for r in self.rows})
        out = []
        for case, rows in texts.items():
            values = self.hyperparameters.get(case, {})
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items()) or "torch's defaults"
            only = "" if len(rows) == len(dtypes) else f", {' and '.join(r.dtype for r in rows)}"
            out.append(f"{case!r} ({shown}{only}): {rows[0].reason or rows[0].message}")
        return out

    def failures(self) -> list[Row]:
        """The compared tensors out of tolerance (or of the wrong shape)."""
        return [r for r in self.rows if r.status == "FAIL"]

    def errors(self) -> list[Row]:
        """The cases in which your code raised (not scope): each a FAIL of that case."""
        return [r for r in self.rows if r.status == "error"]

    def unsupported(self) -> list[Row]:
        return [r for r in self.rows if r.status == "not supported"]

    def to_dict(self) -> dict[str, Any]:
        def clean(value):
            if isinstance(value, float) and not math.isfinite(value):
                return str(value)
            if isinstance(value, dict):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            if hasattr(value, "item") and getattr(value, "size", 1) == 1:
                return clean(value.item())
            if value is None or isinstance(value, (bool, int, float, str)):
                return value
            return repr(value)  # anything else a setting may hold, as text

        return clean(
            dict(component=self.component, target=self.target, twin=self.twin,
                 passed=self.passed, in_scope=self.in_scope, strict=self.strict,
                 not_covered=self.not_covered, rows=[asdict(r) for r in self.rows],
                 hyperparameters=self.hyperparameters, notes=self.notes,
                 diagnosis=asdict(self.diagnosis) if self.diagnosis else None)
        )  # fmt: skip

    def summary(self) -> str:
        compared = [r for r in self.rows if r.compared]
        n, bad, errors = len(compared), len(self.failures()), self.errors()
        cases = len({r.case for r in compared})
        missing = len({r.case for r in self.unsupported()})
        if bad or errors:
            parts = [f"{bad} of {n} comparisons out of tolerance"] if bad else []
            if errors:
                raised = len({r.case for r in errors})
                parts.append(f"your code raised in {raised} case{'s' * (raised != 1)}")
            return f"FAIL: {'; '.join(parts)} ({self.target} against {self.twin})"
        ran = f"in all {n} comparisons ({cases} case{'s' * (cases != 1)}, {', '.join(sorted({r.dtype for r in compared}))})"  # fmt: skip
        if not missing:
            return f"PASS: {self.target} matches {self.twin} {ran}"
        if self.strict:
            return f"FAIL (--strict): {missing} case{'s' * (missing != 1)} of torch's domain not supported by {self.target}; the {cases} that ran agree"  # fmt: skip
        return f"PASS (in scope): {self.target} matches {self.twin} {ran}; {missing} case{'s' * (missing != 1)} not supported by your code (not covered, listed above)"  # fmt: skip

    def render(self, console: Console | None = None, *, all_rows: bool = True) -> None:
        console = console or Console(highlight=False)
        table = Table(title=f"parity-check {self.component}: {self.target} vs {self.twin}")
        for col, justify in [("case", "left"), ("dtype", "left"), ("tensor", "left"),
                             ("max abs err", "right"), ("max rel err", "right"),
                             ("rtol / atol", "right"), ("headroom", "right"), ("", "left"),
                             ("worst element: yours vs torch", "left")]:  # fmt: skip
            # numbers never break mid-token: the text columns wrap instead
            table.add_column(col, justify=justify, overflow="fold", no_wrap=justify == "right")
        last = None
        for r in self.rows if all_rows else [r for r in self.rows if not r.passed]:
            case = "" if (r.case, r.dtype) == last else r.case
            last = (r.case, r.dtype)
            if not r.compared or r.yours is None and r.message:  # no numbers: say what happened
                at = f" (at {r.where})" if r.where else ""
                style = "yellow" if r.status == "not supported" else "red bold"
                table.add_row(escape(case), r.dtype, escape(r.tensor), "-", "-",
                              "-" if r.rtol is None else f"{r.rtol:.2g} / {r.atol:.2g}", "-",
                              f"[{style}]{r.status}[/]", escape(f"{r.message}{at}"))  # fmt: skip
                continue
            where = ""
            if not r.passed:
                at = list(r.index[1:] if r.first_step is not None else r.index)
                step = f"step {r.step_label or r.first_step} " if r.first_step is not None else ""
                where = f"{step}[{', '.join(map(str, at))}]: {_num(r.yours)} vs {_num(r.torch)}"
            table.add_row(escape(case), r.dtype,
                          escape(r.tensor), _num(r.max_abs), _num(r.max_rel),
                          f"{r.rtol:.2g} / {r.atol:.2g}", _num(r.headroom),
                          "[green]ok[/]" if r.passed else "[red bold]FAIL[/]", escape(where))  # fmt: skip
        console.print(table)
        for label, values in self.hyperparameters.items():
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items()) or "torch's defaults"
            console.print(escape(f"{label}: {shown}"), style="dim")
        for note in self.notes:
            console.print(escape(f"note: {note}"))
        for text in self.not_covered:
            console.print(escape(f"not covered (not supported by your code): {text}"), style="yellow")  # fmt: skip
        style = "green bold" if self.passed else "red bold"
        console.print(escape(self.summary()), style=style)
        if self.diagnosis is not None:
            console.print("[yellow bold]diagnosis:[/] " + escape(self.diagnosis.message))


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.3g}"
