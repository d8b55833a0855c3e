"""Twin of scratch/experiments.py: the same two depth experiments with torch and autograd.

The torch runs draw their own random numbers (``torch.Generator``): the activation experiment
is compared with scratch statistically; the gradient experiment takes scratch's weights
through ``load_state_dict`` (the same keys) and is compared exactly.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "INIT_SCHEMES", "activation_stats_by_depth", "deep_mlp",
           "init_weight_", "layer_gradient_norms"]  # fmt: skip

INIT_SCHEMES = ("normal_0.01", "xavier", "kaiming", "lecun", "normal_1")
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def init_weight_(weight: torch.Tensor, scheme: str, generator: torch.Generator) -> torch.Tensor:
    init = {
        "normal_0.01": lambda w: nn.init.normal_(w, 0.0, 0.01, generator=generator),
        "normal_1": lambda w: nn.init.normal_(w, 0.0, 1.0, generator=generator),
        "xavier": lambda w: nn.init.xavier_normal_(w, generator=generator),
        "kaiming": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu", generator=generator),
        "lecun": lambda w: nn.init.kaiming_normal_(w, nonlinearity="linear", generator=generator),
    }
    return init[scheme](weight)


@torch.no_grad()
def activation_stats_by_depth(scheme: str, *, depth: int = 10, width: int = 256, batch: int = 256,
                              in_features: int | None = None,
                              generator: torch.Generator | None = None):  # fmt: skip
    """(mean, std) tensors of the ReLU activations after each layer, in float64."""
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    n_in = width if in_features is None else in_features
    a = torch.randn(batch, n_in, dtype=torch.float64, generator=gen)
    means, stds = torch.empty(depth, dtype=torch.float64), torch.empty(depth, dtype=torch.float64)
    for layer in range(depth):
        W = init_weight_(torch.empty(width, a.shape[1], dtype=torch.float64), scheme, gen)
        a = torch.relu(a @ W.T)
        means[layer], stds[layer] = a.mean(), a.std(unbiased=False)
    return means, stds


def deep_mlp(activation: str, *, depth: int = 20, width: int = 32) -> nn.Sequential:
    """The same architecture and state_dict keys as scratch's (weights to be loaded)."""
    layers = []
    for _ in range(depth):
        layers += [
            nn.Linear(width, width, bias=False, dtype=torch.float64),
            ACTIVATIONS[activation](),
        ]
    return nn.Sequential(*layers)


def layer_gradient_norms(
    model: nn.Sequential, x: torch.Tensor, grad_output: torch.Tensor
) -> torch.Tensor:
    model.zero_grad()
    model(x).backward(grad_output)
    return torch.stack([p.grad.norm() for p in model.parameters()])
