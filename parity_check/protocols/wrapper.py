"""The internal shape the module specs drive, put over a learner's class of another style.

``adapted_class(spec, cls, target, ...)`` returns a class that is built with torch's
constructor arguments (in the names the learner's constructor takes: its signature is the
learner's), has ``forward(x)``, ``backward(grad_output)`` returning the input gradient,
``named_parameters()`` (each of the learner's arrays as an object with ``.data``, read and
written in the learner's own attribute, and ``.grad``), ``zero_grad()`` and
``parity_set_mode(training)``. Any other attribute is the learner's (read back and written
through), so hyperparameters are read back and running statistics are compared as before.

What differs between the styles is one module each: ``array_built`` (the constructor takes the
weight arrays), ``backward_lr`` (the backward applies its own SGD step), ``nnfs`` (forward and
backward return None and store ``output`` and ``dinputs``).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from parity_check import adapters
from parity_check.errors import UnsupportedSetting, UsageError, call_user
from parity_check.protocols import backward_lr
from parity_check.specs.base import Target

BUFFER_NAMES = {"running_mean", "running_var", *adapters.ALIASES["running_mean"], *adapters.ALIASES["running_var"]}  # fmt: skip
FLAT_2D = ("Linear", "BatchNorm1d")  # the book's Affine and BatchNormalization flatten to (N, D)
NNFS_2D = ("Linear", "Softmax", "LogSoftmax", "BatchNorm1d")  # nnfs's (batch, features) layers
INPUT_GRAD_NAMES = ("dinputs", "dinput", "dx", "dX", "grad_input", "dx_")


class Bound:
    """One of the learner's arrays as a parameter: ``data`` is the learner's attribute."""

    def __init__(self, owner: Any, attr: str) -> None:
        self.owner, self.attr, self.grad = owner, attr, None

    @property
    def data(self) -> np.ndarray:
        return getattr(self.owner, self.attr)

    @data.setter
    def data(self, value: np.ndarray) -> None:
        setattr(self.owner, self.attr, value)


def float_arrays(obj: Any, hidden: set[str] = frozenset()) -> list[str]:
    """The learner's parameters: its float array attributes that are not a gradient, a
    running statistic or ``hidden`` (a zero bias given for torch's ``bias=False``)."""
    found = [k for k, v in vars(obj).items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
    grads = {p.format(k) for k in found for p in adapters.GRAD_PATTERNS}
    return [k for k in found if k not in grads and k not in BUFFER_NAMES and k not in hidden]


def stored_gradient(obj: Any, attr: str):
    """The gradient the learner left beside ``attr`` (``dW``, ``grad_W``, ``grads['W']``)."""
    for pattern in adapters.GRAD_PATTERNS:
        g = getattr(obj, pattern.format(attr), None)
        if isinstance(g, np.ndarray):
            return g
    grads = getattr(obj, "grads", None)
    if isinstance(grads, dict):
        return grads.get(attr, grads.get("d" + attr))
    return None


class Adapted:
    """Base of the classes ``adapted_class`` makes; the class attributes say the style."""

    spec: Any = None
    learner_cls: Any = None
    target: Target | None = None
    style: str = ""
    construct = None  # array_built.construct, or None: the learner's own constructor
    lr_name: str | None = None  # backward_lr: the name of backward's learning rate
    stored: bool = False  # nnfs: results stored in attributes, not returned

    def __init__(self, *args, **kwargs) -> None:
        state = {"hidden": set(), "params": None, "extra": {}, "layout": None, "x": None}
        object.__setattr__(self, "_p", state)
        if self.construct is not None:
            learner, state["hidden"] = self.construct(self, args, kwargs)
        else:
            what = f"constructing {self.target.name}"
            learner = call_user(what, self.learner_cls, *args, **kwargs)
        state["learner"] = learner

    # the learner's attributes are the object's: hyperparameters read back, buffers written
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_p":
            raise AttributeError(name)
        return getattr(self._p["learner"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._p["learner"], name, value)

    @property
    def learner(self) -> Any:
        return self._p["learner"]

    def named_parameters(self):
        if self._p["params"] is None:  # fixed once, before any forward leaves caches around
            names = float_arrays(self.learner, self._p["hidden"])
            self._p["params"] = {n: Bound(self.learner, n) for n in names}
        return list(self._p["params"].items())

    def zero_grad(self) -> None:
        for _, p in self.named_parameters():
            p.grad = None

    def parity_set_mode(self, training: bool) -> dict:
        self._p["extra"] = adapters.set_mode(self.target, self.learner, training)
        return {}

    # -- forward and backward: the styles' hooks ----------------------------------------------
    def forward(self, x: np.ndarray):
        if self.construct is not None and self.spec.name in FLAT_2D and x.ndim != 2:
            raise UnsupportedSetting(f"{self.target.name} is built from its arrays, the book's layer of a 2-D input (N, D) (it flattens the rest): not torch's {x.ndim}-D {self.spec.name} input")  # fmt: skip
        if self.stored and self.spec.name in NNFS_2D and x.ndim != 2:
            raise UnsupportedSetting(f"{self.target.name} is an nnfs layer of (batch, features): not torch's {x.ndim}-D {self.spec.name} input")  # fmt: skip
        self._p["x"] = x
        for name in self._p["hidden"]:  # the zeros for bias=False, in the input's dtype
            setattr(self.learner, name, getattr(self.learner, name).astype(x.dtype))
        if self.lr_name is not None:
            return backward_lr.forward(self, x)
        return self.call_forward(x)

    def call_forward(self, x: np.ndarray):
        out = call_user("calling forward", self.learner.forward, x, **self._p["extra"])
        if out is None and self.stored:
            out = getattr(self.learner, "output", None)
            if out is None:
                raise UsageError(f"{self.target.name}.forward returned None and stored no self.output")  # fmt: skip
        return out[0] if isinstance(out, tuple) else out

    def backward(self, grad_output: np.ndarray):
        if self.lr_name is not None:
            return backward_lr.backward(self, grad_output)
        dx = self.call_backward(grad_output)
        for name, p in self.named_parameters():
            p.grad = stored_gradient(self.learner, name)
        return dx

    def call_backward(self, grad_output: np.ndarray, *more):
        out = call_user("calling backward", self.learner.backward, grad_output, *more)
        if out is None and self.stored:
            for name in INPUT_GRAD_NAMES:
                out = getattr(self.learner, name, None)
                if isinstance(out, np.ndarray):
                    break
            else:
                raise UsageError(f"{self.target.name}.backward returned None and stored no self.dinputs")  # fmt: skip
        return out[0] if isinstance(out, tuple) else out


def adapted_class(spec, cls, target: Target, style: str, **how) -> type:
    """A subclass of ``Adapted`` for ``cls`` (``how``: the class attributes of the style)."""
    signature = how.pop("signature", None) or _signature(cls)
    if how.get("construct") is not None:
        how["construct"] = staticmethod(how["construct"])
    body = dict(spec=spec, learner_cls=cls, target=target, style=style, **how)
    body["__signature__"] = signature
    return type(cls.__name__, (Adapted,), body)


def _signature(cls) -> inspect.Signature:
    sig = adapters._signature(cls)
    return sig if sig is not None else inspect.Signature()
