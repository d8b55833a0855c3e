"""The two ways a check can stop without a verdict, and the wrapper for every call into user code.

``UsageError`` (exit status 2): the command could not be carried out as asked (a missing file,
an unknown component, an object that follows no protocol, output of the wrong shape). Its
message is one line, written for the person who typed the command.

``UserCodeError`` (also exit status 2): the user's own code raised. Its message shows the
user's frames of the traceback (file, line, source), never the checker's.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

_OURS = (str(Path(__file__).resolve().parents[1]), str(Path(traceback.__file__).parent))


class UsageError(Exception):
    """The check cannot run as asked; ``str(err)`` is the one line to show."""


class UnsupportedSetting(UsageError):
    """The target's constructor takes no argument for a setting one case needs.

    The checker skips that case (and says so); only when no case can run is it an error."""


class UserCodeError(UsageError):
    """The user's code raised ``original`` while ``doing`` (e.g. "calling forward")."""

    def __init__(self, doing: str, original: BaseException) -> None:
        self.doing = doing
        self.original = original
        frames = [
            f for f in traceback.extract_tb(original.__traceback__)
            if not f.filename.startswith(_OURS) and "importlib" not in f.filename
        ]  # fmt: skip
        where = ""
        if frames:
            last = frames[-1]
            where = f" at {last.filename}:{last.lineno} in {last.name}"
            if last.line:
                where += f": `{last.line.strip()}`"
        if isinstance(original, SystemExit):
            what = f"your code called sys.exit({original.code!r})"
        else:
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
