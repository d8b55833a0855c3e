"""Step functions: ``f(w, state..., g, lr, **hyper) -> (w, state...)``, the arguments in any order.

Each argument's role is read from its name: the lr (``lr``, ``learning_rate``, ``eta``,
``alpha``), the gradient (``g``, ``grad``, ``dw``, ``dx``, ...), the step count (``t``, 1 at
the first update), the variable (``w``, ``var``, ``param``, ``x``, ..., else the first
argument left), torch's settings under their names or the course's (``beta1`` as SGD's
momentum, ``beta2`` as RMSprop's alpha, ``epsilon``); every other argument without a default is
state (``v``, ``s``, ``m``, ...), which starts at zeros and is returned after the variable, in
the order the arguments are written (values returned after them, such as ``t``, are ignored). The seed's ``seed_momentum_step(w, v, g, lr, beta)`` and
Holberton's ``update_variables_Adam(alpha, beta1, beta2, epsilon, var, grad, v, s, t)`` are
both this protocol.
"""

from __future__ import annotations

import inspect

import numpy as np

from parity_check import adapters
from parity_check.errors import UsageError, call_user
from parity_check.protocols import optim_names as nm
from parity_check.specs.base import Target

NAME = "step function"


def matches(obj) -> bool:
    """Any function (the last style tried)."""
    return inspect.isfunction(obj) or (
        callable(obj) and not inspect.isclass(obj) and not hasattr(obj, "step")
    )


def stepper(target: Target, spec, full: dict, np_dtype):
    """``(step(w, g, lr, t) -> new w, used)`` for a step function; ``used`` is what torch runs."""
    fn = target.obj
    positional = nm.required_positional(fn)
    names, var_kw = adapters.accepted_names(fn)
    if len(positional) < 2:
        raise UsageError(f"{target.name} is a function, but not a step f(w, state..., g, lr, ...) -> (w, state...): it takes {positional}")  # fmt: skip
    grad_name = nm.first(nm.GRAD_NAMES, positional)
    if grad_name is None:
        raise UsageError(f"{target.name}: none of its arguments {positional} is named like a gradient ({', '.join(nm.GRAD_NAMES[:8])}, ...)")  # fmt: skip
    lr_name = nm.first(nm.LR_NAMES, names)
    if lr_name is None:
        raise UsageError(f"{target.name}: a step function must take the lr ({', '.join(nm.LR_NAMES[:4])}, ...)")  # fmt: skip
    step_name = nm.first(nm.STEP_NAMES, names)
    var_name = nm.first(nm.VAR_NAMES, [n for n in positional if n not in (grad_name, lr_name)])
    roles = {n for n in (grad_name, lr_name, step_name, var_name) if n}
    hyper = {k: v for k, v in full.items() if k != "lr"}
    kwargs, missing, _ = nm.resolve(target, hyper, names - roles, var_kw=var_kw)
    rest = [n for n in positional if n not in roles and n not in kwargs]
    if var_name is None:
        if not rest:
            raise UsageError(f"{target.name}: none of its arguments {positional} is the variable to update (w, var, param, x, ...)")  # fmt: skip
        var_name = rest.pop(0)
    states = rest
    used = adapters.settle(target, None, hyper, missing, spec.hyper, f"{spec.name}'s hyperparameters")  # fmt: skip
    used["lr"] = full["lr"]
    shown = f"{fn.__name__}({', '.join(positional)}) -> ({', '.join([var_name, *states])})"
    target.note(f"protocol: a step function {shown}; lr={lr_name}, gradient={grad_name}{', step=' + step_name + ' from 1' if step_name else ''}; state from zeros")  # fmt: skip
    state: dict[str, np.ndarray] = {}

    def step(w: np.ndarray, g: np.ndarray, lr: float, t: int) -> np.ndarray:
        if not state:
            state.update({n: np.zeros_like(w) for n in states})
        call = {var_name: w.copy(), grad_name: g, lr_name: lr, **state, **kwargs}
        if step_name:
            call[step_name] = t
        out = call_user(f"calling {fn.__name__}", fn, **call)
        out = out if isinstance(out, tuple) else (out,)
        if len(out) < 1 + len(states):
            raise UsageError(f"{target.name} returned {len(out)} values; expected ({', '.join([var_name, *states])})")  # fmt: skip
        if len(out) > 1 + len(states):  # the step count handed back, or a corrected moment
            target.note(f"{fn.__name__} returned {len(out) - 1 - len(states)} more values after ({', '.join([var_name, *states])}): not compared")  # fmt: skip
            out = out[: 1 + len(states)]
        state.update(zip(states, out[1:], strict=True))
        new = nm.new_params(out[0], f"{fn.__name__}'s new {var_name}", w.shape, np_dtype)  # fmt: skip
        return new.copy()

    return step, used
