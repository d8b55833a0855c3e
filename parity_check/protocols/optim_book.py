"""The "Deep Learning from Scratch" book's optimizers: ``Cls(lr, ...)`` with
``update(params, grads)`` changing the arrays of the dict ``params`` in place.

``params`` and ``grads`` are dicts under the same keys (``W1``, ``b1``: a (3, 4) weight and a
(5,) bias); the state lives on the object, keyed like ``params``. The constructor takes torch's
settings in the book's names (``lr``, ``momentum``, ``decay_rate`` for RMSprop's alpha,
``beta1``/``beta2``); one it does not take is read back from the object or assumed at torch's
default (the verdict says which). ``update(w, dw)`` whose first argument is not named
``params``/``parameters`` is given one flat array and returns the new one (or changes it in
place), as the course's ``step(params, grads)`` does. The lr is changed between steps through the ``lr``
attribute, so a schedule runs too. A class that rebinds ``params[key]`` instead of changing
the array is read back just as well.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import numpy as np

from parity_check import adapters
from parity_check.errors import UsageError, call_user
from parity_check.protocols import optim_names as nm
from parity_check.specs.base import Target

NAME = "update(params, grads)"
KEYS = ("W1", "b1")  # the book's names for a layer's weight and bias
DICT_NAMES = ("params", "parameters")  # update(w, dw) under other names takes one array


def matches(obj) -> bool:
    """A class with ``update(params, grads)`` and no ``step``."""
    update = getattr(obj, "update", None)
    if not inspect.isclass(obj) or callable(getattr(obj, "step", None)) or not callable(update):
        return False
    return len([n for n in nm.required_positional(update) if n != "self"]) == 2


def _floats(code) -> set[float]:
    """The float constants of ``code`` and of the functions defined inside it."""
    if code is None:
        return set()
    found = {c for c in code.co_consts if isinstance(c, float)}
    for c in code.co_consts:
        if hasattr(c, "co_consts"):
            found |= _floats(c)
    return found


def w_size() -> int:
    from parity_check.specs.optim_spec import SIZES

    return sum(SIZES)


def _eps_assumed(obj, used: dict, full: dict) -> bool:
    """Is eps neither taken by the constructor nor held by the object (so assumed)?"""
    return adapters.read_back(obj, "eps") is None and used.get("eps") == full["eps"]


def stepper(target: Target, spec, full: dict, np_dtype):
    """``(step(w, g, lr, t) -> new w, used)``: one ``update(params, grads)`` per step."""
    from parity_check.specs.optim_spec import SHAPES, _lr_setter, split

    obj, used = adapters.build(target, (), full, spec.hyper, f"{spec.name}'s hyperparameters")
    if "eps" in full and _eps_assumed(obj, used, full):
        small = sorted(
            c for c in _floats(getattr(target.obj.update, "__code__", None)) if 0 < c <= 1e-3
        )
        if small and full["eps"] not in small:
            shown = ", ".join(repr(c) for c in small)
            target.note(f"your update() holds the constant(s) {shown} where torch's eps={full['eps']!r} is assumed (the book hard-codes 1e-7)")  # fmt: skip
    first = [n for n in nm.required_positional(target.obj.update) if n != "self"][0]
    if first not in DICT_NAMES:
        target.note(f"protocol: {target.name}(**hyper), update({first}, grad) on one flat array of {w_size()}, the new one returned (or changed in place)")  # fmt: skip
    else:
        target.note(f"protocol: the book's: {target.name}(**hyper), update(params, grads) on the dicts' arrays in place (keys {', '.join(KEYS)})")  # fmt: skip
    current = {"lr": used["lr"], "set": None}

    def step(w: np.ndarray, g: np.ndarray, lr: float, t: int) -> np.ndarray:
        if lr != current["lr"]:
            current["set"] = current["set"] or _lr_setter(target, obj, True, groups=False)
            current["set"](lr)
            current["lr"] = lr
        if first not in DICT_NAMES:
            w_in = w.copy()
            out = call_user(f"calling update({first}, grad)", obj.update, w_in, g.copy())
            new = w_in if out is None else out
            return nm.new_params(new, "update's new parameters", w.shape, np_dtype).copy()
        params = {k: a.copy() for k, a in zip(KEYS, split(w), strict=True)}
        grads = {k: a.copy() for k, a in zip(KEYS, split(g), strict=True)}
        call_user("calling update(params, grads)", obj.update, params, grads)
        if not isinstance(params, Mapping) or set(params) != set(KEYS):
            raise UsageError(f"after update(params, grads) the params dict has keys {sorted(params)}; expected {list(KEYS)}")  # fmt: skip
        got = [nm.new_params(params[k], f"params[{k!r}] after update()", s, np_dtype)
               for k, s in zip(KEYS, SHAPES, strict=True)]  # fmt: skip
        return np.concatenate([a.reshape(-1) for a in got])

    return step, used
