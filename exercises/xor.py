"""Exercise 1: solve XOR with a 2-4-1 network written from scratch (course section: Exercises;
the forward and backward passes of "MLP and backprop").

Check: ``parity-check exercises/`` (the scoreboard runs it; XOR is not a catalog component).

XOR's four points are not linearly separable, so the network needs its hidden layer. The
checker calls ``train_xor`` with fixed starting weights (He-initialised, seed 0), X and Y of
``scratch.datasets.xor()``, lr = 0.5 and epochs = 2000, and trains a torch twin from the
same weights the same way (autograd, ``torch.optim.SGD``); your loss at every epoch and
your final weights must match it (float64, relative 1e-10). It then says whether your
trained network gets all four points right.
"""

from __future__ import annotations

import numpy as np


def train_xor(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
              X: np.ndarray, Y: np.ndarray, lr: float, epochs: int):  # fmt: skip
    """Train by full-batch gradient descent; return ``(losses, W1, b1, W2, b2)``.

    Shapes (float64, batch first, weights in torch's (out, in) layout):
    X (4, 2) the points, Y (4, 1) their labels in {0, 1}, W1 (4, 2), b1 (4,), W2 (1, 4),
    b2 (1,).

    The network, for every epoch:
      H = tanh(X W1ᵀ + b1)             (4, 4) hidden units: tanh, not ReLU (a ReLU 2-4-1
                                        can stall with dead units; tanh solves XOR from here)
      z = H W2ᵀ + b2                   (4, 1) logits;  A = sigmoid(z) the probabilities
      loss = -mean(Y log A + (1 - Y) log(1 - A))   the exact binary cross-entropy (torch's
                                        binary_cross_entropy_with_logits): no epsilon inside
                                        the logs
    then backpropagate (the mean over the 4 points puts 1/4 in every gradient: dz = (A - Y)/4)
    and update every array: W -= lr * dW.

    ``losses``: ``epochs`` numbers, the loss of each epoch's forward pass, i.e. *before*
    that epoch's update. The returned arrays are the weights after the last update. You may
    update the given arrays in place.
    """
    raise NotImplementedError
