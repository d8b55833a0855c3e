"""Mistakes of the backward-with-lr protocol (``backward(grad, learning_rate)`` applies its own
SGD step): injected into a learner-style reference of that protocol, and driven through the
same adapter as a learner's layer (``protocols/backward_lr.py``).

The reference takes one sample at a time as a column, the tutorials' layout: its mistake's
numbers are those of a layer stepped after every sample (dx = gᵢ·(W − lr·dWᵢ)). A layer of
whole batches with the same mistake steps once per batch (W − lr·Σ dWᵢ): it fails as well,
and the diagnosis says no catalogued mistake reproduces it.
"""

from __future__ import annotations

import numpy as np

from parity_check.mistakes.base import Mistake
from parity_check.protocols import wrapper
from parity_check.specs import SPECS, Target


class DenseStep:
    """The reference, as the tutorials write it: one sample as a column, x (in, 1), W (out, in),
    b (out, 1); the backward computes dx with the forward's weights, then steps W and b."""

    def __init__(self, input_size: int, output_size: int, bias: bool = True) -> None:
        self.weights = np.zeros((output_size, input_size))
        self.bias = np.zeros((output_size, 1)) if bias else None

    def forward(self, input: np.ndarray) -> np.ndarray:  # noqa: A002 - the tutorials' name
        self.input = input
        out = self.weights @ input
        return out if self.bias is None else out + self.bias

    def backward(self, output_gradient: np.ndarray, learning_rate: float) -> np.ndarray:
        input_gradient = self.weights.T @ output_gradient  # with the forward's weights
        self.step(output_gradient, learning_rate)
        return input_gradient

    def step(self, output_gradient: np.ndarray, learning_rate: float) -> None:
        self.weights -= learning_rate * (output_gradient @ self.input.T)
        if self.bias is not None:
            self.bias -= learning_rate * output_gradient


class DenseStepUpdatedWeights(DenseStep):
    def backward(self, output_gradient: np.ndarray, learning_rate: float) -> np.ndarray:
        self.step(output_gradient, learning_rate)
        return self.weights.T @ output_gradient  # the weights already stepped


def _driven(cls: type, key: str) -> type:
    """``cls`` in the shape the Linear spec drives, as a learner's layer of this style is."""
    return wrapper.adapted_class(SPECS["Linear"], cls, Target(cls, key), "backward_lr", lr_name="learning_rate")  # fmt: skip


MISTAKES = [
    Mistake("input-grad-with-updated-weights", ("Linear",), "MLP and backprop",
            "your input gradient matches one computed with the weights your backward has "
            "already stepped (W - lr·dW): compute dx = grad·W with the forward's weights, "
            "then update W",
            _driven(DenseStepUpdatedWeights, "input-grad-with-updated-weights")),
]  # fmt: skip
