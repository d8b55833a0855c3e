"""Which cases are out of the code's scope: an exception in a case becomes a row of the verdict.

The basic case must run (an exception there is no verdict: the runner re-raises it). In any
other case, an exception is "not supported by your code" (scope) when the code says, or
shows, that it does not take that case:

- a ``NotImplementedError``, wherever it is raised;
- a ``raise`` statement in the learner's own file while the object is built (its
  constructor refused the settings);
- a setting its signature has no way to take (``UnsupportedSetting``);
- any exception in a case that differs from a case that ran only in its input's rank (a
  2-D-only layer given 3-D input: ``rank_only``);
- an exception in eval mode only (``runner.Checker._training_only``: the training steps are
  compared, the eval steps are a "not supported" row).

Everything else is an "error": a FAIL of that case (the constructor took ``pad`` and the
forward then fails at padding 1). Either row shows the exception's line and the ``file:line``
where it was raised.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from parity_check.errors import UnsupportedSetting, UsageError, UserCodeError
from parity_check.specs.base import Case, Target
from parity_check.verdict import Row


def settings(case: Case) -> str:
    """A case's settings as the verdict shows them: ``in_features=5, out_features=3``."""
    return ", ".join(f"{k}={v!r}" for k, v in case.config.items()) or "torch's defaults"


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, int) for v in value)


def _rank_diff(a: Any, b: Any) -> tuple[int, int] | bool | None:
    """How the setups ``a`` and ``b`` differ: False (equal), (rank of a, rank of b) when only
    the length of an input shape differs, None when anything else differs."""
    if _is_shape(a) and _is_shape(b):
        if a == b:
            return False
        return (len(a), len(b)) if len(a) != len(b) else None
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return None
        parts = [_rank_diff(a[k], b[k]) for k in a]
    elif isinstance(a, (list, tuple)) and type(a) is type(b) and len(a) == len(b):
        parts = [_rank_diff(x, y) for x, y in zip(a, b, strict=True)]
    else:
        try:
            return False if bool(a == b) else None
        except (TypeError, ValueError):  # arrays compared elementwise: not a setting's shape
            return None
    if any(p is None for p in parts):
        return None
    ranks = [p for p in parts if p]
    return ranks[0] if ranks else False


def rank_only(case: Case, ran: list[Case]) -> int | None:
    """The input rank of ``case`` when it is a case of ``ran`` but for its input's rank
    (same settings; the setups differ only in the length of a shape); else None."""
    for other in ran:
        if repr(sorted(case.config.items())) != repr(sorted(other.config.items())):
            continue
        diff = _rank_diff(case.setup, other.setup)
        if diff:
            return diff[0]
    return None


def _source(obj: Any) -> tuple[str, int] | None:
    """The file and line where the learner's class or function is defined."""
    try:
        file = inspect.getsourcefile(obj)
        line = inspect.getsourcelines(obj)[1]
    except (TypeError, OSError):
        return None
    return (os.path.realpath(file), line) if file else None


def _signature_source(obj: Any) -> tuple[str, int] | None:
    """Where the signature of ``obj`` is written: a class's own ``__init__``, else ``obj``."""
    where = _source(obj)
    init = getattr(obj, "__init__", None) if inspect.isclass(obj) else None
    if where is not None and inspect.isfunction(init):
        own = _source(init)
        if own is not None and own[0] == where[0]:
            return own
    return where


def _raised_by_constructor(target: Target, err: UserCodeError) -> bool:
    """The object was being built and a ``raise`` line of the learner's own file raised."""
    if not err.doing.startswith("constructing") or err.frame is None:
        return False
    source = _source(target.obj)
    if source is None or os.path.realpath(err.frame.filename) != source[0]:
        return False
    return (err.frame.line or "").lstrip().startswith("raise")


def eval_only(case: Case, ran: list[Case]) -> bool:
    """Whether ``case`` is a case of ``ran`` but for being in eval mode (Dropout's eval case:
    the same settings, a setup that differs only in its mode): code that only trains (a
    backward that needs the training cache) is in scope there, as the course's form is."""
    modes = case.setup.get("modes", (case.setup.get("mode"),))
    if "eval" not in modes:
        return False
    rest = {k: v for k, v in case.setup.items() if k not in ("mode", "modes")}
    for other in ran:
        other_rest = {k: v for k, v in other.setup.items() if k not in ("mode", "modes")}
        if other_rest == rest and case.config == other.config and other is not case:
            return True
    return False


def row_for(target: Target, case: Case, dtype: str, err: UsageError, ran: list[Case]) -> Row:
    """The row of a non-basic case that raised ``err``: "not supported" or "error"."""
    if isinstance(err, UserCodeError):
        message, where = err.what, err.where
    else:
        message, where = str(err), ""
    reason = ""
    if isinstance(err, UnsupportedSetting):
        source = _signature_source(target.obj)  # the signature that has no way to take it
        where = f"{source[0]}:{source[1]}" if source else ""
        reason = message
    elif isinstance(err, UserCodeError) and isinstance(err.original, NotImplementedError):
        reason = message
    elif isinstance(err, UserCodeError) and _raised_by_constructor(target, err):
        reason = f"your constructor refuses it: {message}"
    rank = rank_only(case, ran)
    if rank is not None:
        reason = f"{rank}-D input not supported ({message})"
    elif eval_only(case, ran):
        reason = f"eval mode not supported ({message})"
    status = "not supported" if reason else "error"
    return Row(case.label, dtype, "", status=status, message=message, where=where, reason=reason)
