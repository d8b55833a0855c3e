"""Mistakes of the backward-with-lr protocol (``backward(grad, learning_rate)`` applies its own
SGD step): injected into a learner-style reference of that protocol, and driven through the
same adapter as a learner's layer (``protocols/backward_lr.py``).
"""

from __future__ import annotations

import numpy as np

from parity_tests.check.mistakes.base import Mistake
from parity_tests.check.protocols import wrapper
from parity_tests.check.specs import SPECS, Target


class DenseStep:
    """The reference: torch's Linear, W (out, in), whose backward steps W and b itself."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros(out_features) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W.T + (0 if self.b is None else self.b)

    def backward(self, grad: np.ndarray, learning_rate: float) -> np.ndarray:
        rows, g = self.x.reshape(-1, self.W.shape[1]), grad.reshape(-1, self.W.shape[0])
        dx = grad @ self.W  # with the weights the forward used
        self.step(g.T @ rows, g.sum(axis=0), learning_rate)
        return dx

    def step(self, dW: np.ndarray, db: np.ndarray, learning_rate: float) -> None:
        self.W = self.W - learning_rate * dW
        if self.b is not None:
            self.b = self.b - learning_rate * db


class DenseStepUpdatedWeights(DenseStep):
    def backward(self, grad: np.ndarray, learning_rate: float) -> np.ndarray:
        rows, g = self.x.reshape(-1, self.W.shape[1]), grad.reshape(-1, self.W.shape[0])
        self.step(g.T @ rows, g.sum(axis=0), learning_rate)
        return grad @ self.W  # the weights already stepped


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
