"""The two ways a check can stop without a verdict, and the wrapper for every call into user code.

``UsageError`` (exit status 2): the command could not be carried out as asked (a missing file,
an unknown component, an object that follows no protocol, output of the wrong type). Its
message is one line, written for the person who typed the command. In a case other than the
basic one the runner makes it a row of the verdict instead (``scope.row_for``).

``UserCodeError``: the user's own code raised. Its message shows the user's frames of the
traceback (file, line, source), never the checker's. In the basic case it ends the check
(exit status 2); in any other case the runner makes it a row of the verdict ("not supported
by your code" or "error", ``scope.row_for``).

``ModeNotSet`` and ``ShapeMismatch`` are not the end of a check either: the runner leaves out
a mode it could not set (with a note) and makes a wrong shape a FAIL row.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from pathlib import Path

# the checker's own frames (its core, the harness, included) are never the user's; a learner's
# file anywhere else (the test folder's learner corpus too) is the user's
_HERE = Path(__file__).resolve().parent
_OURS = (str(_HERE) + os.sep, str(Path(traceback.__file__).parent))


class UsageError(Exception):
    """The check cannot run as asked; ``str(err)`` is the one line to show."""


class UnsupportedSetting(UsageError):
    """The target's constructor takes no argument for a setting one case needs.

    That case is "not supported by your code": a row of the verdict, out of its scope (an
    error only in the basic case, which asks for torch's defaults)."""


class ModeNotSet(UsageError):
    """Eval mode was asked for, and the object offers no way to set it: the runner leaves that
    step (or case) out of the comparison and says why in a note."""


class ShapeMismatch(UsageError):
    """An array of the user's has the wrong shape where the run cannot go on with it (an
    optimizer's parameters feed the next step): the runner makes it a FAIL row of that case."""

    def __init__(self, what: str, shape: tuple, expected: tuple) -> None:
        self.what, self.shape, self.expected = what, tuple(shape), tuple(expected)
        super().__init__(f"{what} has shape {self.shape}, expected {self.expected} (torch's)")


def user_frames(err: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``err``'s traceback in the user's code (not the checker's, not Python's)."""
    return [
        f for f in traceback.extract_tb(err.__traceback__)
        if not f.filename.startswith(_OURS) and "importlib" not in f.filename
    ]  # fmt: skip


class UserCodeError(UsageError):
    """The user's code raised ``original`` while ``doing`` (e.g. "calling forward").

    ``what``: the exception in one line ("RuntimeError: oops"); ``where``: ``file:line`` of
    the innermost frame in the user's code ("" when there is none); ``frame``: that frame."""

    def __init__(self, doing: str, original: BaseException) -> None:
        self.doing = doing
        self.original = original
        frames = user_frames(original)
        self.frame = frames[-1] if frames else None
        self.where = f"{self.frame.filename}:{self.frame.lineno}" if self.frame else ""
        where = ""
        if self.frame is not None:
            last = self.frame
            where = f" at {last.filename}:{last.lineno} in {last.name}"
            if last.line:
                where += f": `{last.line.strip()}`"
        if isinstance(original, SystemExit):
            self.what = f"sys.exit({original.code!r})"
            what = f"your code called sys.exit({original.code!r})"
        else:
            self.what = f"{type(original).__name__}: {_text(original, 200)}".replace("\n", " ")
            what = f"your code raised {type(original).__name__}: {_text(original)}"
        super().__init__(f"{what} (while {doing}){where}")
        self.user_frames = "".join(traceback.format_list(frames))

    def during(self, context: str) -> UserCodeError:
        """The same error, saying which case it happened in ("case 'Linear(5, 3)', float64")."""
        err = UserCodeError(f"{self.doing}, {context}", self.original)
        err.__cause__ = self.original
        return err


def _text(err: BaseException, limit: int = 500) -> str:
    """An exception's message, shortened; one whose __str__ itself fails is named as such."""
    try:
        text = str(err)
    except Exception:  # noqa: BLE001 - the user's __str__ is user code too
        return "(its message could not be printed)"
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def call_user(doing: str, fn: Callable, *args, **kwargs):
    """Call into the user's code; anything it raises becomes a ``UserCodeError``."""
    try:
        return fn(*args, **kwargs)
    except UsageError:
        raise
    # any exception from user code is reported, not ours; sys.exit() too: it must not end
    # the check with the user's status (an exit 0 would read as "everything agrees")
    except (Exception, SystemExit) as err:  # noqa: BLE001
        raise UserCodeError(doing, err) from err
