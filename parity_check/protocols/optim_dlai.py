"""deeplearning.ai's updates: ``update_parameters_with_adam(parameters, grads, v, s, t,
learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8) -> (parameters, v, s[, ...])``.

``parameters`` holds two layers, ``W1`` (2, 3), ``b1`` (2, 1), ``W2`` (3, 2), ``b2`` (3, 1)
(the spec's 17 numbers; the course's column biases), for code that names both layers as well
as code that loops over ``len(parameters) // 2``; ``grads`` holds ``dW1``, ``db1``, ... The state arguments (``v``, ``s``: dicts) come from the
initialiser found beside the update in the same module, by name: ``initialize_adam`` for
``update_parameters_with_adam``, ``initialize_velocity`` for a momentum update whose only
state is ``v`` (either spelling, ``initialise_``); without one, each state starts at zeros keyed
like ``grads``. ``t`` is the step, 1 at the first update. Values returned after the state
(``v_corrected``, ``s_corrected``) are ignored. The same protocol takes
``update_parameters_with_momentum(parameters, grads, v, beta, learning_rate)`` (``beta`` is
torch's momentum) and ``update_parameters_with_gd(parameters, grads, learning_rate)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import numpy as np

from parity_check import adapters
from parity_check.errors import UsageError, call_user
from parity_check.protocols import optim_names as nm
from parity_check.specs.base import Target

NAME = "update_parameters(parameters, grads, ...)"
KEYS = ("W1", "b1", "W2", "b2")
SHAPES = ((2, 3), (2, 1), (3, 2), (3, 1))  # the optimizer spec's 17 numbers as two layers
PREFIX = "update_parameters"


def matches(obj) -> bool:
    """A function whose first two arguments are ``parameters`` and ``grads``, or one named
    ``update_parameters...`` whose first two are ``params``/``parameters`` and ``grads``."""
    if not inspect.isfunction(obj):
        return False
    positional = nm.required_positional(obj)
    if len(positional) < 2 or positional[1] not in ("grads", "gradients"):
        return False
    named = obj.__name__.startswith(PREFIX) and positional[0] == "params"
    return positional[0] == "parameters" or named


def _initialiser(fn, states: list[str]):
    """The function beside ``fn`` that builds its state, by name; None if there is none."""
    suffix = fn.__name__[len(PREFIX) :].removeprefix("_with").strip("_")
    stems = [suffix] if suffix else []
    if states == ["v"]:
        stems.append("velocity")
    for stem in stems:
        for spelling in ("initialize", "initialise"):
            found = fn.__globals__.get(f"{spelling}_{stem}")
            if callable(found):
                return found
    return None


def _dicts(flat: np.ndarray, prefix: str = "") -> dict[str, np.ndarray]:
    """The flat parameters as deeplearning.ai's dict (elementwise rules: any split will do)."""
    chunks = np.split(flat, np.cumsum([int(np.prod(s)) for s in SHAPES])[:-1])
    return {prefix + k: c.reshape(s).copy() for k, c, s in zip(KEYS, chunks, SHAPES, strict=True)}  # fmt: skip


def stepper(target: Target, spec, full: dict, np_dtype):
    """``(step(w, g, lr, t) -> new w, used)``: one call per step, the state dicts carried."""
    fn = target.obj
    positional = nm.required_positional(fn)
    names, var_kw = adapters.accepted_names(fn)
    params_name, grads_name = positional[:2]
    lr_name = nm.first(nm.LR_NAMES, names)
    if lr_name is None:
        raise UsageError(f"{target.name}: an update over {params_name} must take the lr ({', '.join(nm.LR_NAMES[:4])}, ...)")  # fmt: skip
    step_name = nm.first(nm.STEP_NAMES, names)
    roles = {params_name, grads_name, lr_name, step_name} - {None}
    hyper = {k: v for k, v in full.items() if k != "lr"}
    kwargs, missing, _ = nm.resolve(target, hyper, names - roles, var_kw=var_kw)
    states = [n for n in positional if n not in roles and n not in kwargs]
    used = adapters.settle(target, None, hyper, missing, spec.hyper, f"{spec.name}'s hyperparameters")  # fmt: skip
    used["lr"] = full["lr"]
    init = _initialiser(fn, states) if states else None
    where = f"from {init.__name__}({params_name})" if init else "from zeros keyed like grads (no initialize_... found beside it)"  # fmt: skip
    target.note(f"protocol: deeplearning.ai's {fn.__name__}({', '.join(positional)}) over {params_name}[W1, b1, W2, b2], {grads_name}[dW1, ...]; lr={lr_name}{', step=' + step_name + ' from 1' if step_name else ''}{'; state ' + ', '.join(states) + ' ' + where if states else ''}")  # fmt: skip
    state: dict[str, dict] = {}

    def step(w: np.ndarray, g: np.ndarray, lr: float, t: int) -> np.ndarray:
        params = _dicts(w)
        if states and not state:
            if init is None:
                state.update({n: _dicts(np.zeros_like(w), "d") for n in states})
            else:
                made = call_user(f"calling {init.__name__}({params_name})", init, _dicts(w))
                made = made if isinstance(made, tuple) else (made,)
                if len(made) != len(states) or not all(isinstance(m, Mapping) for m in made):
                    raise UsageError(f"{init.__name__} returned {len(made)} values; expected the dicts {', '.join(states)}")  # fmt: skip
                state.update(zip(states, made, strict=True))
        call = {params_name: params, grads_name: _dicts(g, "d"), lr_name: lr, **state, **kwargs}
        if step_name:
            call[step_name] = t
        out = call_user(f"calling {fn.__name__}", fn, **call)
        out = out if isinstance(out, tuple) else (out,)
        if len(out) < 1 + len(states) or not isinstance(out[0], Mapping):
            raise UsageError(f"{target.name} returned {len(out)} values; expected ({', '.join([params_name, *states])}, ...) with {params_name} a dict")  # fmt: skip
        if len(out) > 1 + len(states):
            target.note(f"{fn.__name__} returned {len(out) - 1 - len(states)} more values after ({', '.join([params_name, *states])}): not compared")  # fmt: skip
        state.update(zip(states, out[1 : 1 + len(states)], strict=True))
        new = out[0]
        if not set(KEYS) <= set(new):
            raise UsageError(f"the {params_name} {fn.__name__} returned has keys {sorted(new)}; expected {list(KEYS)}")  # fmt: skip
        got = [nm.new_params(new[k], f"{params_name}[{k!r}]", s, np_dtype)
               for k, s in zip(KEYS, SHAPES, strict=True)]  # fmt: skip
        return np.concatenate([a.reshape(-1) for a in got])

    return step, used
