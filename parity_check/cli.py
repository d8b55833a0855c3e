"""``parity-check``: the command line of ``parity_check``.

Usage::

    parity-check COMPONENT TARGET [--thorough] [--strict] [--map weight=W,bias=b]
                 [--derivative F:NAME] [--target-first] [--dtype float64|float32] [--json PATH]
    parity-check exercises/          the exercises' scoreboard
    parity-check --list              every component and its catalogued mistakes

Exit status: 0 PASS (every case that ran agrees, on your code's scope, or with --strict on
torch's whole domain), 1 a FAIL (a wrong number, shape, NaN or inf, an exception in a case
other than the basic one, or with --strict a case your code does not support), 2 no verdict:
a usage error or an exception in the basic case (one line on stderr, no traceback of ours;
an exception in your code shows your frame).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from parity_check.core.harness import DTYPES
from parity_check.errors import UsageError, UserCodeError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints the whole usage)
        raise UsageError(f"{message} (see parity-check --help)")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="parity-check",
        description="Check your implementation of a course component against PyTorch: outputs, "
        "gradients, buffers and trajectories, in float64 and float32, and name the classic "
        "mistake your numbers match.",
        epilog="Exit status: 0 PASS (in your code's scope, or whole with --strict), 1 FAIL, "
        "2 no verdict (a usage error, or an exception in the basic case).",
    )
    p.add_argument("component", nargs="?", help="a catalog name (Linear, BatchNorm2d, gelu, Adam, OneCycleLR, ...) or a folder of exercises")  # fmt: skip
    p.add_argument("target", nargs="?", help="your object: path/to/file.py:Name or package.module:Name")  # fmt: skip
    p.add_argument("--thorough", action="store_true", help="more configurations than the default ci set")  # fmt: skip
    p.add_argument("--strict", action="store_true", help="demand torch's whole domain: a case your code does not support is a FAIL")  # fmt: skip
    p.add_argument("--map", default=None, metavar="T=YOURS,...", help="torch's parameter names to yours, e.g. weight=W,bias=b")  # fmt: skip
    p.add_argument("--derivative", "--grad", dest="derivative", metavar="TARGET", help="a function's derivative, or a loss's gradient function (file.py:name)")  # fmt: skip
    p.add_argument("--target-first", action="store_true", default=None, help="your loss is called loss(target, input), as the course's loss(y_true, y_pred)")  # fmt: skip
    p.add_argument("--dtype", choices=DTYPES, help="one precision profile only (default: both)")
    p.add_argument("--json", metavar="PATH", help="also write the verdict as JSON ('-' for stdout)")  # fmt: skip
    p.add_argument("--list", action="store_true", help="list the components and their catalogued mistakes")  # fmt: skip
    return p


def _json_target(path: str | None) -> None:
    """Refuse a --json path that cannot be written before the check runs, not after it."""
    if path is None or path == "-":
        return
    target = Path(path)
    if not path.strip() or target.is_dir():
        raise UsageError(f"--json {path!r} is not a file path (use - for standard output)")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write --json {path}: {parent} is not a writable folder")


def _write_json(data, path: str) -> None:
    text = json.dumps(data, indent=2)
    if path == "-":
        print(text)
    else:
        try:
            Path(path).write_text(text + "\n", encoding="utf-8")
        except OSError as err:
            raise UsageError(f"cannot write --json {path}: {err.strerror}") from None


def _list() -> int:
    """One line per component (plain text, never wrapped, so it can be grepped)."""
    from parity_check.mistakes import mistakes_for
    from parity_check.specs import SPECS

    for name, spec in sorted(SPECS.items(), key=lambda kv: kv[0].lower()):
        keys = ", ".join(m.key for m in mistakes_for(name)) or "-"
        print(f"{name:32} {spec.kind:10} mistakes: {keys}")
    return 0


def run(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    quiet_json = args.json == "-"
    # piped output gets a table wide enough to read (rich assumes 80 columns off a terminal),
    # unless COLUMNS says how wide
    wide = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
    console = Console(highlight=False, stderr=quiet_json, width=None if wide else 140)
    if args.list:
        if args.component or args.target:
            raise UsageError("--list takes no COMPONENT or TARGET")
        if args.json:
            raise UsageError("--list prints plain text, one line per component; --json applies to a check")  # fmt: skip
        return _list()
    _json_target(args.json)
    if args.component is None:
        raise UsageError("give COMPONENT and TARGET, e.g. parity-check BatchNorm2d my_bn.py:BatchNorm2d (see parity-check --help)")  # fmt: skip
    if args.target is not None and ":" in args.component and ":" not in args.target:
        raise UsageError(f"COMPONENT comes first, then TARGET: parity-check {args.target} {args.component}")  # fmt: skip
    if (
        args.target is None
        and args.component.endswith(("/", "\\"))
        and not Path(args.component).is_dir()
    ):
        raise UsageError(f"folder not found: {args.component}")
    if args.target is None and Path(args.component).is_dir():
        ignored = [f"--{k.replace('_', '-')}" for k in ("thorough", "strict", "map", "derivative", "target_first", "dtype") if getattr(args, k)]  # fmt: skip
        if ignored:
            raise UsageError(f"{' '.join(ignored)} applies to one component, not to a folder of exercises")  # fmt: skip
        from parity_check.exercises import scoreboard

        board = scoreboard(Path(args.component), console=console)
        if args.json:
            _write_json(board.to_dict(), args.json)
        return board.exit_status()
    if args.target is None:
        raise UsageError(f"give TARGET after {args.component}: your object as path/to/file.py:Name or package.module:Name")  # fmt: skip
    from parity_check.api import check

    dtypes = (args.dtype,) if args.dtype else DTYPES
    # with --json -, whatever the user's code prints (a module's own tests at import) goes to
    # stderr, so that stdout holds the JSON alone
    quiet = contextlib.redirect_stdout(sys.stderr) if quiet_json else contextlib.nullcontext()
    with quiet:
        verdict = check(args.component, args.target, thorough=args.thorough, map=args.map,
                        derivative=args.derivative, target_first=args.target_first,
                        dtypes=dtypes, strict=args.strict)  # fmt: skip
    verdict.render(console)
    if args.json:
        _write_json(verdict.to_dict(), args.json)
    return 0 if verdict.passed else 1


def _json_stdout(argv: list[str] | None) -> bool:
    args = list(sys.argv[1:] if argv is None else argv)
    return any(a == "--json" and i + 1 < len(args) and args[i + 1] == "-" for i, a in enumerate(args)) or "--json=-" in args  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except UserCodeError as err:
        print(f"parity-check: {err}", file=sys.stderr)
        if err.user_frames:
            print(err.user_frames.rstrip(), file=sys.stderr)
        if _json_stdout(argv):
            print(json.dumps({"error": str(err), "exit_status": 2}))
        return 2
    except UsageError as err:
        print(f"parity-check: {err}", file=sys.stderr)
        if _json_stdout(argv):
            print(json.dumps({"error": str(err), "exit_status": 2}))  # a consumer reads why
        return 2
    except KeyboardInterrupt:
        print("parity-check: interrupted", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - never our traceback; PARITY_CHECK_DEBUG=1 shows it
        if os.environ.get("PARITY_CHECK_DEBUG"):
            raise
        print(f"parity-check: internal error: {type(err).__name__}: {err} (set PARITY_CHECK_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)  # fmt: skip
        return 2
