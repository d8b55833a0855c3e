"""The names learner optimizers give torch's settings and the roles of their arguments.

A function-style optimizer (a step function, a CS231n update rule, deeplearning.ai's
``update_parameters_with_*``) names its lr, its variable, its gradient and its state in the
course's words. Inside such a function ``alpha`` is the lr (Holberton's
``update_variables_Adam(alpha, beta1, ...)``), ``beta1`` is SGD's momentum and ``beta2`` is
RMSprop's smoothing constant (torch's ``alpha``); those three readings hold for these
functions only, which is why they live here and not in ``adapters.ALIASES`` (where a class's
``alpha`` may be RMSprop's own).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from parity_check import adapters
from parity_check.specs.base import Target

# torch's lr first, then the course's; ``alpha`` only after the unambiguous ones, so that
# f(w, s, g, lr, alpha, eps) keeps torch's RMSprop alpha
LR_NAMES = ("lr", "learning_rate", "eta", "alpha", *adapters.ALIASES["lr"][2:])
VAR_NAMES = ("w", "W", "var", "param", "params", "x", "theta", "weights", "p", "parameters")
GRAD_NAMES = ("g", "grad", "grads", "gradient", "gradients", "dw", "dW", "dx", "dvar",
              "dparam", "dparams", "d_w", "dp", "grad_w", "dtheta")  # fmt: skip
STEP_NAMES = ("t", "step", "timestep", "iteration", "step_count")
FUNCTION_ALIASES: dict[str, tuple[str, ...]] = {"momentum": ("beta1",), "alpha": ("beta2",)}


def required_positional(fn) -> list[str]:
    """The positional arguments of ``fn`` without a default, in order (``self`` included)."""
    sig = adapters._signature(fn)
    if sig is None:
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [n for n, p in sig.parameters.items() if p.kind in kinds and p.default is p.empty]


def translate(name: str, value: Any, accepted: set[str], var_kw: bool, claimed: set[str],
              extra: dict[str, tuple[str, ...]]) -> dict[str, Any] | None:  # fmt: skip
    """``adapters.translate`` with ``extra`` aliases tried first (``FUNCTION_ALIASES``), and
    ``betas`` as ``beta1``/``beta2`` or nnfs's ``beta_1``/``beta_2``."""
    for b1, b2 in (("beta1", "beta2"), ("beta_1", "beta_2")):
        if name == "betas" and {b1, b2} <= accepted - claimed:
            return {b1: value[0], b2: value[1]}
    for alias in (name, *extra.get(name, ()), *adapters.ALIASES.get(name, ())):
        if alias in accepted and alias not in claimed:
            return {alias: value}
    return {name: value} if var_kw and name not in claimed else None


def resolve(target: Target, config: dict, accepted: set[str], *, var_kw: bool = False,
            extra: dict[str, tuple[str, ...]] = FUNCTION_ALIASES):  # fmt: skip
    """``(kwargs, missing, passed)``: ``config`` (torch's names) in the ``accepted`` names.

    ``passed`` maps each torch name taken to the names it went under (``betas`` to
    ``beta1, beta2``), for reading a value back; a name is used for one setting only."""
    kwargs: dict[str, Any] = {}
    missing: list[str] = []
    passed: dict[str, tuple[str, ...]] = {}
    for name, value in config.items():
        given = translate(name, value, accepted, var_kw, set(kwargs), extra)
        if given is None:
            missing.append(name)
            continue
        kwargs.update(given)
        passed[name] = tuple(given)
        if set(given) != {name}:
            target.note(f"{name} passed as {', '.join(given)}")
    return kwargs, missing, passed


def first(names, among) -> str | None:
    """The first of ``names`` that is in ``among``."""
    return next((n for n in names if n in among), None)


def new_params(value: Any, what: str, shape: tuple, dtype) -> np.ndarray:
    """The learner's new parameters, checked (``adapters.check_array``): the next step is
    computed from them, so a wrong shape cannot be carried on and stops the case."""
    return adapters.check_array(value, what, shape, dtype, exact=True)
