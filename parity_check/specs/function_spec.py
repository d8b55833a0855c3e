"""The spec of a stateless function: ``f(x, **settings)``, and its elementwise derivative.

Protocol: the user's function is called with the case's input array(s) and its settings
under torch's names or a course alias the function takes (``negative_slope`` or ``alpha``,
``dim`` or ``axis``, ``approximate``); a setting it takes no argument for runs only where
it equals the value the spec may assume (``assume``: torch's default, or ``dim=-1`` for a
softmax), otherwise the case is not supported (``UnsupportedSetting``). A tuple result counts by
its first element (the course's attention returns ``(out, weights)``).

Two roles. ``"function"``: the output is compared with torch's, and when the user gives a
derivative (``Target.derivative``, the command line's ``--derivative``) it is compared with
autograd's elementwise derivative f'(x), the gradient of Σ f(x). ``"derivative"``: the
user's function IS the derivative (``relu_derivative``), compared with that same f'(x).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import torch_ref.regularization as torch_regularization
from parity_check import adapters
from parity_check.core.harness import PROFILES, randn
from parity_check.errors import UnsupportedSetting, UsageError, call_user
from parity_check.specs.base import Case, Result, Spec, Target, basic

# torch's name -> more names a from-scratch function may use (beyond adapters.ALIASES)
MORE_ALIASES: dict[str, tuple[str, ...]] = {
    "dim": ("axis",),
    "approximate": ("approximation", "approx"),
    "ignore_index": ("ignore_label", "ignore"),
}


def settings_for(target: Target, fn: Callable, config: dict, assume: dict, what: str) -> dict:
    """Keyword arguments that give ``fn`` torch's ``config``, in the names ``fn`` takes.

    A setting ``fn`` takes no argument for is left out when it equals ``assume[name]`` (the
    value such a function is taken to hard-wire, noted in the verdict); any other such
    setting raises ``UnsupportedSetting``: the case is not supported by that code.
    """
    accepted, var_kw = adapters.accepted_names(fn)
    kwargs: dict[str, Any] = {}
    refused = []
    for name, value in config.items():
        passed = adapters.translate(name, value, accepted, var_kw)
        if passed is None:
            alias = next((a for a in MORE_ALIASES.get(name, ()) if a in accepted), None)
            passed = None if alias is None else {alias: value}
        if passed is None:
            if name in assume and adapters._same(assume[name], value):
                target.note(f"{name}: {what} takes no argument for it; {value!r} assumed")
            else:
                shown = np.round(value, 4).tolist() if isinstance(value, np.ndarray) else value
                refused.append(f"{name}={shown!r}")
            continue
        kwargs.update(passed)
        if set(passed) != {name}:
            target.note(f"{name} passed to {what} as {', '.join(passed)}")
    if refused:
        raise UnsupportedSetting(
            f"{what} takes no argument for {', '.join(refused)} (torch's name; course aliases"
            " are accepted too)"
        )
    return kwargs


def first(value):
    """A result that comes back as a tuple counts by its first element."""
    return value[0] if isinstance(value, tuple) and value else value


def callable_or_error(obj: Any, what: str) -> Callable:
    if not callable(obj):
        raise UsageError(f"{what} is a {type(obj).__name__}, not a function")
    return obj


def array_input(case: Case, dtype: str, seed: int = 0) -> np.ndarray:
    """The case's input: ``setup["values"]`` as given, else ``randn`` off the kinks but for
    ``setup["at_kinks"]`` values exactly on them."""
    setup = case.setup
    if "values" in setup:
        return np.array(setup["values"], dtype=PROFILES[dtype].np_dtype)
    x = randn(setup["shape"], dtype, seed=seed, kinks=setup.get("kinks", (0.0,)),
              scale=setup.get("scale", 1.0), at_kinks=setup.get("at_kinks", 0))  # fmt: skip
    return (x + setup.get("shift", 0.0)).astype(x.dtype)


class FunctionSpec(Spec):
    """A function of array inputs, compared on its output (and in-place updated inputs).

    ``torch_fn(*tensors, **config)`` is the twin. ``make_inputs(case, dtype)`` gives the
    positional inputs (default: one array from the case's setup); ``in_place`` names inputs
    the function updates in place (``batch_norm``'s running statistics), compared after the
    call. ``elementwise``: the derivative is the elementwise f'(x) of the first input.
    """

    kind = "function"

    def __init__(self, name: str, torch_fn: Callable, reference: str, cases: list[Case], *,
                 thorough: list[Case] = (), role: str = "function", elementwise: bool = True,
                 make_inputs: Callable | None = None, in_place: dict[int, str] | None = None,
                 assume: dict | None = None, twin: str | None = None) -> None:  # fmt: skip
        assert role in ("function", "derivative")
        self.name, self.torch_fn, self.reference = name, torch_fn, reference
        self.twin = twin or f"torch.nn.functional.{name}"
        self._cases, self._thorough = list(cases), list(thorough)
        self.role, self.elementwise = role, elementwise
        self.make_inputs = make_inputs or (lambda case, dtype: (array_input(case, dtype),))
        self.in_place = in_place or {}
        self.assume = assume or {}

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def expected(self, case: Case, dtype: str) -> Result:
        arrays = self.make_inputs(case, dtype)
        tensors = [None if a is None else torch.tensor(a) for a in arrays]
        x = tensors[0].requires_grad_(self.elementwise)
        out = self.torch_fn(*tensors, **case.config)
        result = Result()
        if self.role == "function":
            result.add("output", out.detach().clone())
            for i, name in self.in_place.items():
                result.add(name, tensors[i])
        if self.elementwise:
            (d,) = torch.autograd.grad(out.sum(), x)  # elementwise: grad of the sum is f'(x)
            result.add("derivative", d)
        return result

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        np_dtype = PROFILES[dtype].np_dtype
        arrays = self.make_inputs(case, dtype)
        shape = arrays[0].shape
        result = Result()
        if self.role == "derivative":
            d = self._call(target, target.obj, arrays, case, "your derivative")
            result.add("derivative", adapters.check_array(d, "your derivative's return", shape, np_dtype))  # fmt: skip
            return result
        with torch.no_grad():
            probe = [None if a is None else torch.tensor(a) for a in arrays]
            out_shape = tuple(self.torch_fn(*probe, **case.config).shape)
        out = self._call(target, target.obj, arrays, case, "your function")
        result.add("output", adapters.check_array(out, "your function's output", out_shape, np_dtype))  # fmt: skip
        for i, name in self.in_place.items():
            what = f"your {name} (updated in place)"
            result.add(name, adapters.check_array(arrays[i], what, arrays[i].shape, np_dtype))
        if target.derivative is not None:
            if not self.elementwise:
                raise UsageError(
                    f"{self.name} has no elementwise derivative to compare: --derivative is"
                    " for elementwise functions (relu, sigmoid, gelu, ...)"
                )
            d = self._call(target, target.derivative, arrays[:1], case, "your derivative")
            result.add("derivative", adapters.check_array(d, "your derivative's return", shape, np_dtype))  # fmt: skip
        return result

    def _call(self, target: Target, fn, arrays, case: Case, what: str):
        fn = callable_or_error(fn, what)
        kwargs = settings_for(target, fn, case.config, self.assume, what)
        inputs = [a if a is None else a.copy() for a in arrays]
        if self.in_place:  # the function must update the caller's arrays, not copies
            for i in self.in_place:
                inputs[i] = arrays[i]
        return first(call_user(f"calling {what}", fn, *inputs, **kwargs))


def as_scalar(value: Any, what: str, np_dtype) -> np.ndarray:
    """A 0-d result (a loss, a penalty, a norm): a Python number takes the input's dtype."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.asarray(value, dtype=np_dtype)
    arr = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
    if arr.size == 1 and arr.dtype.kind == "f":
        arr = arr.reshape(())
    return adapters.check_array(arr, what, (), np_dtype)


# -- weight penalties (scratch/regularization.py) ----------------------------------------------

WEIGHT_CASES = [
    basic(Case("one array (4, 3), lam=0.1", {"lam": 0.1}, {"shapes": [(4, 3)], "single": True})),
    Case("a list [(4, 3), (3,)], lam=0.05", {"lam": 0.05}, {"shapes": [(4, 3), (3,)]}),
]


def weight_arrays(case: Case, dtype: str) -> list[np.ndarray]:
    """Weights kept off 0, where L1's gradient has its kink."""
    return [randn(s, dtype, seed=20 + i) for i, s in enumerate(case.setup["shapes"])]


def _weights_argument(case: Case, arrays: list[np.ndarray]):
    return arrays[0].copy() if case.setup.get("single") else [a.copy() for a in arrays]


def _call_on_weights(target: Target, fn, case: Case, what: str, *args):
    """Call ``fn(weights, *args)``; a function that takes one array only skips the list case."""
    try:
        return call_user(f"calling {what}", fn, *args)
    except UsageError as err:
        if case.setup.get("single"):
            raise
        raise UnsupportedSetting(f"{what} raised on a list of arrays ({err})") from None


def _gradients(value: Any, arrays: list[np.ndarray], what: str, np_dtype) -> list[np.ndarray]:
    grads = [value] if len(arrays) == 1 and not isinstance(value, (list, tuple)) else list(value)
    if len(grads) != len(arrays):
        raise UsageError(f"{what} returned {len(grads)} arrays for {len(arrays)} weight arrays")
    return [adapters.check_array(g, f"{what} for weight {i}", a.shape, np_dtype)
            for i, (g, a) in enumerate(zip(grads, arrays, strict=True))]  # fmt: skip


class PenaltySpec(Spec):
    """``penalty(weights, lam)`` (0-d) and ``penalty_grad(weights, lam)`` (one array per weight).

    ``weights`` is one array, or a list of arrays (a function that takes only one array skips
    that case). ``lam`` is passed positionally. The twin is torch_ref/regularization.py's
    penalty with autograd's gradient.
    """

    kind = "function"

    def __init__(self, name: str, grad_role: bool) -> None:
        base = name.removesuffix("_grad")
        self.name, self.grad_role = name, grad_role
        self.reference = f"scratch.regularization.{name}"
        self.twin = f"torch_ref.regularization.{base}" + (" with autograd" if grad_role else "")
        self.torch_fn = getattr(torch_regularization, base)

    @classmethod
    def all(cls) -> list[PenaltySpec]:
        return [
            cls(f"{b}{s}", bool(s)) for b in ("l1_penalty", "l2_penalty") for s in ("", "_grad")
        ]

    def cases(self, thorough: bool) -> list[Case]:
        return list(WEIGHT_CASES)

    def expected(self, case: Case, dtype: str) -> Result:
        ts = [torch.tensor(w, requires_grad=True) for w in weight_arrays(case, dtype)]
        value = self.torch_fn(ts, case.config["lam"])
        value.backward()
        result = Result()
        if not self.grad_role:
            result.add("penalty", value.detach())
        for i, t in enumerate(ts):
            result.add(f"gradient for weight {i}", t.grad)
        return result

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        np_dtype = PROFILES[dtype].np_dtype
        arrays, lam = weight_arrays(case, dtype), case.config["lam"]
        result = Result()
        grad_fn = target.obj if self.grad_role else target.derivative
        if not self.grad_role:
            fn = callable_or_error(target.obj, "your penalty")
            value = _call_on_weights(target, fn, case, "your penalty", _weights_argument(case, arrays), lam)  # fmt: skip
            result.add("penalty", as_scalar(first(value), "your penalty", np_dtype))
        if grad_fn is not None:
            fn = callable_or_error(grad_fn, "your gradient")
            value = _call_on_weights(target, fn, case, "your gradient", _weights_argument(case, arrays), lam)  # fmt: skip
            for i, g in enumerate(_gradients(value, arrays, "your gradient", np_dtype)):
                result.add(f"gradient for weight {i}", g)
        return result


# -- gradient clipping (scratch/nn/utils.py) ---------------------------------------------------

CLIP_SHAPES = [(4, 3), (3,), (2, 2)]  # gradients of total 2-norm ≈ 4.6


def _grad_arrays(dtype: str) -> list[np.ndarray]:
    return [randn(s, dtype, seed=30 + i) for i, s in enumerate(CLIP_SHAPES)]


class ClipSpec(Spec):
    """``clip_grad_norm_(parameters, max_norm, norm_type)`` / ``clip_grad_value_(parameters, v)``.

    Protocols: objects with ``.data`` and ``.grad`` (scratch's Parameter, torch's duck type),
    clipped in place; or, when the function's first argument is named like ``grads``, a list
    of gradient arrays, clipped in place or returned. The total norm a ``clip_grad_norm_``
    returns is compared too (torch returns the norm before clipping).
    """

    kind = "function"

    def __init__(self, name: str, cases: list[Case], thorough: list[Case], assume: dict) -> None:
        self.name, self._cases, self._thorough, self.assume = name, cases, thorough, assume
        self.reference = f"scratch.nn.utils.{name}"
        self.twin = f"torch.nn.utils.{name}"
        self.limit = "max_norm" if name == "clip_grad_norm_" else "clip_value"

    @classmethod
    def norm(cls) -> ClipSpec:
        return cls("clip_grad_norm_", [
            basic(Case("max_norm=1 (clipped)", {"max_norm": 1.0, "norm_type": 2.0})),
            Case("max_norm=2, norm_type=1", {"max_norm": 2.0, "norm_type": 1.0}),
            Case("max_norm=100 (not clipped)", {"max_norm": 100.0, "norm_type": 2.0}),
        ], [Case("max_norm=0.5, norm_type=inf", {"max_norm": 0.5, "norm_type": float("inf")})],
            {"norm_type": 2.0})  # fmt: skip

    @classmethod
    def value(cls) -> ClipSpec:
        return cls("clip_grad_value_", [basic(Case("clip_value=0.5", {"clip_value": 0.5}))],
                   [Case("clip_value=2", {"clip_value": 2.0})], {})  # fmt: skip

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def expected(self, case: Case, dtype: str) -> Result:
        params = []
        for g in _grad_arrays(dtype):
            p = torch.zeros(g.shape, dtype=PROFILES[dtype].torch_dtype, requires_grad=True)
            p.grad = torch.tensor(g)
            params.append(p)
        config = dict(case.config)
        total = getattr(torch.nn.utils, self.name)(params, config.pop(self.limit), **config)
        result = Result()
        if total is not None:
            result.add("total norm", total)
        for i, p in enumerate(params):
            result.add(f"gradient {i}", p.grad)
        return result

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        from scratch.nn import Parameter  # the .data/.grad protocol both twins share

        np_dtype = PROFILES[dtype].np_dtype
        fn = callable_or_error(target.obj, "your function")
        config = dict(case.config)
        limit = config.pop(self.limit)
        kwargs = settings_for(target, fn, config, self.assume, "your function")
        grads = _grad_arrays(dtype)
        params = None
        first_name = next(iter(getattr(adapters._signature(fn), "parameters", ())), "")
        if "grad" in first_name.lower():
            target.note(f"gradients passed as a list of arrays (your first argument is {first_name!r})")  # fmt: skip
            out = call_user("calling your function", fn, grads, limit, **kwargs)
        else:
            params = [Parameter(np.zeros_like(g)) for g in grads]
            for p, g in zip(params, grads, strict=True):
                p.grad = g
            out = call_user("calling your function", fn, params, limit, **kwargs)
        result = Result()
        total, clipped = out, None
        if isinstance(out, (list, tuple)) and len(out) == len(grads) and params is None:
            total, clipped = None, out  # the clipped gradients, returned
        elif isinstance(out, tuple) and len(out) == 2:
            total, clipped = out  # (norm, clipped gradients)
        if total is not None and self.name == "clip_grad_norm_":
            result.add("total norm", as_scalar(total, "your returned total norm", np_dtype))
        if clipped is None:
            clipped = [p.grad for p in params] if params is not None else grads
        for i, (g, ref) in enumerate(zip(clipped, grads, strict=True)):
            result.add(f"gradient {i}", adapters.check_array(g, f"your clipped gradient {i}", ref.shape, np_dtype))  # fmt: skip
        return result
