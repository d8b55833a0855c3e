"""Twin of scratch/gradcheck.py: ``torch.autograd.gradcheck`` on a module's input and parameters."""

from __future__ import annotations

import torch
from torch.func import functional_call

__all__ = ["gradcheck"]


def gradcheck(module: torch.nn.Module, x: torch.Tensor, *, raise_exception: bool = True) -> bool:
    """Gradcheck the module as a function of ``(input, *parameters)``, all float64."""
    names = [name for name, _ in module.named_parameters()]
    params = tuple(p.detach().double().requires_grad_(True) for p in module.parameters())

    def f(x, *params):
        return functional_call(module, dict(zip(names, params, strict=True)), (x,))

    x = x.detach().double().requires_grad_(True)
    return torch.autograd.gradcheck(f, (x, *params), raise_exception=raise_exception)
