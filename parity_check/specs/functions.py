"""Specs of the stateless functions: activations, their derivatives, softmax, linear, batch_norm,
the weight penalties and gradient clipping.

Each activation has two specs: ``relu`` (the function, and its derivative when the user gives
one) and ``relu_derivative`` (the user's function is the derivative). The ci cases are the
activation tests' (inputs of scale 3 kept off the kinks) plus, for the ReLU family, inputs
exactly at the kink 0 (where torch's derivative is a choice: relu'(0) = 0, leaky_relu'(0) =
negative_slope), tied maxima for the softmaxes, and saturating logits of ±1e4 where the
function has an exponential in it; ``--thorough`` adds the other shapes of
``test_activation.py``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from parity_check.core.harness import randn
from parity_check.specs.base import FAR_LOGITS, TIED_LOGITS, Case, basic
from parity_check.specs.function_spec import ClipSpec, FunctionSpec, PenaltySpec
from parity_check.specs.function_spec import array_input as _x


def C(label: str, setup: dict, **config) -> Case:
    return Case(label, config, setup)


PLAIN = dict(shape=(4, 7), scale=3.0)
SATURATED = dict(values=[[-1e4, -30.0, -2.5, 0.7], [1.5, 30.0, 1e4, -0.3]])  # exp(1e4) overflows
# six inputs exactly at 0, the kink: torch's relu'(0) = 0 and leaky_relu'(0) = negative_slope
AT_KINK = dict(PLAIN, at_kinks=6)
MORE = [C("(7,)", dict(shape=(7,), scale=3.0)), C("(2, 3, 4, 5)", dict(shape=(2, 3, 4, 5), scale=3.0))]  # fmt: skip

# name, torch twin, ci cases, settings a function without the argument is taken to hard-wire
ELEMENTWISE = [
    ("relu", F.relu, [basic(C("relu(x)", PLAIN)), C("relu(x), x exactly 0 in places", AT_KINK)], {}),
    ("leaky_relu", F.leaky_relu, [basic(C("leaky_relu(x)", PLAIN)),
                                  C("leaky_relu(x, 0.2)", PLAIN, negative_slope=0.2),
                                  C("leaky_relu(x, 0.2), x exactly 0 in places", AT_KINK, negative_slope=0.2)], {"negative_slope": 0.01}),
    ("sigmoid", torch.sigmoid, [basic(C("sigmoid(x)", PLAIN)), C("sigmoid(±1e4)", SATURATED)], {}),
    ("tanh", torch.tanh, [basic(C("tanh(x)", PLAIN)), C("tanh(±1e4)", SATURATED)], {}),
    ("gelu", F.gelu, [basic(C("gelu(x)", PLAIN, approximate="none")),
                      C("gelu(x, 'tanh')", PLAIN, approximate="tanh")], {"approximate": "none"}),
    ("silu", F.silu, [basic(C("silu(x)", PLAIN)), C("silu(±1e4)", SATURATED)], {}),
]  # fmt: skip

TWINS = {"sigmoid": "torch.sigmoid", "tanh": "torch.tanh"}


def _elementwise_specs() -> list[FunctionSpec]:
    specs = []
    for name, fn, cases, assume in ELEMENTWISE:
        twin = TWINS.get(name, f"torch.nn.functional.{name}")
        specs.append(FunctionSpec(name, fn, f"scratch.functional.{name}", cases, thorough=MORE,
                                  assume=assume, twin=twin))  # fmt: skip
        specs.append(FunctionSpec(f"{name}_derivative", fn, f"scratch.functional.{name}_derivative",
                                  cases, thorough=MORE, assume=assume, role="derivative",
                                  twin=f"autograd's derivative of {twin}"))  # fmt: skip
    return specs


SOFTMAX_CASES = [
    basic(C("dim=-1", PLAIN, dim=-1)),
    C("dim=-1, logits near 800", dict(shape=(3, 4), scale=3.0, shift=800.0), dim=-1),
    C("dim=1, (3, 4, 2)", dict(shape=(3, 4, 2), scale=3.0), dim=1),
    C("dim=-1, tied maxima", dict(values=TIED_LOGITS), dim=-1),
    C("dim=-1, logits hundreds apart", dict(values=FAR_LOGITS), dim=-1),
]
SOFTMAX_MORE = [C("dim=0, (3, 4, 5)", dict(shape=(3, 4, 5), scale=4.0), dim=0)]


def _linear_inputs(case: Case, dtype: str):
    s = case.setup
    weight = randn((s["out"], s["shape"][-1]), dtype, seed=11)
    return _x(case, dtype), weight, randn((s["out"],), dtype, seed=12) if s["bias"] else None


def _batch_norm_inputs(case: Case, dtype: str):
    """x of mean 2 and std 1.5; zero/one running stats in training, random ones in eval."""
    s = case.setup
    x = randn(s["shape"], dtype, seed=5)
    x = (1.5 * x + 2.0).astype(x.dtype)
    c = s["shape"][1]
    if case.config.get("training"):
        mean, var = np.zeros(c, x.dtype), np.ones(c, x.dtype)
    else:
        mean, var = (
            randn((c,), dtype, seed=8),
            np.abs(randn((c,), dtype, seed=9)) + x.dtype.type(0.5),
        )
    affine = (randn((c,), dtype, seed=6) + 1, randn((c,), dtype, seed=7)) if s.get("affine", True) else (None, None)  # fmt: skip
    return (x, mean, var, *affine)


def _torch_batch_norm(x, mean, var, weight, bias, **config):
    return F.batch_norm(x, mean, var, weight, bias, **config)


SPECS = [
    *_elementwise_specs(),
    FunctionSpec("softmax", F.softmax, "scratch.functional.softmax", SOFTMAX_CASES,
                 thorough=SOFTMAX_MORE, elementwise=False, assume={"dim": -1}),
    FunctionSpec("log_softmax", F.log_softmax, "scratch.functional.log_softmax", SOFTMAX_CASES,
                 thorough=SOFTMAX_MORE, elementwise=False, assume={"dim": -1}),
    FunctionSpec("linear", F.linear, "scratch.functional.linear", [
        basic(C("linear: x (4, 5), weight (3, 5), bias", dict(shape=(4, 5), out=3, bias=True))),
        C("linear: x (2, 3, 5), weight (4, 5), bias", dict(shape=(2, 3, 5), out=4, bias=True)),
        C("linear: x (3, 4), weight (6, 4), bias=None", dict(shape=(3, 4), out=6, bias=False)),
    ], elementwise=False, make_inputs=_linear_inputs),
    FunctionSpec("batch_norm", _torch_batch_norm, "scratch.functional.batch_norm", [
        basic(C("training, (6, 3)", dict(shape=(6, 3)), training=True, momentum=0.1, eps=1e-5)),
        C("training, (4, 3, 2, 2)", dict(shape=(4, 3, 2, 2)), training=True, momentum=0.3, eps=1e-3),
        C("eval, (4, 3, 2, 2)", dict(shape=(4, 3, 2, 2)), training=False, momentum=0.1, eps=1e-5),
    ], thorough=[
        C("training, no affine", dict(shape=(5, 2, 3), affine=False), training=True, momentum=0.2, eps=1e-5),
    ], elementwise=False, make_inputs=_batch_norm_inputs,
       in_place={1: "running_mean", 2: "running_var"}, twin="torch.nn.functional.batch_norm"),
    *PenaltySpec.all(),
    ClipSpec.norm(),
    ClipSpec.value(),
]  # fmt: skip
