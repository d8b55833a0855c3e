"""CS231n's update rules: ``rule(w, dw, config=None) -> (next_w, config)``.

The rule keeps its settings and its state in one dict: it fills its defaults with
``config.setdefault(...)`` and carries its state there from call to call (``velocity``,
``cache``, ``m``, ``v``, ``t``), as CS231n's Solver does, which also sets
``config["learning_rate"]`` between epochs. The checker does the same:

- it first calls the rule once with an empty config (on a copy), to learn the keys it knows
  (those it fills, and the string constants of its code, for ``config.get("momentum", 0.9)``);
- torch's settings go in under the names the rule knows (``learning_rate``, ``momentum``,
  ``decay_rate`` for RMSprop's alpha, ``epsilon``, ``beta1``/``beta2``); one it does not know
  is assumed at torch's default, or refused (``UnsupportedSetting``) when the case sets it;
- after the first update it reads back what the config holds: a setting the rule overwrote is
  what it used, and torch runs with that value (the verdict says so).

CS231n's ``sgd_momentum`` keeps v = μv - lr·g; w += v: torch's at a constant lr only.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Mapping

import numpy as np

from parity_check import adapters
from parity_check.errors import UsageError, call_user
from parity_check.protocols import optim_names as nm
from parity_check.specs.base import Target

NAME = "update rule"
CONFIG_NAMES = ("config", "optim_config", "cfg")
# the state CS231n's rules keep in the config, and what torch calls it (for the notes)
STATE_KEYS = {"velocity": "momentum_buffer", "cache": "square_avg", "m": "exp_avg",
              "v": "exp_avg_sq", "t": "step"}  # fmt: skip


def _config_name(obj) -> str | None:
    if not (inspect.isfunction(obj) or (callable(obj) and not inspect.isclass(obj))):
        return None
    names, _ = adapters.accepted_names(obj)
    return nm.first(CONFIG_NAMES, names)


def matches(obj) -> bool:
    """A function with a ``config`` argument."""
    return _config_name(obj) is not None


def _strings(code: types.CodeType) -> set[str]:
    """The string constants of ``code`` and of the functions defined inside it."""
    found = set()
    for c in code.co_consts:
        if isinstance(c, str) and c.isidentifier():
            found.add(c)
        elif isinstance(c, types.CodeType):
            found |= _strings(c)
    return found


def _call(target: Target, fn, cfg_name: str, w, g, config):
    """One update: ``(next_w, config)``; a rule that returns only w updated the config in place."""
    out = call_user(f"calling {fn.__name__}(w, dw, {cfg_name})", fn, w, g, **{cfg_name: config})
    new, cfg = out if isinstance(out, tuple) and len(out) == 2 else (out, config)
    if not isinstance(cfg, Mapping):
        raise UsageError(f"{target.name} returned {type(cfg).__name__} as its config; expected (next_w, config) with config a dict")  # fmt: skip
    return new, cfg


def stepper(target: Target, spec, full: dict, np_dtype):
    """``(step(w, g, lr, t) -> new w, used)``; ``used`` gains the values the rule overwrote
    at its first update (read back then)."""
    from parity_check.specs.optim_spec import START, objective_grad

    fn, cfg_name = target.obj, _config_name(target.obj)
    positional = [n for n in nm.required_positional(fn) if n != cfg_name]
    if len(positional) != 2:
        raise UsageError(f"{target.name} takes a {cfg_name} but not as rule(w, dw, {cfg_name}=None) -> (next_w, {cfg_name}): its arguments without a default are {positional}")  # fmt: skip
    w0 = START.astype(np_dtype)
    _, probe = _call(target, fn, cfg_name, w0.copy(), objective_grad(w0), {})
    known = set(probe) | _strings(fn.__code__) if hasattr(fn, "__code__") else set(probe)
    known -= set(STATE_KEYS)  # state is never a setting
    defaults = ", ".join(f"{k}={v!r}" for k, v in probe.items() if adapters._plain(v) and k not in STATE_KEYS)  # fmt: skip
    kwargs, missing, passed = nm.resolve(target, full, known)
    used = adapters.settle(target, None, full, missing, spec.hyper, f"{spec.name}'s hyperparameters")  # fmt: skip
    lr_key = passed.get("lr", (None,))[0]
    if lr_key is None:
        raise UsageError(f"{target.name}: its config has no learning rate (learning_rate, lr, ...), so the lr cannot be set")  # fmt: skip
    target.note(f"protocol: an update rule {fn.__name__}(w, dw, {cfg_name}) -> (next_w, {cfg_name}), one config carried from step to step; its own defaults: {defaults or 'none'}")  # fmt: skip
    holder: dict[str, dict] = {}

    def step(w: np.ndarray, g: np.ndarray, lr: float, t: int) -> np.ndarray:
        first = not holder
        config = holder.get("config", dict(kwargs))
        config[lr_key] = lr
        new, config = _call(target, fn, cfg_name, w.copy(), g, config)
        holder["config"] = config = dict(config)
        if first:
            _read_back(target, config, kwargs, passed, used)
        new = nm.new_params(new, f"{fn.__name__}'s next_w", w.shape, np_dtype)
        return new.copy()

    return step, used


def _read_back(target: Target, config: dict, kwargs: dict, passed: dict, used: dict) -> None:
    """What the config holds after the first update: a setting the rule overwrote is the
    value it used, and torch is run with it."""
    for torch_name, keys in passed.items():
        if torch_name == "lr" or not all(k in config for k in keys):
            continue
        held = tuple(config[k] for k in keys) if torch_name == "betas" else config[keys[0]]
        given = tuple(kwargs[k] for k in keys) if torch_name == "betas" else kwargs[keys[0]]
        if adapters._plain(held) and not adapters._same(held, given):
            used[torch_name] = held
            target.note(f"{torch_name}={held!r} read back from your config after the first update (it was given {', '.join(keys)}={given!r})")  # fmt: skip
    state = [f"{k} ({STATE_KEYS[k]})" for k in STATE_KEYS if k in config]
    if state:
        target.note(f"state kept in your config: {', '.join(state)}")
