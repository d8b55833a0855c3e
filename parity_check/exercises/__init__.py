"""``parity-check exercises/``: the scoreboard of the learner's exercise folder.

``EXERCISES`` is the manifest: which file of the folder holds which object, and how it is
checked: the catalog component it is run against (``parity_check.check``, with its
derivative function when it has one), or the exercise's own check (XOR, gradient checking,
architecture design: modules beside this one). Each row ends in one status:

- ``done``: the check passed;
- ``not started``: the object still raises ``NotImplementedError`` (the stub's body);
- ``wrong``: it runs but disagrees with torch (the detail is the diagnosis), or does not
  support a case its stub promises (the detail says which: "3-D input not supported");
- ``error``: it could not be checked (an exception in the code, a wrong shape, a missing
  object); the detail is the one-line reason;
- ``missing``: the file is not in the folder.

Each exercise is judged on the scope its stub's docstring promises, written here in
``Exercise.optional`` (not parsed from the docstring): the settings the stub says may be left
out. A case the code does not support is fine when it uses one of them, and makes the
exercise "wrong" otherwise.

Exit status: 0 when every exercise is done, 1 otherwise, 2 (``UsageError``) when the folder
holds none of the exercise files.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parity_check.errors import UsageError, UserCodeError
from parity_check.exercises.architecture import check_build_model
from parity_check.exercises.common import Outcome, verdict_outcome
from parity_check.exercises.gradients import check_numerical_gradient
from parity_check.exercises.xor import check_train_xor
from parity_check.target import load_module

STATUSES = ("done", "not started", "wrong", "error", "missing")
STYLE = {"done": "green bold", "not started": "dim", "wrong": "red bold", "error": "magenta bold", "missing": "yellow"}  # fmt: skip


@dataclass(frozen=True)
class Exercise:
    """One object of one exercise file and how it is checked."""

    title: str  # what the scoreboard calls it
    file: str  # its file in the folder
    name: str  # the object the file defines
    component: str  # the catalog component it is checked as, or the exercise's own name
    derivative: str | None = None  # a function of the same file checked as its derivative
    run: Callable[..., Outcome] | None = None  # the exercise's own check; None: the catalog's
    # the settings the stub's docstring says may be left out (torch's names; "padding=str":
    # a string padding): a case using one may be "not supported"; any other case may not
    optional: tuple[str, ...] = ()

    def promises(self, settings: dict[str, Any]) -> bool:
        """Whether the stub promises a case with these settings (torch's names)."""
        for name in self.optional:
            key, _, kind = name.partition("=")
            if key in settings and (not kind or type(settings[key]).__name__ == kind):
                return False
        return True

    def command(self, folder: Path) -> str:
        """The command line that shows this check's full table."""
        if self.run is not None:
            return f"parity-check {folder}"
        d = f" --derivative {folder / self.file}:{self.derivative}" if self.derivative else ""
        return f"parity-check {self.component} {folder / self.file}:{self.name}{d}"


def E(title: str, file: str, name: str, component: str | None = None, **kw) -> Exercise:
    return Exercise(title, file, name, component or name, **kw)


# In the course's order. ``optional``: what each stub's docstring lets the learner leave out
# (Linear: nothing, it promises 2-D and 3-D input; CrossEntropyLoss: "leave out an argument
# you do not implement"; Adam, AdamW: amsgrad and maximize; BatchNorm2d: momentum=None;
# Conv2d: a string padding).
EXERCISES = [
    E("ReLU", "activations.py", "relu", derivative="relu_derivative"),
    E("Sigmoid", "activations.py", "sigmoid", derivative="sigmoid_derivative"),
    E("Tanh", "activations.py", "tanh", derivative="tanh_derivative"),
    E("Linear layer", "linear.py", "Linear"),
    E("Exercise 1: XOR from scratch", "xor.py", "train_xor", run=check_train_xor),
    E("Exercise 2: gradient checking", "gradient_check.py", "numerical_gradient", run=check_numerical_gradient),
    E("Softmax", "softmax_cross_entropy.py", "softmax"),
    E("Cross-entropy loss", "softmax_cross_entropy.py", "CrossEntropyLoss", optional=("reduction", "label_smoothing", "ignore_index")),
    E("SGD with momentum", "optimizers.py", "SGD", optional=("maximize",)),
    E("Adam", "optimizers.py", "Adam", optional=("amsgrad", "maximize")),
    E("Exercise 3: AdamW", "adamw.py", "AdamW", optional=("amsgrad", "maximize")),
    E("Batch normalisation", "batchnorm.py", "BatchNorm2d", optional=("momentum=NoneType",)),
    E("Dropout", "dropout.py", "Dropout"),
    E("Convolution", "conv.py", "Conv2d", optional=("padding=str",)),
    E("Max pooling", "pooling.py", "MaxPool2d"),
    E("Attention", "attention.py", "scaled_dot_product_attention", derivative="scaled_dot_product_attention_backward"),
    E("Exercise 4: architecture design", "architecture.py", "build_model", "architecture", run=check_build_model),
]  # fmt: skip
FILES = tuple(dict.fromkeys(e.file for e in EXERCISES))


@dataclass
class ScoreRow:
    exercise: Exercise
    status: str
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        e = self.exercise
        return dict(exercise=e.title, file=e.file, object=e.name, component=e.component,
                    derivative=e.derivative, status=self.status, detail=self.detail,
                    seconds=round(self.seconds, 3), result=self.data or None)  # fmt: skip


@dataclass
class Board:
    folder: Path
    rows: list[ScoreRow] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows)

    def exit_status(self) -> int:
        return 0 if self.rows and all(r.status == "done" for r in self.rows) else 1

    def to_dict(self) -> dict[str, Any]:
        return dict(folder=str(self.folder), passed=self.exit_status() == 0,
                    counts={s: self.count(s) for s in STATUSES},
                    exercises=[r.to_dict() for r in self.rows])  # fmt: skip

    def render(self, console: Console) -> None:
        table = Table(title=f"parity-check {self.folder}: the exercises")
        for col in ("exercise", "checked as", "status", "detail"):
            table.add_column(col, overflow="fold")
        for r in self.rows:
            e = r.exercise
            checked = e.component + (f" (+ {e.derivative})" if e.derivative else "")
            table.add_row(escape(e.title), escape(checked), f"[{STYLE[r.status]}]{r.status}[/]", escape(r.detail))  # fmt: skip
        console.print(table)
        wrong = [r for r in self.rows if r.status in ("wrong", "error") and r.exercise.run is None]
        for r in wrong:
            console.print(escape(f"{r.exercise.title}, the full table: {r.exercise.command(self.folder)}"), style="dim", soft_wrap=True)  # fmt: skip
        done, n = self.count("done"), len(self.rows)
        console.print(f"{done} of {n} done", style="green bold" if done == n else "bold")


def _check(e: Exercise, module, options: dict) -> Outcome:
    obj = getattr(module, e.name, None)
    if obj is None:
        raise UsageError(f"{e.file} defines no {e.name}")
    if e.run is not None:
        return e.run(obj, e.name, **options.get(e.component, {}))
    from parity_check.api import check

    derivative = None
    if e.derivative is not None:
        derivative = getattr(module, e.derivative, None)
        if derivative is None:
            raise UsageError(f"{e.file} defines no {e.derivative}")
    verdict = check(e.component, obj, derivative=derivative)
    return scoped_outcome(e, verdict)


def scoped_outcome(e: Exercise, verdict) -> Outcome:
    """The verdict judged on the stub's promise: a case it promises and the code does not
    support makes the exercise wrong; the others are counted in the detail."""
    promised, optional = [], set()
    for r in verdict.unsupported():
        if e.promises(verdict.hyperparameters.get(r.case, {})):
            promised.append(r)
        else:
            optional.add(r.case)
    if promised and verdict.passed:
        first = promised[0]
        return Outcome(False, f"case {first.case!r}: {first.reason or first.message}", verdict.to_dict())  # fmt: skip
    extra = f"{len(optional)} case(s) your code does not support, which the exercise leaves optional (see the full table)" if optional else ""  # fmt: skip
    return verdict_outcome(verdict, extra=extra)


def _stub_line(err: UserCodeError) -> str:
    """Which function still raises NotImplementedError."""
    tb, where = err.original.__traceback__, ""
    while tb is not None:  # the innermost frame: the stub's own function
        code = tb.tb_frame.f_code
        where = getattr(code, "co_qualname", code.co_name)  # Python 3.11+: Linear.__init__
        tb = tb.tb_next
    return f"{where} still raises NotImplementedError" if where and where != "<module>" else "the file still raises NotImplementedError"  # fmt: skip


def run_one(e: Exercise, module, options: dict) -> ScoreRow:
    """Check one exercise; every way it can end is a row, never a traceback."""
    try:
        outcome = _check(e, module, options)
    except UserCodeError as err:
        if isinstance(err.original, NotImplementedError):
            return ScoreRow(e, "not started", _stub_line(err))
        return ScoreRow(e, "error", str(err))
    except UsageError as err:
        return ScoreRow(e, "error", str(err))
    return ScoreRow(e, "done" if outcome.passed else "wrong", outcome.detail, outcome.data)


def scoreboard(folder: Path, *, console: Console | None = None,
               options: dict[str, dict] | None = None) -> Board:  # fmt: skip
    """Check every exercise file of ``folder``, render the table on ``console``, return it.

    ``options``: keyword arguments for an exercise's own check, by its component name, e.g.
    ``{"architecture": {"train_images": 2000}}``. ``UsageError`` when the folder holds none
    of the exercise files.
    """
    folder = Path(folder)
    present = [f for f in FILES if (folder / f).is_file()]
    if not present:
        raise UsageError(f"{folder} holds none of the exercise files ({', '.join(FILES)}); start from a copy of the repository's exercises/ folder")  # fmt: skip
    board = Board(folder)
    modules: dict[str, Any] = {}
    for e in EXERCISES:
        if e.file not in present:
            board.rows.append(ScoreRow(e, "missing", f"{e.file} is not in {folder}"))
            continue
        if e.file not in modules:
            try:
                modules[e.file] = load_module(str(folder / e.file))
            except UsageError as err:  # a UserCodeError too: the file raised when imported
                modules[e.file] = err
        module = modules[e.file]
        if isinstance(module, UsageError):
            not_started = isinstance(module, UserCodeError) and isinstance(module.original, NotImplementedError)  # fmt: skip
            board.rows.append(ScoreRow(e, "not started" if not_started else "error", str(module)))
            continue
        start = time.perf_counter()
        with console.status(f"checking {e.title}") if console else contextlib.nullcontext():
            board.rows.append(run_one(e, module, options or {}))
        board.rows[-1].seconds = time.perf_counter() - start
    if console is not None:
        board.render(console)
    return board


__all__ = ["EXERCISES", "Board", "Exercise", "ScoreRow", "scoreboard"]
