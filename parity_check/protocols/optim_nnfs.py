"""nnfs's optimizers: ``Optimizer_Adam(learning_rate, decay, epsilon, beta_1, beta_2)`` with
``pre_update_params()``, ``update_params(layer)`` and ``post_update_params()`` (or a class
of the same kind whose method is ``update(layer)``).

``update_params`` reads ``layer.weights``/``layer.dweights`` and ``layer.biases``/
``layer.dbiases`` (a (3, 4) weight and a (1, 5) bias, nnfs's row bias) and keeps its state on
the layer (``weight_momentums``, ``weight_cache``, ...), so one layer object lives through the
run; the step count is the optimizer's ``iterations``, which ``post_update_params`` advances.
torch's settings go to the constructor in nnfs's names (``learning_rate``, ``momentum``,
``rho`` for RMSprop's alpha, ``epsilon``, ``beta_1``/``beta_2``); nnfs's ``decay`` (its own
1/t lr decay) is left at the class's default. The lr is changed between steps by setting
``learning_rate`` and ``current_learning_rate``, which ``update_params`` reads.
"""

from __future__ import annotations

import inspect

import numpy as np

from parity_check import adapters
from parity_check.errors import UnsupportedSetting, call_user
from parity_check.protocols import optim_names as nm
from parity_check.specs.base import Target

NAME = "update_params(layer)"
SHAPES = ((3, 4), (1, 5))  # the spec's (3, 4) and (5,), with nnfs's row bias
LR_ATTRS = ("learning_rate", "current_learning_rate", "lr")


def _method(obj) -> str | None:
    """``update_params``, else ``update``, if it takes one argument (the layer)."""
    for name in ("update_params", "update"):
        method = getattr(obj, name, None)
        if callable(method):
            return name if len([n for n in nm.required_positional(method) if n != "self"]) == 1 else None  # fmt: skip
    return None


def matches(obj) -> bool:
    """A class with ``update_params(layer)`` (or ``update(layer)``) and no ``step``."""
    if not inspect.isclass(obj) or callable(getattr(obj, "step", None)):
        return False
    return _method(obj) is not None


class Layer:
    """What nnfs's ``update_params`` reads and writes: the arrays and their gradients."""

    weights: np.ndarray
    biases: np.ndarray
    dweights: np.ndarray
    dbiases: np.ndarray


def _hook(obj, name: str) -> None:
    if callable(getattr(obj, name, None)):
        call_user(f"calling {name}()", getattr(obj, name))


def stepper(target: Target, spec, full: dict, np_dtype):
    """``(step(w, g, lr, t) -> new w, used)``: pre_update_params, update_params(layer),
    post_update_params at each step, on one layer."""
    from parity_check.specs.optim_spec import split

    cls = target.obj
    method = _method(cls)
    accepted, var_kw = adapters.accepted_names(cls)
    kwargs, missing, _ = nm.resolve(target, full, accepted, var_kw=var_kw, extra={})
    call = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    obj = call_user(f"constructing {target.name}({call})", cls, **kwargs)
    what = f"{spec.name}'s hyperparameters"
    used = adapters.settle(target, obj, full, missing, spec.hyper, what, set(kwargs))
    target.note(f"protocol: nnfs's: {target.name}(**hyper), pre_update_params(), {method}(layer) on layer.weights/dweights and biases/dbiases, post_update_params()")  # fmt: skip
    layer, current = Layer(), {"lr": used["lr"]}

    def step(w: np.ndarray, g: np.ndarray, lr: float, t: int) -> np.ndarray:
        if lr != current["lr"]:
            attrs = [a for a in LR_ATTRS if isinstance(getattr(obj, a, None), (int, float, np.floating))]  # fmt: skip
            if not attrs:
                raise UnsupportedSetting(f"{target.name} has no learning_rate attribute: the lr cannot be changed between steps")  # fmt: skip
            for attr in attrs:
                setattr(obj, attr, lr)
            target.note(f"lr changed between steps through the attributes {', '.join(attrs)}")
            current["lr"] = lr
        (layer.weights, layer.biases), (layer.dweights, layer.dbiases) = (
            [a.reshape(s).copy() for a, s in zip(split(x), SHAPES, strict=True)] for x in (w, g)
        )
        _hook(obj, "pre_update_params")
        call_user(f"calling {method}(layer)", getattr(obj, method), layer)
        _hook(obj, "post_update_params")
        got = [nm.new_params(getattr(layer, n, None), f"layer.{n} after {method}", s, np_dtype)  # fmt: skip
               for n, s in zip(("weights", "biases"), SHAPES, strict=True)]  # fmt: skip
        return np.concatenate([a.reshape(-1) for a in got])

    return step, used
