"""The names learners give torch's settings beyond ``adapters.ALIASES``, and how to convert them.

- ``MORE_ALIASES``: another name, the same meaning (the book's ``dropout_ratio`` is torch's
  ``p``, the drop probability).
- ``CONVERTED``: a name that states another meaning is converted: ``keep_prob`` = 1 − p.
  A torch name used with another meaning (CS231n's ``dropout_param['p']``, the keep
  probability) is *not* converted: the numbers then differ and the diagnosis names the torch
  setting that reproduces them.
- ``SPLITS``: one torch setting given as two (``kernel_size`` as the book's ``pool_h`` and
  ``pool_w``, CS231n's ``pool_height`` and ``pool_width``).
- ``MODE_ARGS``: a forward argument that says train or eval (the book's ``train_flg``), and
  ``eval_word``: the word a ``mode`` argument takes for eval ('test' in CS231n, else 'eval').
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

MORE_ALIASES: dict[str, tuple[str, ...]] = {
    "p": ("dropout_ratio", "drop_rate", "dropout_rate", "drop_ratio"),
    "kernel_size": ("pool_size", "filter_size"),
}

# torch's name -> {the learner's name: (torch value -> theirs, theirs -> torch value)}
CONVERTED: dict[str, dict[str, tuple[Callable, Callable]]] = {
    "p": {
        name: (lambda p: 1 - p, lambda keep: 1 - keep)
        for name in ("keep_prob", "keep_probability", "keep_rate", "p_keep")
    },
}
CONVERSION_TEXT = {"p": "1 − p"}

SPLITS: dict[str, tuple[tuple[str, str], ...]] = {
    "kernel_size": (("pool_h", "pool_w"), ("pool_height", "pool_width"), ("kernel_h", "kernel_w")),
}

MODE_ARGS = ("training", "train", "is_training", "mode", "train_flg", "is_train", "train_mode")
EVAL_WORDS = ("test", "eval", "inference", "predict")


def pair(value: Any) -> tuple:
    """An int or a pair as a pair (torch's ``_pair``)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


PAIRS = ("stride", "padding", "kernel_size", "dilation", "output_padding")  # torch's int or pair


def one_number(fn: Any, passed: dict, torch_name: str) -> dict:
    """torch's pair (2, 2) as the one number 2 for a parameter whose default is a number
    (``stride=1``) in a file that never mentions a tuple, a pair or isinstance: it takes one
    number for both axes, so an unequal pair is a setting it has no way to take (not supported
    by your code). Where the file does, the pair is passed and the code shows what it does."""
    if torch_name not in PAIRS:
        return passed
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return passed
    if _takes_pairs(fn):
        return passed
    out = {}
    for theirs, value in passed.items():
        default = params[theirs].default if theirs in params else None
        if isinstance(value, (tuple, list)) and isinstance(default, int) and not isinstance(default, bool):  # fmt: skip
            if len(set(value)) != 1:
                from parity_check.errors import UnsupportedSetting

                raise UnsupportedSetting(f"your {theirs} takes one number (its default is {default!r}): no way to give {torch_name}={tuple(value)!r}")  # fmt: skip
            value = value[0]
        out[theirs] = value
    return out


def _takes_pairs(fn: Any) -> bool:
    """Whether the learner's file shows it takes a pair (``pair(stride)``, ``isinstance``)."""
    fn = getattr(fn, "learner_cls", None) or fn  # a protocol's wrapper: the learner's class
    try:  # the whole file: a helper beside the class (scratch's _pair) counts
        source = inspect.getsource(inspect.getmodule(fn))
    except (OSError, TypeError):
        return True  # nothing to read: let the code show it
    return re.search(r"tuple|pair|isinstance", source) is not None


def split(name: str, value: Any, accepted: set[str], claimed: set[str]) -> dict | None:
    """``kernel_size=(3, 2)`` as ``{"pool_h": 3, "pool_w": 2}`` when the callable takes those."""
    for first, second in SPLITS.get(name, ()):
        if {first, second} <= accepted - claimed:
            a, b = pair(value)
            return {first: a, second: b}
    return None


def convert(name: str, value: Any, accepted: set[str], claimed: set[str]) -> dict | None:
    """torch's ``name=value`` under a name of another stated meaning (``keep_prob=1 - p``)."""
    for theirs, (to_theirs, _) in CONVERTED.get(name, {}).items():
        if theirs in accepted and theirs not in claimed:
            return {theirs: to_theirs(value)}
    return None


def read_converted(obj: Any, name: str) -> Any:
    """torch's value of ``name`` from an attribute of another stated meaning, or None."""
    for theirs, (_, to_torch) in CONVERTED.get(name, {}).items():
        value = getattr(obj, theirs, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return to_torch(value)
    return None


def eval_word(fn: Any, default: str = "eval") -> str:
    """The string a ``mode`` argument takes for eval: the first of ``EVAL_WORDS`` quoted in
    the function's source (CS231n's code tests ``mode == 'test'``), else ``default``."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return default
    for word in EVAL_WORDS:
        if re.search(rf"""['"]{word}['"]""", source):
            return word
    return default
