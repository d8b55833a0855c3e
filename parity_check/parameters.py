"""Where each of torch's parameters lives in the user's object (``map_parameters``), and the
``Slot`` that reads, writes and reads the gradient of one of them in torch's layout.

A parameter is matched by ``--map``, by torch's name, by a course alias or by a unique shape;
a matrix kept as (in, out) is compared transposed, a bias kept as (1, n) or (n, 1) reshaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import parity_check.adapters as aliases  # ALIASES, GRAD_PATTERNS (a cycle: read at call time)
from parity_check.errors import UsageError, call_user
from parity_check.protocols import layout
from parity_check.specs.base import Target


class Slot:
    """Where one torch parameter lives in the user's object: read, write, read its gradient."""

    def __init__(self, owner: Any, user_name: str, param: Any | None,
                 transposed: bool = False) -> None:  # fmt: skip
        self.owner, self.user_name, self.param = owner, user_name, param
        self.transposed = transposed  # a matrix kept as (in, out): torch's (out, in) transposed
        self.shape: tuple | None = None  # yours where only its 1s differ from torch's: (1, n)
        self.torch_shape: tuple | None = None

    def set(self, value: np.ndarray) -> None:
        value = value.T if self.transposed else value
        value = value.reshape(self.shape) if self.shape is not None else value
        if self.param is not None:
            self.param.data = value.copy()
            if hasattr(self.param, "grad"):
                self.param.grad = None
        else:
            setattr(self.owner, self.user_name, value.copy())

    def get(self) -> np.ndarray:
        value = np.asarray(self.param.data if self.param is not None else getattr(self.owner, self.user_name))  # fmt: skip
        if self.shape is not None and value.shape == self.shape:
            return value.reshape(self.torch_shape)
        return value

    def grad(self) -> np.ndarray:
        """The gradient the user's backward left, in torch's layout."""
        g = self._grad()
        if self.shape is not None and isinstance(g, np.ndarray) and g.size == np.prod(self.shape):
            return g.reshape(self.torch_shape)
        return g.T if self.transposed and isinstance(g, np.ndarray) else g

    def _grad(self) -> np.ndarray:
        if self.param is not None:
            g = getattr(self.param, "grad", None)
            if g is None:
                raise UsageError(f"your {self.user_name}.grad is None after backward(): backward must fill each parameter's gradient")  # fmt: skip
            return np.asarray(g)
        for pattern in aliases.GRAD_PATTERNS:
            g = getattr(self.owner, pattern.format(self.user_name), None)
            if isinstance(g, np.ndarray):
                return g
        grads = getattr(self.owner, "grads", None)
        if isinstance(grads, Mapping):
            for key in (self.user_name, "d" + self.user_name):
                if key in grads:
                    return np.asarray(grads[key])
        tried = ", ".join(p.format(self.user_name) for p in aliases.GRAD_PATTERNS)
        raise UsageError(
            f"found no gradient for your {self.user_name} after backward() (looked for {tried},"
            f" grads[{self.user_name!r}])"
        )


def _arrays(obj: Any) -> dict[str, Any]:
    """The user's candidate parameters: named_parameters(), else float array attributes."""
    if hasattr(obj, "named_parameters") and callable(obj.named_parameters):
        named = dict(call_user("calling named_parameters()", obj.named_parameters))
        if not any(isinstance(v, np.ndarray) for v in named.values()):
            return named  # objects with .data and .grad (scratch's and torch's protocol)
        # plain arrays: they cannot take torch's values in another dtype, so they are read
        # as the attributes they (usually) are, gradients beside them (W with dW)
    found = {k: v for k, v in vars(obj).items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"}  # fmt: skip
    grads = {p.format(k) for k in found for p in aliases.GRAD_PATTERNS}
    return {k: v for k, v in found.items() if k not in grads}


def _shape(value: Any) -> tuple:
    return tuple(np.shape(value.data if hasattr(value, "data") and not isinstance(value, np.ndarray) else value))  # fmt: skip


def map_parameters(target: Target, obj: Any, shapes: dict[str, tuple], buffers: dict[str, tuple]):
    """Match each of torch's parameters (and buffers, optional) to the user's; ``{name: Slot}``."""
    own = _arrays(obj)
    unknown = sorted(set(target.mapping) - set(shapes) - set(buffers))
    if unknown:
        names = ", ".join([*shapes, *buffers]) or "none"
        raise UsageError(f"--map names {', '.join(unknown)}, which torch's module does not have (its parameters and buffers: {names}); write --map torch_name=your_name")  # fmt: skip
    # parameter objects (.data, .grad), or arrays read as attributes (their gradients beside)
    in_params = bool(own) and not any(isinstance(v, np.ndarray) for v in own.values())
    taken: set[str] = set()
    slots: dict[str, Slot] = {}
    how: list[str] = []
    wanted = list(shapes) + list(buffers)
    for name in wanted:
        shape = shapes.get(name, buffers.get(name))
        is_buffer = name in buffers
        pool = {} if is_buffer else own
        user = target.mapping.get(name)
        if user is None:
            for candidate in (name, *aliases.ALIASES.get(name, ())):
                if candidate in pool and candidate not in taken or (is_buffer and hasattr(obj, candidate)):  # fmt: skip
                    user = candidate
                    break
        if user is not None and user not in pool and not hasattr(obj, user):
            listing = ", ".join(pool) or "no float arrays"
            raise UsageError(f"--map {name}={user}: your object has no {user!r} (it has {listing})")  # fmt: skip
        if user is None and not is_buffer:
            same = [k for k, v in pool.items() if k not in taken and _shape(v) == shape]
            if len(same) == 1:
                user = same[0]
                how.append(f"{name}={user} (by shape {shape})")
            elif len(same) > 1:
                raise UsageError(
                    f"ambiguous parameter mapping: torch's {name} {shape} could be your "
                    f"{' or '.join(same)}; say which with --map {name}={same[0]}"
                )
        if user is None:
            if is_buffer:
                target.note(f"{name}: your object keeps none under that name; not compared")
                continue
            listing = ", ".join(f"{k} {_shape(v)}" for k, v in pool.items()) or "no float arrays"
            raise UsageError(
                f"found no parameter for torch's {name} {shape} in your object (it has {listing});"
                f" give --map {name}=NAME"
            )
        if user != name and f"{name}={user} (by shape {shape})" not in how:
            how.append(f"{name}={user}")
        taken.add(user)
        param = own.get(user) if in_params and not is_buffer else None
        if param is None and not is_buffer and user not in vars(obj) and user in own:
            param = own[user]
        transposed = False
        if not is_buffer:
            have = _shape(param) if param is not None else _shape(getattr(obj, user))
            transposed = len(shape) == 2 and shape[0] != shape[1] and have == shape[::-1]
            if len(shape) == 2 and shape[0] == shape[1] and have == shape:
                # a square matrix shows no layout: take the one the target's other cases showed
                if target.layouts.get(name, False):
                    transposed = True
                    target.note(f"your {user} is square: compared as {user}.T, the (in, out) layout your other cases showed")  # fmt: skip
            elif len(shape) == 2 and have in (shape, shape[::-1]):
                target.layouts[name] = transposed
            if transposed and shape[0] != shape[1]:  # the course keeps W as (n_in, n_out): x @ W
                target.note(f"your {user} is {have}, torch's {name} transposed: compared as {user}.T")  # fmt: skip
            elif transposed:
                pass
            elif have != shape and layout.same_but_ones(have, shape):  # a bias (1, n) or (n, 1)
                target.note(f"your {user} is {have}, torch's {name} is {shape}: compared reshaped")
            elif have != shape:
                raise UsageError(f"your {user} has shape {have}, torch's {name} has {shape}")
        slots[name] = Slot(obj, user, param, transposed)
        if not is_buffer and not transposed and have != shape:
            slots[name].shape, slots[name].torch_shape = have, shape
        kept = getattr(obj, user, None) if is_buffer else None
        if isinstance(kept, np.ndarray) and layout.same_but_ones(kept.shape, shape):
            slots[name].shape, slots[name].torch_shape = kept.shape, shape  # running_mean (1, C)
    if how:
        target.note("parameters mapped: " + ", ".join(how))
    return slots
