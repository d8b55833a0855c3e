"""The verdict of a check: every compared tensor's figures, the diagnosis, and how to show them.

``Verdict.render()`` draws the terminal table with ``rich``; ``Verdict.to_dict()`` is what
``--json`` writes. Headroom is ``max |yours - torch| / (atol + rtol·|torch|)``: at most 1 passes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


@dataclass
class Row:
    """One compared tensor of one case in one precision profile."""

    case: str
    dtype: str
    tensor: str
    max_abs: float
    max_rel: float
    rtol: float
    atol: float
    headroom: float
    passed: bool
    index: tuple[int, ...] = ()  # where the headroom is greatest
    yours: float | None = None  # the values there
    torch: float | None = None
    first_step: int | None = None  # trajectories: the first step out of tolerance
    step_label: str = ""  # what that step is, e.g. "3 (eval)"


@dataclass
class Diagnosis:
    """The catalogued mistake that reproduces a failure, or why none was named."""

    mistake: str | None  # the mistake's key, None when no catalogued mistake matches
    message: str
    section: str = ""
    candidates_tried: int = 0


@dataclass
class Verdict:
    component: str
    target: str
    twin: str
    rows: list[Row] = field(default_factory=list)
    hyperparameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # case -> values
    notes: list[str] = field(default_factory=list)
    diagnosis: Diagnosis | None = None

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(r.passed for r in self.rows)

    def failures(self) -> list[Row]:
        return [r for r in self.rows if not r.passed]

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
                 passed=self.passed, rows=[asdict(r) for r in self.rows],
                 hyperparameters=self.hyperparameters, notes=self.notes,
                 diagnosis=asdict(self.diagnosis) if self.diagnosis else None)
        )  # fmt: skip

    def summary(self) -> str:
        n, bad = len(self.rows), len(self.failures())
        cases = len({r.case for r in self.rows})
        if not bad:
            return f"PASS: {self.target} matches {self.twin} in all {n} comparisons ({cases} case{'s' * (cases != 1)}, {', '.join(sorted({r.dtype for r in self.rows}))})"  # fmt: skip
        return f"FAIL: {bad} of {n} comparisons out of tolerance ({self.target} against {self.twin})"  # fmt: skip

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
        for r in self.rows if all_rows else self.failures():
            case = "" if (r.case, r.dtype) == last else r.case
            last = (r.case, r.dtype)
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
