"""Twin of scratch/nn/activation.py: torch's built-in activations, and their derivatives by autograd."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh

__all__ = ["GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "SiLU", "Softmax", "Tanh",
           "derivative"]  # fmt: skip


def derivative(fn: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    """Elementwise derivative f'(z) by autograd: the gradient of Σ f(z) w.r.t. z."""
    z = z.detach().requires_grad_(True)
    (dz,) = torch.autograd.grad(fn(z).sum(), z)
    return dz
