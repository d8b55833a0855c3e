"""``check()``: point the suite's parity proof at any implementation, from Python.

>>> from parity_check import check
>>> verdict = check("BatchNorm2d", "my_layers.py:BatchNorm2d")   # or check("BatchNorm2d", MyBN)
>>> verdict.passed, verdict.diagnosis
"""

from __future__ import annotations

import inspect
from typing import Any

from parity_check.core.catalog import CATALOG
from parity_check.core.harness import DTYPES
from parity_check.errors import UsageError
from parity_check.isolation import isolated
from parity_check.protocols import adapt
from parity_check.runner import Checker
from parity_check.specs import SPECS, Spec, Target
from parity_check.target import load_target
from parity_check.verdict import Verdict


def short_name(dotted: str) -> str:
    return dotted.rsplit(".", 1)[-1]


def find_spec(component: str) -> Spec:
    """The spec of a catalog component, by short name (``Linear``) or dotted scratch name."""
    if not isinstance(component, str) or not component:
        raise UsageError(f"COMPONENT must be a catalog name such as Linear or gelu, got {component!r}")  # fmt: skip
    name = short_name(component)
    if name in SPECS:
        return SPECS[name]
    folded = [s for s in SPECS if s.lower() == name.lower()]
    if len(folded) == 1:
        return SPECS[folded[0]]
    catalogued = [e for e in CATALOG if short_name(e.scratch) == name]
    if catalogued:
        entry = catalogued[0]
        raise UsageError(
            f"{name} is in the catalog but is not something parity-check can run against torch "
            f"(a container, a data set, a table or an experiment); its proof is {', '.join(entry.tests)}"
        )
    close = sorted(s for s in SPECS if name.lower()[:3] in s.lower()) or sorted(SPECS)
    raise UsageError(f"unknown component {name!r}; try one of: {', '.join(close)}")


def parse_map(text: str | dict | None) -> dict[str, str]:
    """``"weight=W,bias=b"`` (the command line's --map) or a dict, as {torch name: yours}."""
    if text is None:
        return {}
    if isinstance(text, str) and not text.strip():
        raise UsageError("--map is empty: give torch_name=your_name pairs, e.g. --map weight=W,bias=b")  # fmt: skip
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    pairs = {}
    for item in text.split(","):
        torch_name, sep, user_name = item.strip().partition("=")
        if not sep or not torch_name.strip() or not user_name.strip():
            raise UsageError(f"--map takes torch_name=your_name pairs separated by commas, got {text!r}")  # fmt: skip
        pairs[torch_name.strip()] = user_name.strip()
    return pairs


def _resolve(obj_or_target: Any, what: str):
    if isinstance(obj_or_target, str):
        return load_target(obj_or_target), obj_or_target
    return obj_or_target, getattr(obj_or_target, "__name__", type(obj_or_target).__name__)


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _check_options(spec: Spec, map, derivative, target_first) -> None:
    """An option that does not apply to this kind of component is refused, not ignored."""
    if map and spec.kind != "module":
        raise UsageError(f"--map names a module's parameters; {spec.name} is {_a(spec.kind)}")
    if derivative is not None and spec.kind not in ("function", "loss"):
        raise UsageError(f"--derivative is for a function's derivative or a loss's gradient; {spec.name} is {_a(spec.kind)}")  # fmt: skip
    if target_first and spec.kind != "loss":
        raise UsageError(f"--target-first is for a loss; {spec.name} is {_a(spec.kind)}")


# how a learner names a function's derivative, or a loss's gradient, beside it
DERIVATIVE_NAMES = ("{}_prime", "{}_derivative", "{}_deriv", "{}_grad", "{}_gradient",
                    "{}_backward", "d_{}", "d{}")  # fmt: skip


def _derivative_beside(spec: Spec, obj: Any):
    """A plain function's derivative (or a loss function's gradient) defined in the same
    module under a usual name (``mse_prime`` beside ``mse``), or None: without it only the
    function's values would be compared, and a wrong gradient would pass unseen."""
    if spec.kind not in ("function", "loss") or not inspect.isfunction(obj):
        return None
    if spec.kind == "function" and getattr(spec, "role", "") == "derivative":
        return None
    module = inspect.getmodule(obj)
    for pattern in DERIVATIVE_NAMES:
        found = getattr(module, pattern.format(obj.__name__), None)
        if inspect.isfunction(found) and found is not obj:
            return found
    return None


def _twin(spec: Spec, obj: Any, kind: str) -> Spec | None:
    """The component's twin of the other ``kind`` (``Sigmoid`` and ``sigmoid``, ``LogSoftmax``
    and ``log_softmax``) when ``obj`` is written as that kind: a class for a function's name
    (``kind="module"``), a plain function for a module's (``kind="function"``); else None."""
    written = inspect.isclass(obj) if kind == "module" else inspect.isfunction(obj)
    if spec.kind == kind or spec.kind not in ("module", "function") or not written:
        return None
    key = spec.name.replace("_", "").lower()
    twins = [s for s in SPECS.values() if s.kind == kind and s.name.replace("_", "").lower() == key]  # fmt: skip
    return twins[0] if len(twins) == 1 else None


def check(component: str, target: Any, *, thorough: bool = False,
          map: str | dict | None = None, derivative: Any = None,
          target_first: bool | None = None, dtypes: tuple[str, ...] = DTYPES,
          strict: bool = False) -> Verdict:  # fmt: skip
    """Check ``target`` against torch's ``component`` and return the ``Verdict``.

    ``target``: the object itself, or ``"path/to/file.py:Name"`` / ``"package.module:Name"``.
    ``map``: torch's parameter names to yours (``"weight=W,bias=b"``); else same name, a course
    alias or a unique shape. ``derivative``: a function's derivative, or a loss's gradient
    function (object or TARGET string). ``target_first``: the loss is called
    ``loss(target, input)`` (the course's ``loss(y_true, y_pred)``); None detects it from the
    parameter names. ``dtypes``: the precision profiles, "float64" and/or "float32".
    ``strict``: demand torch's whole domain, so a case your code does not support fails the
    verdict (without it, ``Verdict.in_scope`` and ``Verdict.not_covered`` say which).

    Raises ``UsageError`` (the command line's exit status 2) when the check cannot run: an
    unknown component, a target that cannot be found or follows no supported protocol, output
    of the wrong dtype, an exception raised inside the target in the basic case. An exception
    in any other case is a row of the verdict (``Row.status`` "not supported" or "error").
    """
    spec = find_spec(component)
    dtypes = (dtypes,) if isinstance(dtypes, str) else tuple(dtypes)  # "float32" means one
    bad = [d for d in dtypes if d not in DTYPES]
    if bad or not dtypes:
        raise UsageError(f"dtypes must be among {DTYPES}, got {tuple(dtypes)}")
    _check_options(spec, map, derivative, target_first)
    obj, name = _resolve(target, "TARGET")
    d_obj = _resolve(derivative, "--derivative")[0] if derivative is not None else None
    asked, spec = spec, _twin(spec, obj, "module") or spec  # a class for `relu`: ReLU
    found = None if d_obj is not None else _derivative_beside(spec, obj)
    d_obj = d_obj if found is None else found
    user = adapt(spec, Target(obj, name, parse_map(map), d_obj, target_first))
    if found is not None:
        user.note(f"derivative: your {found.__name__}, found beside {obj.__name__} (--derivative names another)")  # fmt: skip
    obj = user.obj  # a learner's own protocol (CS231n's pairs, nnfs, ...) in the specs' shape
    spec = _twin(spec, obj, "function") or spec  # a plain function for `Sigmoid`: sigmoid
    if spec is not asked:
        what = "a class" if spec.kind == "module" else "a function"
        user.note(f"checked as {spec.name}, the {spec.kind} twin of {asked.name}: your {name} is {what}")  # fmt: skip
    if spec.kind == "module" and not inspect.isclass(obj):
        what = "an instance" if not callable(obj) or hasattr(type(obj), "forward") else f"a {type(obj).__name__}"  # fmt: skip
        raise UsageError(f"{spec.name} is checked on a class (the checker builds it with torch's settings); {name} is {what}: pass the class itself")  # fmt: skip
    runner = Checker(spec, thorough=thorough, dtypes=dtypes, strict=bool(strict))
    with isolated():
        return runner.run(user)
