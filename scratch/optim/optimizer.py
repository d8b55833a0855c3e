"""Optimizer: the base class every scratch optimizer shares (param groups, state, step).

Twin: ``torch.optim.Optimizer`` (torch_ref/optim/optimizer.py re-exports it).

An optimizer owns ``param_groups``, a list of dicts, each with ``"params"`` (a list of
:class:`scratch.nn.Parameter`) and that group's hyper-parameters (``"lr"``, ...), exactly as
torch lays them out, so a scheduler can rewrite ``group["lr"]`` between steps. Per-parameter
state (momentum buffers, moment estimates, step counts) lives in ``self.state[param]`` under
torch's key names, so ``state_dict()`` has the same shape as torch's.

A subclass defines ``_validate(group)`` (bad hyper-parameters → ValueError) and
``_update(param, grad, state, group)``, the update rule for one array.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from scratch.nn.module import Parameter

__all__ = ["Optimizer"]


def check_hyper(value: object, name: str, *, low: float = 0.0, high: float | None = None,
                strict: bool = False) -> float:  # fmt: skip
    """A finite real hyper-parameter ≥ low (> low if ``strict``) and < high (if given).

    torch writes ``if lr < 0.0: raise``, which lets NaN through (NaN < 0 is False) and then
    poisons every parameter at the first step; scratch refuses NaN, inf and bools up front.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if strict else value >= low) and (high is None or value < high)
    if not ok:
        interval = f"{'>' if strict else '>='} {low:g}"
        interval = f"[{low:g}, {high:g})" if high is not None and not strict else interval
        raise ValueError(f"{name} must be a finite number {interval}, got {value!r}")
    return float(value)


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
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered collection (a list), not a set")
        self.defaults = dict(defaults)
        self.state: dict[Parameter, dict[str, Any]] = {}
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
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        group = {**self.defaults, **param_group, "params": params}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict) -> None:
        check_hyper(group["lr"], "lr")

    def zero_grad(self) -> None:
        """Set every ``param.grad`` to None (torch's default ``set_to_none=True``)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter that has a gradient; a param with grad None is skipped."""
        loss = closure() if closure is not None else None
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
