"""The seed's two experiments on depth: activations by init scheme, gradients by activation.

Twin: torch_ref/experiments.py (same experiments with torch modules and autograd). Proofs:
parity_tests/test_init.py (activation statistics) and parity_tests/test_utils.py (gradients).
Both functions return plain arrays, so a report can plot them.

1. ``activation_stats_by_depth``: push a standard-normal batch through ``depth`` ReLU layers
   of ``width`` units, initialised by one of ``INIT_SCHEMES``, and record the mean and std of
   each layer's activations. With std 0.01 each layer multiplies the std by about
   0.01·sqrt(width/2) ≈ 0.11 (width 256), so it collapses geometrically; with N(0, 1) it grows
   by ≈ 11 per layer; He (kaiming, gain sqrt 2) keeps it constant; Xavier and LeCun (gain 1)
   lose a factor sqrt(2) per layer to the ReLU.
2. ``deep_mlp`` + ``layer_gradient_norms``: a 20-layer MLP whose weights are all He-normal, so
   only the activation differs; backprop gives each layer's weight-gradient norm. Sigmoid's
   derivative is at most 1/4, so its gradient shrinks by ≈ sqrt(2)/4 per layer going back:
   the vanishing gradient that motivates ReLU, careful init and gradient clipping.
"""

from __future__ import annotations

import numpy as np

from scratch.nn import init
from scratch.nn.activation import ReLU, Sigmoid, Tanh, relu
from scratch.nn.linear import Linear, linear
from scratch.nn.module import Sequential

__all__ = ["activation_stats_by_depth", "deep_mlp", "init_weight_", "layer_gradient_norms"]

INIT_SCHEMES = ("normal_0.01", "xavier", "kaiming", "lecun", "normal_1")
ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}


def init_weight_(weight: np.ndarray, scheme: str, generator: np.random.Generator) -> np.ndarray:
    """Fill ``weight`` in place according to one of ``INIT_SCHEMES``."""
    if scheme == "normal_0.01":
        return init.normal_(weight, 0.0, 0.01, generator)
    if scheme == "normal_1":
        return init.normal_(weight, 0.0, 1.0, generator)
    if scheme == "xavier":
        return init.xavier_normal_(weight, generator=generator)
    if scheme == "kaiming":
        return init.kaiming_normal_(weight, nonlinearity="relu", generator=generator)
    if scheme == "lecun":
        return init.lecun_normal_(weight, generator=generator)
    raise ValueError(f"scheme must be one of {INIT_SCHEMES}, got {scheme!r}")


def activation_stats_by_depth(
    scheme: str,
    *,
    depth: int = 10,
    width: int = 256,
    batch: int = 256,
    in_features: int | None = None,
    generator: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of the ReLU activations after each of ``depth`` layers, in float64.

    The input has ``in_features`` columns (default ``width``; the course feeds 784, MNIST's
    pixels, into its first layer of 256).
    """
    rng = generator if generator is not None else np.random.default_rng()
    a = rng.standard_normal((batch, width if in_features is None else in_features))
    means, stds = np.empty(depth), np.empty(depth)
    for layer in range(depth):
        W = init_weight_(np.empty((width, a.shape[1])), scheme, rng)
        a = relu(linear(a, W))  # no bias: the init alone sets the scale
        means[layer], stds[layer] = a.mean(), a.std()
    return means, stds


def deep_mlp(
    activation: str,
    *,
    depth: int = 20,
    width: int = 32,
    generator: np.random.Generator | None = None,
) -> Sequential:
    """``depth`` × (Linear(width, width, bias=False), activation), He-normal weights, float64."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    rng = generator if generator is not None else np.random.default_rng()
    layers = []
    for _ in range(depth):
        layer = Linear(width, width, bias=False, dtype=np.float64, generator=rng)
        init.kaiming_normal_(layer.weight.data, nonlinearity="relu", generator=rng)
        layers += [layer, ACTIVATIONS[activation]()]
    return Sequential(*layers)


def layer_gradient_norms(model: Sequential, x: np.ndarray, grad_output: np.ndarray) -> np.ndarray:
    """‖dL/dW‖ (Frobenius) of each layer, first layer first, for L = Σ grad_output · model(x)."""
    model.zero_grad()
    model(x)
    model.backward(grad_output)
    return np.array([np.linalg.norm(p.grad) for p in model.parameters()])
