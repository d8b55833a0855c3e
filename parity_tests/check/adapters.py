"""Drive a user's object the way torch's protocol expects, whatever style it is written in.

Constructors: hyperparameters are passed under torch's name or a course alias the constructor
takes (``beta`` for SGD's ``momentum``, ``beta1``/``beta2`` for Adam's ``betas``, ...); one the
constructor does not take is read back from the built object, or assumed at torch's default,
and the verdict says which. Parameters: ``named_parameters()`` with ``.data``/``.grad``
(scratch's and torch's protocol) or plain array attributes (``W`` with ``dW``); each torch
name is matched by ``--map``, by the same name, by a course alias, or by a unique shape.
Train/eval: ``train()``/``eval()``, a ``training`` attribute, or a mode argument of forward.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from parity_tests.check.errors import (
    ModeNotSet,
    ShapeMismatch,
    UnsupportedSetting,
    UsageError,
    call_user,
)
from parity_tests.check.specs.base import Target

# torch's name -> names the course (or common from-scratch code) uses for the same thing
ALIASES: dict[str, tuple[str, ...]] = {
    "lr": ("learning_rate", "eta", "lr0", "base_lr", "initial_lr", "eta_max", "max_lr", "lr_max")
    + ("initAlpha", "init_lr", "initial_learning_rate"),  # schedule blogs' names for the lr
    "gamma": ("factor", "decay_factor", "drop_factor"),  # StepLR's, as schedule blogs name it
    "step_size": ("dropEvery", "drop_every", "epochs_drop", "step_every"),
    "momentum": ("beta", "mu"),
    "alpha": ("beta", "rho", "decay_rate", "decay"),
    "eps": ("epsilon",),
    "weight_decay": ("wd", "lambda_", "lam"),
    "p": ("rate", "drop_prob", "dropout", "p_drop"),
    "negative_slope": ("alpha", "slope"),
    "label_smoothing": ("smoothing",),
    "dim": ("axis",),
    "padding": ("pad",),
    "weight": ("W", "w", "gamma", "kernel", "weights"),
    "bias": ("b", "beta", "biases"),
    "running_mean": ("moving_mean", "running_mu"),
    "running_var": ("moving_var", "running_variance", "running_sigma2"),
    "in_proj_weight": ("W_qkv", "Wqkv"),
    "out_proj.weight": ("W_o", "Wo", "out_weight"),
    "out_proj.bias": ("b_o", "bo", "out_bias"),
}
GRAD_PATTERNS = ("d{}", "d_{}", "grad_{}", "{}_grad", "d{}_")
MODE_ARGS = ("training", "train", "is_training", "mode")


def _signature(fn) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def accepted_names(fn) -> tuple[set[str], bool]:
    """The keyword names ``fn`` takes, and whether it takes ``**kwargs``."""
    sig = _signature(fn)
    if sig is None:
        return set(), True
    names = {n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}  # fmt: skip
    return names, any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


def translate(name: str, value: Any, accepted: set[str], var_kw: bool,
              claimed: set[str] = frozenset()) -> dict[str, Any] | None:  # fmt: skip
    """How to pass torch's ``name=value`` to a callable taking ``accepted``; None if it can't.

    A name already ``claimed`` by another setting is not reused (RMSprop's alpha and
    momentum could both be called ``beta``: the first one wins)."""
    if name == "betas" and {"beta1", "beta2"} <= accepted - claimed:
        return {"beta1": value[0], "beta2": value[1]}
    for alias in (name, *ALIASES.get(name, ())):
        if alias in accepted and alias not in claimed:
            return {alias: value}
    return {name: value} if var_kw and name not in claimed else None


def read_back(obj: Any, name: str, claimed: set[str] = frozenset()):
    """A hyperparameter's value as a built object holds it (under torch's name or an alias
    not ``claimed`` by another setting), or None."""
    if name == "betas" and not {"beta1", "beta2"} & claimed:
        if hasattr(obj, "beta1") and hasattr(obj, "beta2"):
            return (obj.beta1, obj.beta2)
    for attr in (name, *ALIASES.get(name, ())):
        value = None if attr in claimed else getattr(obj, attr, None)
        # a hyperparameter is a number, a flag, a string or a tuple of numbers: never an array
        # or a Parameter (`b` is a bias, not Linear's bias=True)
        if _plain(value):
            return value
    groups = getattr(obj, "param_groups", None)
    if isinstance(groups, list) and groups and isinstance(groups[0], Mapping) and name in groups[0]:
        return groups[0][name]
    return None


def _plain(value: Any) -> bool:
    if isinstance(value, tuple):
        return bool(value) and all(_plain(v) for v in value)
    return isinstance(value, (bool, int, float, str, np.number, np.bool_))


def resolve(target: Target, fn, config: dict, *, skip: tuple[str, ...] = ()):
    """``(kwargs, missing, claimed)``: ``config`` in the names ``fn`` takes, and what it lacks.

    ``skip``: names ``fn`` takes for other roles (the params, a step count), never aliases."""
    accepted, var_kw = accepted_names(fn)
    accepted -= set(skip)
    kwargs: dict[str, Any] = {}
    missing: list[str] = []
    for name, value in config.items():
        passed = translate(name, value, accepted, var_kw, set(kwargs))
        if passed is None:
            missing.append(name)
            continue
        kwargs.update(passed)
        if set(passed) != {name}:
            target.note(f"{name} passed as {', '.join(passed)}")
    return kwargs, missing, set(kwargs)


def settle(target: Target, obj: Any, config: dict, missing: list[str], defaults: dict,
           what: str, claimed: set[str] = frozenset()) -> dict:  # fmt: skip
    """The configuration torch must run with: each ``missing`` setting read back from ``obj``
    (None: nothing to read), else torch's default if the case asks for it, else
    ``UnsupportedSetting`` (that case is "not supported by your code": a row of the verdict)."""
    used, assumed, refused = dict(config), [], []
    for name in missing:
        value = None if obj is None else read_back(obj, name, claimed)
        if value is not None:
            used[name] = value
            target.note(f"{name}={value!r} read back from your object (its constructor takes no {name})")  # fmt: skip
        elif name in defaults and _same(defaults[name], config[name]):
            assumed.append(f"{name}={defaults[name]!r}")
        else:
            refused.append(f"{name}={config[name]!r}")
    if refused:
        raise UnsupportedSetting(
            f"{target.name} does not take {', '.join(refused)} (torch's names for {what};"
            " course aliases are accepted too), and your object does not hold them"
        )
    if assumed:
        target.note(f"not taken by {target.name}, so assumed (torch's default, or the usual convention): {', '.join(assumed)}")  # fmt: skip
    return used


def changed(used: dict, config: dict) -> dict:
    """The settings the target runs with that are not the case's (for torch's re-run)."""
    return {k: v for k, v in used.items() if not _same(v, config.get(k))}


def build(target: Target, args: tuple, config: dict, defaults: dict, what: str):
    """Construct ``target.obj(*args, **config)`` in whatever names its constructor takes.

    Returns ``(obj, used)``: ``used`` is the configuration torch must run with (``settle``).
    A constructor that cannot take ``args`` at all is a ``UsageError`` before it is called.
    """
    cls = target.obj
    if not callable(cls):
        raise UsageError(f"{target.name} is a {type(cls).__name__}, not a class or function")
    kwargs, missing, claimed = resolve(target, cls, config)
    call = ", ".join([*(repr(a) for a in args if isinstance(a, (int, float, str)))] + [f"{k}={v!r}" for k, v in kwargs.items()])  # fmt: skip
    sig = _signature(cls)
    if sig is not None:
        try:
            sig.bind(*args, **kwargs)
        except TypeError as err:
            owner = what.split("'")[0]  # "Linear's settings" -> "Linear"
            raise UsageError(f"{target.name} cannot be constructed as torch's {owner}({call}): {err}") from None  # fmt: skip
    obj = call_user(f"constructing {target.name}({call})", cls, *args, **kwargs)
    return obj, settle(target, obj, config, missing, defaults, what, claimed)


def _same(a, b) -> bool:
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except (TypeError, ValueError):
        return a == b


# -- parameters ----------------------------------------------------------------------------


class Slot:
    """Where one torch parameter lives in the user's object: read, write, read its gradient."""

    def __init__(self, owner: Any, user_name: str, param: Any | None,
                 transposed: bool = False) -> None:  # fmt: skip
        self.owner, self.user_name, self.param = owner, user_name, param
        self.transposed = transposed  # a matrix kept as (in, out): torch's (out, in) transposed

    def set(self, value: np.ndarray) -> None:
        value = value.T if self.transposed else value
        if self.param is not None:
            self.param.data = value.copy()
            if hasattr(self.param, "grad"):
                self.param.grad = None
        else:
            setattr(self.owner, self.user_name, value.copy())

    def get(self) -> np.ndarray:
        return np.asarray(self.param.data if self.param is not None else getattr(self.owner, self.user_name))  # fmt: skip

    def grad(self) -> np.ndarray:
        """The gradient the user's backward left, in torch's layout."""
        g = self._grad()
        return g.T if self.transposed and isinstance(g, np.ndarray) else g

    def _grad(self) -> np.ndarray:
        if self.param is not None:
            g = getattr(self.param, "grad", None)
            if g is None:
                raise UsageError(f"your {self.user_name}.grad is None after backward(): backward must fill each parameter's gradient")  # fmt: skip
            return np.asarray(g)
        for pattern in GRAD_PATTERNS:
            g = getattr(self.owner, pattern.format(self.user_name), None)
            if isinstance(g, np.ndarray):
                return g
        grads = getattr(self.owner, "grads", None)
        if isinstance(grads, Mapping):
            for key in (self.user_name, "d" + self.user_name):
                if key in grads:
                    return np.asarray(grads[key])
        tried = ", ".join(p.format(self.user_name) for p in GRAD_PATTERNS)
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
    grads = {p.format(k) for k in found for p in GRAD_PATTERNS}
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
            for candidate in (name, *ALIASES.get(name, ())):
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
            # the course keeps W as (n_in, n_out) and computes x @ W
            if transposed and shape[0] != shape[1]:
                target.note(f"your {user} is {have}, torch's {name} transposed: compared as {user}.T")  # fmt: skip
            elif have != shape:
                raise UsageError(f"your {user} has shape {have}, torch's {name} has {shape}")
        slots[name] = Slot(obj, user, param, transposed)
    if how:
        target.note("parameters mapped: " + ", ".join(how))
    return slots


# -- modes, forward, backward --------------------------------------------------------------


def set_mode(target: Target, obj: Any, training: bool) -> dict[str, Any]:
    """Switch train/eval every way the object offers (``train()``/``eval()`` or a ``training``
    attribute, and a mode argument of forward, which is returned as forward's extra keyword
    arguments); the verdict's notes say which."""
    ways, extra = [], {}
    train = getattr(obj, "train", None)
    if callable(train) and callable(getattr(obj, "eval", None)):
        sig = _signature(train)
        required = [] if sig is None else [p for p in sig.parameters.values() if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]  # fmt: skip
        if not required:
            call_user("calling train()/eval()", train if training else obj.eval)
            ways.append("train()/eval()")
    if not ways and hasattr(obj, "training") and not callable(obj.training):
        obj.training = training
        ways.append("the training attribute")
    accepted, _ = accepted_names(getattr(obj, "forward", obj))
    for arg in MODE_ARGS:
        if arg in accepted:
            extra = {arg: ("train" if training else "eval") if arg == "mode" else training}
            ways.append(f"forward's {arg} argument")
            break
    if ways:
        target.note("train/eval set through " + " and ".join(ways))
    elif not training:  # the runner leaves this step out of the comparison, with a note
        raise ModeNotSet("eval mode asked for, but your object has no train()/eval(), training attribute or mode argument of forward")  # fmt: skip
    return extra


def require_module_protocol(target: Target, obj: Any) -> None:
    """A Module-like object needs forward(x) (or __call__) and backward(grad_output)."""
    missing = []
    instances_callable = any("__call__" in vars(k) for k in type(obj).__mro__[:-1])
    if not callable(getattr(obj, "forward", None)) and not instances_callable:
        missing.append("forward(x) (or __call__)")
    if not callable(getattr(obj, "backward", None)):
        missing.append("backward(grad_output)")
    if missing:
        raise UsageError(
            f"{target.name} follows no supported protocol for a module: it has no "
            f"{' and no '.join(missing)} (a Module-like class needs forward(x) and "
            "backward(grad_output) returning the input gradient)"
        )


def forward(target: Target, obj: Any, *inputs, **kwargs):
    fn = obj.forward if hasattr(obj, "forward") else obj
    if not callable(fn):
        raise UsageError(f"{target.name} has no forward() and is not callable")
    return call_user("calling forward", fn, *inputs, **kwargs)


def backward(target: Target, obj: Any, grad_output: np.ndarray):
    if not callable(getattr(obj, "backward", None)):
        raise UsageError(
            f"{target.name} has no backward(grad_output): a Module-like class needs forward(x) "
            "and backward(grad_output) returning the input gradient"
        )
    out = call_user("calling backward", obj.backward, grad_output)
    return out[0] if isinstance(out, tuple) else out


def check_array(value: Any, what: str, shape: tuple, dtype: np.dtype, *,
                exact: bool = False) -> np.ndarray:  # fmt: skip
    """The user's array, or a ``UsageError`` saying what type and dtype were expected.

    An array of another shape than torch's is returned as it is: the runner makes it a FAIL
    row of its case (and the diagnosis can still compare it with a mistake's). ``exact``:
    the run cannot go on with it (the next step is computed from it): ``ShapeMismatch``."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)) or value is None:
        raise UsageError(f"{what} is {'None' if value is None else 'a ' + type(value).__name__}, expected an ndarray of {np.dtype(dtype)} with shape {tuple(shape)}")  # fmt: skip
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001
        raise UsageError(f"{what} is a {type(value).__name__}, expected an ndarray") from None
    if arr.dtype.kind not in "fiub":
        raise UsageError(f"{what} is a {type(value).__name__} of dtype {arr.dtype}, expected an ndarray of {np.dtype(dtype)}")  # fmt: skip
    if arr.shape != tuple(shape) and exact:
        raise ShapeMismatch(what, arr.shape, shape)
    if arr.dtype == np.float64 and np.dtype(dtype) == np.float32:
        # NumPy promotes float32 to float64 at a float64 scalar such as np.sqrt(2 / np.pi);
        # the float64 profile still says whether the math is right, so only float32 is not supported
        raise UnsupportedSetting(
            f"{what} is float64 for a float32 input (torch keeps float32), so the float32"
            " profile is not compared"
        )
    if arr.dtype != dtype:
        raise UsageError(f"{what} has dtype {arr.dtype}, expected {np.dtype(dtype)} (the input's dtype, as torch keeps it)")  # fmt: skip
    return arr
