"""Optimizer: the base class every scratch optimizer shares (param groups, state, step).

Twin: ``torch.optim.Optimizer`` (torch_ref/optim/optimizer.py re-exports it).

An optimizer owns ``param_groups``, a list of dicts, each with ``"params"`` (a list of
:class:`scratch.nn.Parameter`) and that group's hyper-parameters (``"lr"``, ...), exactly as
torch lays them out, so a scheduler can rewrite ``group["lr"]`` between steps. Per-parameter
state (momentum buffers, moment estimates, step counts) lives in ``self.state[param]`` under
torch's key names, so ``state_dict()`` has the same shape as torch's.

A subclass defines ``_validate(defaults)`` (bad hyper-parameters → ValueError) and
``_update(param, grad, state, group)``, the update rule for one array. As in torch, only the
constructor's arguments are checked: a param group's own values (``{"params": ..., "lr": -1}``)
and ``add_param_group`` are taken as given.
"""

from __future__ import annotations

import copy
import numbers
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from scratch.nn.module import Parameter

__all__ = ["Optimizer"]


def check_hyper(value: object, name: str, *, high: float | None = None,
                nan_ok: bool = False) -> Any:  # fmt: skip
    """torch's test of a hyper-parameter, written as torch writes it; returns ``value`` as given.

    Adam and RMSprop write ``if not 0.0 <= value [< high]: raise``, which refuses NaN; SGD
    writes ``if value < 0.0: raise`` (``nan_ok``), which lets NaN through, and the first step
    then fills every parameter with NaN, as torch's does. inf passes both, as in torch. A
    non-number is a TypeError here (torch's comparison would raise one without the name).
    """
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    below = value < 0.0 if nan_ok else not 0.0 <= value
    if below or (high is not None and not value < high):
        interval = ">= 0" if high is None else f"in [0, {high:g})"
        raise ValueError(f"{name} must be {interval}, got {value!r}")
    return value


def check_implementation(
    *,
    foreach: object = None,
    capturable: object = False,
    differentiable: object = False,
    fused: object = None,
) -> None:
    """torch's flags that choose how a step is computed, not what it computes. ``foreach`` and
    ``fused`` (None or a bool) change no number here: the update is one NumPy expression per
    array either way. ``capturable=True`` (CUDA graphs) and ``differentiable=True`` (autograd
    through the step) fail on CPU leaf parameters in torch and mean nothing without a GPU or
    autograd: ValueError."""
    for name, value in (("foreach", foreach), ("fused", fused)):
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be None or a bool, got {value!r}")
    if capturable:
        raise ValueError("capturable=True (CUDA graphs) needs a GPU; scratch runs on NumPy")
    if differentiable:
        raise ValueError("differentiable=True (autograd through the step) has no meaning in "
                         "scratch, which has no autograd")  # fmt: skip


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """torch's ``start.lerp_(end, weight)``, rounding as torch does.

    Mathematically start + weight·(end - start); torch evaluates it from the nearer end
    (``end - (end - start)·(1 - weight)`` when weight ≥ 0.5) to keep it accurate, and so do we.
    """
    diff = end - start
    if abs(weight) < 0.5:
        return start + weight * diff
    return end - diff * (1 - weight)


class Optimizer:
    """Base class: holds ``param_groups``, ``state``; subclasses write the update rule."""

    def __init__(self, params: Iterable[Parameter] | Iterable[dict], defaults: dict) -> None:
        if isinstance(params, (Parameter, np.ndarray)):
            raise TypeError(
                "params must be an iterable of Parameters or of dicts, got a single "
                f"{type(params).__name__}; wrap it in a list"
            )
        self.defaults = dict(defaults)
        self._validate(self.defaults)  # the constructor's arguments, before the params (torch)
        self.state: dict[Parameter, dict[str, Any]] = {}
        self._fresh: set[int] = set()
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Append a group; missing hyper-parameters are filled from the defaults (torch's rule)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError("a group's params must be an ordered collection (a list), not a set")
        params = [params] if isinstance(params, Parameter) else list(params)
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"optimizer can only optimize scratch.nn.Parameter, got {type(p).__name__}"
                )
        group = {**self.defaults, **param_group, "params": params}  # an empty group is kept
        if len({id(p) for p in params}) != len(params):
            warnings.warn(  # torch's warning; each copy is then updated in turn, as in torch
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _validate(self, defaults: dict) -> None:
        """Check the constructor's hyper-parameters (and normalise them) as torch's does."""

    def zero_grad(self) -> None:
        """Set every ``param.grad`` to None (torch's default ``set_to_none=True``)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; a param with grad None is skipped."""
        loss = closure() if closure is not None else None
        self._fresh: set[int] = set()  # state created during this step (see SGD, duplicates)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.shape != p.data.shape:
                    raise ValueError(
                        f"grad has shape {p.grad.shape} but its parameter has shape {p.shape}"
                    )
                self._update(p, p.grad.astype(p.dtype, copy=False), self.state.setdefault(p, {}),
                             group)  # fmt: skip
        return loss

    def _update(self, p: Parameter, grad: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError

    # -- state: the same layout as torch's (params replaced by their index, in group order) --
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: copy.deepcopy(s)
            for group in self.param_groups
            for p in group["params"]
            if (s := self.state.get(p))
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by ``state_dict()``.

        Accepts torch's ``optimizer.state_dict()`` too: tensors are turned into arrays of
        the parameter's dtype (``step`` into a float).
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the "
                    "size of the optimizer's group"
                )
        self.state = {}
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            for p, key in zip(group["params"], saved["params"], strict=True):
                if key in state_dict["state"]:
                    self.state[p] = {
                        name: _as_state(value, p.dtype)
                        for name, value in state_dict["state"][key].items()
                    }
            group.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _as_state(value: object, dtype: np.dtype) -> object:
    """A state entry as scratch keeps it: arrays in the parameter's dtype, ``step`` a float."""
    if hasattr(value, "detach"):  # a torch tensor, from torch's state_dict
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return float(value) if value.ndim == 0 else value.astype(dtype, copy=True)
    return copy.deepcopy(value)
