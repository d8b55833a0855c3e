"""Conventions at kinks and ties: where the calculus allows several answers and torch picks one.

At exactly x = 0, ReLU and LeakyReLU have no derivative: any slope between the two one-sided
ones is a subgradient, and torch picks the left one (ReLU'(0) = 0, LeakyReLU'(0) =
negative_slope). A max-pool window with a tied maximum has no unique argmax: torch sends the
gradient to the first max in row-major order. Code that picks otherwise is not wrong
calculus, but it is not torch's choice, and parity needs torch's. The checker's ci cases put
inputs exactly on these kinks and ties (``specs/modules.py``, ``functions.py``, ``conv.py``),
so each of these variants fails there, and only there, and is named.

The LeakyReLU derivative with the wrong sign below 0 is wrong calculus, kept here with its
kink for the family's sake.
"""

from __future__ import annotations

import numpy as np

import scratch.nn as snn
from parity_check.mistakes.base import Mistake
from scratch.nn import pooling
from scratch.nn.activation import leaky_relu, relu

SECTION = "Activations"


# -- ReLU and LeakyReLU at 0 -----------------------------------------------------------------------
def relu_derivative_one_at_zero(z: np.ndarray) -> np.ndarray:
    return (z >= 0).astype(z.dtype)  # CS231n's dx[x < 0] = 0 leaves the gradient at x = 0


def leaky_relu_derivative_one_at_zero(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    return np.where(z >= 0, 1.0, negative_slope).astype(z.dtype)  # dx[x < 0] *= slope


def leaky_relu_derivative_sign_flipped(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    return np.where(z > 0, 1.0, -negative_slope).astype(z.dtype)  # d(a·z)/dz taken as -a


class ReLUOneAtZero(snn.ReLU):
    _df = staticmethod(relu_derivative_one_at_zero)


def _leaky(name: str, derivative) -> type:
    def _df(self, z):
        return derivative(z, self.negative_slope)

    return type(name, (snn.LeakyReLU,), {"_df": _df, "__qualname__": name})


def _leaky_variants(name: str, derivative) -> dict:
    return {"LeakyReLU": _leaky(name, derivative), "leaky_relu": leaky_relu,
            "leaky_relu_derivative": derivative}  # fmt: skip


# -- MaxPool2d: a tied window's gradient ------------------------------------------------------------
class _MaxPoolTies(snn.MaxPool2d):
    """scratch's MaxPool2d whose backward sends each window's gradient to the offsets
    ``winners(is_max)`` picks from the window's maxima (``is_max``: (N, C, K, OH, OW) bool)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = super().forward(x)
        self._x = np.asarray(x)
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        _, padded_shape, pad4, kernel, stride, dilation, _ = self.saved()
        n, c, oh, ow = grad_output.shape
        xp = pooling.pad2d(self._x, pad4, value=-np.inf)
        win = pooling.windows(xp, kernel, stride, dilation, (oh, ow)).reshape(n, c, -1, oh, ow)
        chosen = self.winners(win == win.max(axis=2, keepdims=True))
        dwin = (chosen * grad_output[:, :, None]).astype(grad_output.dtype)
        return pooling.col2im(dwin.reshape(n, c, *kernel, oh, ow), padded_shape, stride, dilation, pad4)  # fmt: skip

    @staticmethod
    def winners(is_max: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class MaxPoolTieToEveryMax(_MaxPoolTies):
    @staticmethod
    def winners(is_max):
        return is_max  # np.where(window == window.max()): every tied max gets the gradient


class MaxPoolTieToLastMax(_MaxPoolTies):
    @staticmethod
    def winners(is_max):
        last = is_max.shape[2] - 1 - np.argmax(is_max[:, :, ::-1], axis=2)  # `>=` in a scan
        return np.arange(is_max.shape[2])[None, None, :, None, None] == last[:, :, None]


CONVENTION = "both are subgradients, and parity needs torch's choice (a convention at the kink, not wrong calculus)"  # fmt: skip
TIE = "a convention at a tie, not wrong calculus: parity needs torch's choice"

MISTAKES = [
    Mistake("relu-derivative-one-at-zero", ("ReLU", "relu", "relu_derivative"), SECTION,
            "at exactly x = 0 your derivative is 1, torch's is 0 (CS231n's dx[x < 0] = 0 keeps "
            f"the gradient where x = 0; torch drops it where x <= 0); {CONVENTION}",
            {"ReLU": ReLUOneAtZero, "relu": relu,
             "relu_derivative": relu_derivative_one_at_zero},
            derivative=relu_derivative_one_at_zero),
    Mistake("leaky-relu-derivative-one-at-zero", ("LeakyReLU", "leaky_relu", "leaky_relu_derivative"), SECTION,
            "at exactly x = 0 your derivative is 1, torch's is negative_slope (torch's rule is "
            f"x > 0 ? 1 : negative_slope, so 0 takes the slope); {CONVENTION}",
            _leaky_variants("LeakyReLUOneAtZero", leaky_relu_derivative_one_at_zero),
            derivative=leaky_relu_derivative_one_at_zero),
    Mistake("leaky-relu-derivative-sign", ("LeakyReLU", "leaky_relu", "leaky_relu_derivative"), SECTION,
            "your derivative below 0 is -negative_slope: LeakyReLU is negative_slope·x there, "
            "whose derivative is +negative_slope (the output keeps x's sign; only its scale changes)",
            _leaky_variants("LeakyReLUDerivativeSign", leaky_relu_derivative_sign_flipped),
            derivative=leaky_relu_derivative_sign_flipped),
    Mistake("maxpool-tie-grad-to-every-max", ("MaxPool2d",), "Convolutions",
            "where a window's max is tied (common after a ReLU: windows of zeros) your gradient "
            "goes to every tied max: torch sends a tied window's gradient to the first max (in "
            f"row-major order) only; {TIE}",
            MaxPoolTieToEveryMax),
    Mistake("maxpool-tie-grad-to-last-max", ("MaxPool2d",), "Convolutions",
            "where a window's max is tied (common after a ReLU: windows of zeros) your gradient "
            "goes to the last tied max (a scan with >=): torch sends it to the first max (in "
            f"row-major order) only; {TIE}",
            MaxPoolTieToLastMax),
]  # fmt: skip
