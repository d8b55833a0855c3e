"""Specs of the weight initialisers (statistics of one large draw) and of the gain/fan helpers.

An initialiser is random, and the user's random stream is not torch's, so its check compares
statistics of one draw on a large non-square tensor (fan_in ≠ fan_out; Linear, Conv1d and
Conv2d shapes, where the receptive field multiplies the fans) with torch's exact values:
the std and mean (and, for a uniform, the min and max) of the distribution torch asks its
sampler for, as ``torch_ref.nn.init.requested_distribution`` records it from torch's own
initialiser (so the bound/std come from torch's ``calculate_gain`` and
``_calculate_fan_in_and_fan_out``, not from a formula re-derived here). torch's own sampled
tensor is held to the same tolerance, so a tolerance that torch itself could miss is caught.

Protocols: the function fills an ndarray in place (scratch's: ``xavier_uniform_(w, gain=...,
generator=rng)``) or returns a new array; its first argument may be the array or its shape.
It gets a seeded ``numpy.random.Generator`` as ``generator`` or ``rng`` if it takes one, an int
as ``seed``/``random_state``, else the global ``np.random`` is seeded: every run is the same.

``calculate_gain`` and ``calculate_fan_in_and_fan_out`` are exact: the value torch returns.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

import torch_ref.nn.init as ti
from parity_check import adapters
from parity_check.core.harness import PROFILES
from parity_check.errors import UsageError, call_user
from parity_check.specs.base import Case, Result, Spec, Target, basic, basic_first
from parity_check.specs.optim_spec import required_positional

# fan_in ≠ fan_out everywhere, in ratios other than 2 or 3: a swapped fan must not look like
# a lost gain √2, nor like a uniform bound taken for the std (a factor √3)
LINEAR, CONV2D, CONV1D, CONV3D = (250, 100), (64, 24, 3, 3), (32, 48, 9), (24, 10, 3, 3, 3)
Z = 5.0  # standard errors: seeds are fixed, and |z| > 5 has probability 6e-7 for another seed
SHAPE_ARGS = ("shape", "size", "dims", "dim")
SEED = 2024


_ASKED: dict[str, tuple[str, float, float]] = {}


def distribution(name: str, case: Case) -> tuple[str, float, float]:
    """("uniform", low, high) or ("normal", mean, std): what torch's initialiser samples."""
    key = repr((name, case.setup["shape"], sorted(case.config.items())))
    if key not in _ASKED:
        _ASKED[key] = ti.requested_distribution(getattr(ti, name), case.setup["shape"], **case.config)  # fmt: skip
    return _ASKED[key]


def moments(kind: str, p1: float, p2: float) -> tuple[float, float]:
    """mean and std of U(p1, p2) or N(p1, p2²)."""
    if kind == "uniform":
        return (p1 + p2) / 2, (p2 - p1) / math.sqrt(12)
    return p1, p2


def statistics(w: np.ndarray, kind: str) -> dict[str, float]:
    w = np.asarray(w, dtype=np.float64)
    stats = {"mean": w.mean(), "std": w.std()}
    if kind == "uniform":
        stats.update(min=w.min(), max=w.max())
    return stats


class InitSpec(Spec):
    """One initialiser: its cases (torch's settings; the tensor's shape in setup)."""

    kind = "init"

    def __init__(self, name: str, cases: list[Case], thorough: list[Case] = ()) -> None:
        self.name, self.reference = name, f"scratch.nn.init.{name}"
        self.twin = f"torch.nn.init.{name}" if hasattr(torch.nn.init, name) else f"torch_ref.nn.init.{name}"  # fmt: skip
        self._cases, self._thorough = list(cases), list(thorough)
        self.defaults = {k: v for k, v in adapters._signature(getattr(ti, name)).parameters.items()}
        self.defaults = {k: p.default for k, p in self.defaults.items() if p.default is not p.empty}

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def describe(self, case: Case) -> dict[str, Any]:
        return {**case.config, "shape": case.setup["shape"]}

    def tolerance(self, tensor: str, case: Case, dtype: str) -> tuple[float, float]:
        """Z standard errors of each statistic of n samples (from the distribution's moments):
        mean σ/√n; std σ·√((κ - 1)/4n) with kurtosis κ = 3 (normal) or 9/5 (uniform); the
        extremes of a uniform are within 20/n of its width of the bounds (miss: e⁻²⁰)."""
        kind, p1, p2 = distribution(self.name, case)
        n = math.prod(case.setup["shape"])
        _, sigma = moments(kind, p1, p2)
        if tensor == "mean":
            return 0.0, Z * sigma / math.sqrt(n)
        if tensor == "std":
            kurtosis = 9 / 5 if kind == "uniform" else 3.0
            return Z * math.sqrt((kurtosis - 1) / (4 * n)), 0.0
        return 0.0, 20 * (p2 - p1) / n

    def diagnosis_tolerance(self, tensor: str, case: Case) -> tuple[float, float]:
        """A user's draw against a mistake's draw: two independent samples, so their
        difference has √2 times one sample's standard error (the same Z, no looser)."""
        rtol, atol = self.tolerance(tensor, case, "float64")
        return math.sqrt(2) * rtol, math.sqrt(2) * atol

    def expected(self, case: Case, dtype: str) -> Result:
        kind, p1, p2 = distribution(self.name, case)
        mean, std = moments(kind, p1, p2)
        exact = {"mean": mean, "std": std, **({"min": p1, "max": p2} if kind == "uniform" else {})}
        # torch's own draw must pass the check it sets: else the tolerance is wrong, not the user
        draw = torch.empty(case.setup["shape"], dtype=PROFILES[dtype].torch_dtype)
        getattr(ti, self.name)(draw, **case.config, generator=torch.Generator().manual_seed(SEED))
        for name, value in statistics(draw.numpy(), kind).items():
            rtol, atol = self.tolerance(name, case, dtype)
            if abs(value - exact[name]) > atol + rtol * abs(exact[name]):
                raise AssertionError(f"internal: torch's own {self.name} draw has {name} {value}, exact {exact[name]}: the tolerance is too tight")  # fmt: skip
        result = Result()
        for name, value in exact.items():
            result.add(name, value)
        return result

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        fn, shape, np_dtype = target.obj, case.setup["shape"], PROFILES[dtype].np_dtype
        if not callable(fn):
            raise UsageError(f"{target.name} is a {type(fn).__name__}, not a function")
        positional = required_positional(fn)
        first = positional[0] if positional else None
        kwargs, missing, _ = adapters.resolve(target, fn, dict(case.config), skip=(first,))
        used = adapters.settle(target, None, dict(case.config), missing, self.defaults, f"{self.name}'s settings")  # fmt: skip
        target.used = adapters.changed(used, case.config)
        accepted, _ = adapters.accepted_names(fn)
        w = np.zeros(shape, dtype=np_dtype)  # an initialiser that writes nothing leaves zeros
        arg = shape if first in SHAPE_ARGS else w
        state = np.random.get_state()
        try:
            if "generator" in accepted or "rng" in accepted:
                kwargs["generator" if "generator" in accepted else "rng"] = np.random.default_rng(SEED)  # fmt: skip
            elif "seed" in accepted or "random_state" in accepted:
                kwargs["seed" if "seed" in accepted else "random_state"] = SEED
            else:
                np.random.seed(SEED)
            out = call_user(f"calling {target.name}", fn, arg, **kwargs)
        finally:
            np.random.set_state(state)
        how = "takes the shape and returns the array" if arg is shape else ("returns a new array" if isinstance(out, np.ndarray) and out is not w else "fills the array in place")  # fmt: skip
        target.note(f"protocol: {target.name} {how}")
        got = out if isinstance(out, np.ndarray) or hasattr(out, "detach") else w
        if arg is shape and isinstance(got, np.ndarray) and got.dtype.kind == "f":
            got = got.astype(np_dtype)  # given only the shape, it cannot know the dtype
        got = adapters.check_array(got, "your initialised array", shape, np_dtype)
        result = Result()
        kind = distribution(self.name, case)[0]
        for name, value in statistics(got, kind).items():
            result.add(name, value)
        return result


class ExactSpec(Spec):
    """calculate_gain(nonlinearity, param) and calculate_fan_in_and_fan_out(tensor): exact values."""

    kind = "init"
    dtypes = ("float64",)  # exact numbers (a gain, a pair of fans): one profile says it all

    def __init__(self, name: str, torch_fn, cases: list[Case]) -> None:
        self.name, self.torch_fn, self._cases = name, torch_fn, cases
        self.reference, self.twin = f"scratch.nn.init.{name}", f"torch.nn.init.{torch_fn.__name__}"

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases

    def _args(self, case: Case, make) -> tuple:
        setup = case.setup
        if "shape" in setup:
            return (make(setup["shape"]),)
        return (case.config["nonlinearity"], *([case.config["param"]] if "param" in case.config else []))  # fmt: skip

    def describe(self, case: Case) -> dict[str, Any]:
        return {**case.config, **case.setup}

    def _result(self, value) -> Result:
        result = Result()
        result.add("fan_in, fan_out" if isinstance(value, tuple) else "gain", np.asarray(value, dtype=np.float64))  # fmt: skip
        return result

    def expected(self, case: Case, dtype: str) -> Result:
        return self._result(self.torch_fn(*self._args(case, torch.empty)))

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        args = self._args(case, lambda s: np.zeros(s, dtype=PROFILES[dtype].np_dtype))
        out = call_user(f"calling {target.name}", target.obj, *args)
        try:
            return self._result(tuple(out) if isinstance(out, (tuple, list)) else float(out))
        except (TypeError, ValueError):
            raise UsageError(f"{target.name} returned {out!r}; expected {'(fan_in, fan_out)' if 'shape' in case.setup else 'a number'}") from None  # fmt: skip


def C(label: str, shape: tuple, **config) -> Case:
    return Case(label, config, dict(shape=shape))


SPECS = [
    InitSpec("xavier_uniform_", [basic(C("xavier_uniform_, (250, 100)", LINEAR)),
                                 C("xavier_uniform_(gain=5/3), conv (64, 24, 3, 3)", CONV2D, gain=5 / 3)],
             [C("xavier_uniform_, conv3d (24, 10, 3, 3, 3)", CONV3D)]),
    InitSpec("xavier_normal_", [basic(C("xavier_normal_, conv1d (32, 48, 9)", CONV1D)),
                                C("xavier_normal_(gain=2.5), (250, 100)", LINEAR, gain=2.5)],
             [C("xavier_normal_, conv (64, 24, 3, 3)", CONV2D)]),
    InitSpec("kaiming_uniform_", [basic(C("kaiming_uniform_, (250, 100)", LINEAR)),
                                  C("kaiming_uniform_(a=√5), conv (64, 24, 3, 3)", CONV2D, a=math.sqrt(5)),
                                  C("kaiming_uniform_(fan_out, relu), conv (64, 24, 3, 3)", CONV2D, mode="fan_out", nonlinearity="relu")],
             [C("kaiming_uniform_(tanh), conv3d (24, 10, 3, 3, 3)", CONV3D, nonlinearity="tanh")]),
    InitSpec("kaiming_normal_", [basic(C("kaiming_normal_, conv (64, 24, 3, 3)", CONV2D)),
                                 C("kaiming_normal_(a=0.2, fan_out), (250, 100)", LINEAR, a=0.2, mode="fan_out"),
                                 C("kaiming_normal_(tanh), conv1d (32, 48, 9)", CONV1D, nonlinearity="tanh")],
             [C("kaiming_normal_(selu), (250, 100)", LINEAR, nonlinearity="selu"),
              C("kaiming_normal_(fan_out, relu), conv3d (24, 10, 3, 3, 3)", CONV3D, mode="fan_out", nonlinearity="relu")]),
    InitSpec("lecun_normal_", [basic(C("lecun_normal_, (250, 100)", LINEAR)),
                               C("lecun_normal_, conv (64, 24, 3, 3)", CONV2D)]),
    InitSpec("uniform_", [basic(C("uniform_(a=-0.3, b=0.7)", LINEAR, a=-0.3, b=0.7))]),
    InitSpec("normal_", [basic(C("normal_(mean=0.5, std=2)", LINEAR, mean=0.5, std=2.0))]),
    ExactSpec("calculate_gain", torch.nn.init.calculate_gain, basic_first([
        Case(f"calculate_gain{args}", dict(zip(("nonlinearity", "param"), args, strict=False)))
        for args in [("relu",), ("leaky_relu",), ("leaky_relu", 0.2), ("tanh",), ("sigmoid",),
                     ("selu",), ("conv2d",), ("linear",)]])),
    ExactSpec("calculate_fan_in_and_fan_out", torch.nn.init._calculate_fan_in_and_fan_out, basic_first([
        C(f"shape {s}", s) for s in (LINEAR, CONV2D, CONV1D, CONV3D)])),
]  # fmt: skip
