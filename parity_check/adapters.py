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

from parity_check.errors import (
    ModeNotSet,
    ShapeMismatch,
    UnsupportedSetting,
    UsageError,
    call_user,
)
from parity_check.parameters import Slot, map_parameters  # noqa: F401 - the specs call adapters.map_parameters
from parity_check.protocols import names
from parity_check.specs.base import Target

# torch's name -> names the course (or common from-scratch code) uses for the same thing
ALIASES: dict[str, tuple[str, ...]] = {
    "lr": ("learning_rate", "eta", "lr0", "base_lr", "initial_lr", "eta_max", "max_lr", "lr_max")
    + ("initAlpha", "init_lr", "initial_learning_rate", "initial_lrate", "lrate"),  # blogs' lr
    # StepLR's, as schedule blogs name it ("drop": the factor the lr drops by)
    "gamma": ("factor", "decay_factor", "drop_factor", "drop", "drop_rate"),
    "step_size": ("dropEvery", "drop_every", "epochs_drop", "step_every"),
    "eta_min": ("lr_min", "min_lr", "final_lr", "lr_end"),  # CosineAnnealingLR's floor
    "T_max": ("t_max", "total_epochs", "max_epochs"),
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
for _name, _more in names.MORE_ALIASES.items():  # the learners' other names (protocols/names.py)
    ALIASES[_name] = (*ALIASES.get(_name, ()), *_more)
GRAD_PATTERNS = ("d{}", "d_{}", "grad_{}", "{}_grad", "d{}_")
MODE_ARGS = names.MODE_ARGS


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
    other = names.split(name, value, accepted, claimed) or names.convert(name, value, accepted, claimed)  # fmt: skip
    if other is not None:
        return other
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
    value = names.read_converted(obj, name)
    if value is not None:
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
        passed = names.one_number(fn, passed, name)
        kwargs.update(passed)
        if set(passed) & set(names.CONVERTED.get(name, {})):
            ((theirs, value),) = passed.items()
            target.note(f"{name} passed as {theirs}={value!r} ({names.CONVERSION_TEXT[name]})")
        elif set(passed) != {name}:
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


def build(target: Target, args: tuple, config: dict, defaults: dict, what: str,
          positional: tuple[str, ...] = (), explicit: bool = False):  # fmt: skip
    """Construct ``target.obj(*args, **config)`` in whatever names its constructor takes.

    Returns ``(obj, used)``: ``used`` is the configuration torch must run with (``settle``).
    A constructor that cannot take ``args`` at all is a ``UsageError`` before it is called.
    ``positional``: torch's names of ``args``; one the constructor takes split in two
    (``kernel_size`` as ``pool_h``, ``pool_w``) is passed by those names instead.
    ``explicit``: a setting the case leaves at torch's default is passed all the same where
    the constructor's own default differs (the book's ``momentum=0.9``): never assumed.
    """
    cls = target.obj
    if not callable(cls):
        raise UsageError(f"{target.name} is a {type(cls).__name__}, not a class or function")
    args, config = _by_name(cls, args, config, positional, defaults)
    if explicit:
        config = _explicit_defaults(target, cls, config, defaults, set(positional))
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


def _by_name(cls, args: tuple, config: dict, positional: tuple[str, ...], defaults: dict):
    """Torch's positional ``args`` moved into ``config`` when the constructor splits one of
    them (``Pooling(pool_h, pool_w)``); and a pool's stride of None (torch: the kernel size)
    made explicit for a constructor that takes a stride with a default of its own."""
    accepted, _ = accepted_names(cls)
    if positional and any(names.split(n, 1, accepted, set()) and n not in accepted for n in positional):  # fmt: skip
        config = {**dict(zip(positional, args, strict=False)), **config}
        args = ()
    kernel = config.get("kernel_size", dict(zip(positional, args, strict=False)).get("kernel_size"))
    if kernel is not None and "stride" in defaults and defaults["stride"] is None and config.get("stride") is None and "stride" in accepted:  # fmt: skip
        config = {**config, "stride": kernel}
    return args, config


def _explicit_defaults(target: Target, cls, config: dict, defaults: dict, skip: set) -> dict:
    """``config`` plus torch's default of each setting it leaves out whose default in the
    constructor (under torch's name or an alias) is another plain value."""
    sig = _signature(cls)
    if sig is None:
        return config
    theirs = {n: p.default for n, p in sig.parameters.items() if p.default is not p.empty}
    added = {}
    for name, value in defaults.items():
        if name in config or name in skip or value is None or not _plain(value):
            continue
        alias = next((a for a in (name, *ALIASES.get(name, ())) if a in theirs), None)
        if alias is not None and _plain(theirs[alias]) and not _same(theirs[alias], value):
            added[name] = value
            target.note(f"{name}={value!r} passed (torch's default; your {alias} defaults to {theirs[alias]!r})")  # fmt: skip
    return {**config, **added}


def _same(a, b) -> bool:
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except (TypeError, ValueError):
        return a == b


# -- modes, forward, backward --------------------------------------------------------------


def set_mode(target: Target, obj: Any, training: bool) -> dict[str, Any]:
    """Switch train/eval every way the object offers (``train()``/``eval()`` or a ``training``
    attribute, and a mode argument of forward, which is returned as forward's extra keyword
    arguments); the verdict's notes say which."""
    delegate = getattr(obj, "parity_set_mode", None)  # a learner protocol's own way (protocols/)
    if callable(delegate):
        return delegate(training)
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
    fn = getattr(obj, "forward", obj)
    accepted, _ = accepted_names(fn)
    for arg in MODE_ARGS:
        if arg in accepted:
            extra = {arg: ("train" if training else names.eval_word(fn)) if arg == "mode" else training}  # fmt: skip
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
