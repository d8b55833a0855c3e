"""Classic mistakes in the stateless functions: GELU's tanh form, derivatives written in terms of
the activation's output, the L2 penalty without its 1/2, gradient clipping per parameter or
without torch's 1e-6.

(The softmax and log-softmax functions share their mistakes with the Softmax and LogSoftmax
modules, in layers.py.)
"""

from __future__ import annotations

import math

import numpy as np

import scratch.functional as sf
import scratch.nn as snn
import scratch.nn.utils as su
import scratch.regularization as sr
from parity_check.mistakes.base import Mistake


# -- GELU: the course's tanh form where torch's default is exact ------------------------------
def gelu_tanh(z: np.ndarray, approximate: str = "none") -> np.ndarray:
    return sf.gelu(z, "tanh")  # whatever was asked for


def gelu_tanh_derivative(z: np.ndarray, approximate: str = "none") -> np.ndarray:
    return sf.gelu_derivative(z, "tanh")


class GELUTanh(snn.GELU):
    def _f(self, z):
        return gelu_tanh(z)

    def _df(self, z):
        return gelu_tanh_derivative(z)


# -- derivatives that expect the activation's output a = f(z), called with z -------------------
def sigmoid_derivative_of_output(a: np.ndarray) -> np.ndarray:
    return a * (1 - a)  # σ'(z) = a(1 - a) only for a = σ(z)


def tanh_derivative_of_output(a: np.ndarray) -> np.ndarray:
    return 1 - a**2  # tanh'(z) = 1 - a² only for a = tanh(z)


# -- the L2 penalty written λ‖w‖² ----------------------------------------------------------------
def l2_penalty_without_half(weights, lam):
    return sr.l2_penalty(weights, 2 * lam)  # (2λ/2)‖w‖² = λ‖w‖²


def l2_penalty_grad_without_half(weights, lam):
    return sr.l2_penalty_grad(weights, 2 * lam)


# -- gradient clipping ---------------------------------------------------------------------------
def clip_grad_norm_per_parameter(parameters, max_norm, norm_type=2.0):
    """Each gradient clipped to max_norm on its own, instead of all of them as one vector."""
    params = list(parameters)
    total = su.clip_grad_norm_(params, math.inf, norm_type)  # the joint norm, nothing clipped
    for p in params:
        su.clip_grad_norm_([p], max_norm, norm_type)
    return total


def clip_grad_norm_without_eps(parameters, max_norm, norm_type=2.0):
    """Scaled by max_norm / total instead of torch's max_norm / (total + 1e-6)."""
    params = list(parameters)
    total = su.clip_grad_norm_(params, math.inf, norm_type)
    if total > max_norm:  # the same coefficient from scratch's formula, with the 1e-6 undone
        su.clip_grad_norm_(params, max_norm * float(total + 1e-6) / float(total), norm_type)
    return total


class _DerivativeAtOutput:
    """backward computes f'(a) at the cached output a = f(z) with the derivative that takes z:
    σ'(σ(z)) or tanh'(tanh(z)), a function applied twice (a class that caches ``self.out``)."""

    def backward(self, grad_output):
        return grad_output * self._df(self._f(self.saved()))


SigmoidDerivativeAtOutput = type("SigmoidDerivativeAtOutput", (_DerivativeAtOutput, snn.Sigmoid), {})  # fmt: skip
TanhDerivativeAtOutput = type("TanhDerivativeAtOutput", (_DerivativeAtOutput, snn.Tanh), {})


MISTAKES = [
    Mistake("gelu-tanh-approximation", ("GELU", "gelu", "gelu_derivative"), "Activations",
            "your GELU matches the course's tanh approximation, but torch's default is the exact "
            "z·Φ(z) with Φ(z) = (1 + erf(z/√2))/2 (pass approximate='tanh' to torch if the tanh "
            "form is what you want)",
            {"GELU": GELUTanh, "gelu": gelu_tanh, "gelu_derivative": gelu_tanh_derivative},
            derivative=gelu_tanh_derivative),
    Mistake("derivative-takes-the-output", ("sigmoid_derivative", "tanh_derivative"), "Activations",
            "your derivative matches a(1 - a) or 1 - a² evaluated at the input z: it expects the "
            "activation's output a = f(z), while the catalog's derivative takes z (compute "
            "a = f(z) inside, or call it with the output)",
            {"sigmoid_derivative": sigmoid_derivative_of_output,
             "tanh_derivative": tanh_derivative_of_output}),
    Mistake("activation-derivative-of-output", ("Sigmoid", "Tanh"), "Activations",
            "your backward applies the derivative that takes the input z to the output a it "
            "cached: σ'(a) = σ(a)(1 - σ(a)) (or 1 - tanh²(a)), the function applied twice; from "
            "the output the derivative is a(1 - a) (or 1 - a²), no second σ",
            {"Sigmoid": SigmoidDerivativeAtOutput, "Tanh": TanhDerivativeAtOutput}),
    Mistake("l2-penalty-without-half", ("l2_penalty", "l2_penalty_grad"), "Regularisation",
            "your penalty is λ·‖w‖² (gradient 2λ·w): the suite's l2_penalty is (λ/2)·‖w‖², "
            "gradient λ·w, exactly what SGD's weight_decay=λ adds; yours equals weight_decay=2λ",
            {"l2_penalty": l2_penalty_without_half, "l2_penalty_grad": l2_penalty_grad_without_half},
            derivative=l2_penalty_grad_without_half),
    Mistake("clip-grad-norm-per-parameter", ("clip_grad_norm_",), "Regularisation",
            "your clipping scales each gradient by its own norm: torch takes the norm of all "
            "gradients together (one long vector) and scales every one by max_norm/(total + 1e-6)",
            clip_grad_norm_per_parameter),
    Mistake("clip-grad-norm-without-eps", ("clip_grad_norm_",), "Regularisation",
            "your clipped gradients are scaled by max_norm/total: torch scales by "
            "max_norm/(total + 1e-6), a factor a hair under 1 even when total = max_norm",
            clip_grad_norm_without_eps),
]  # fmt: skip
