"""Linear (fully connected) layer: z = x Wᵀ + b.  Twin: ``torch.nn.Linear`` (torch_ref/nn/linear.py)."""

from __future__ import annotations

import math

import numpy as np

from scratch._checks import as_float_array, check_positive_int, check_same_dtype, factory_dtype
from scratch.nn.module import Module, Parameter


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """``torch.nn.functional.linear``: x of shape (..., in), weight (out, in), bias (out,)."""
    z = x @ weight.T
    return z if bias is None else z + bias


class Linear(Module):
    """z = x Wᵀ + b, with torch's default init U(-1/√fan_in, 1/√fan_in) for W and b."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        device: object = None,
        dtype: type = np.float32,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        dtype = factory_dtype(device, dtype)
        # 0 works in torch: no inputs gives the bias alone, no outputs an empty (N, 0) output
        self.in_features = check_positive_int(in_features, "in_features", minimum=0)
        self.out_features = check_positive_int(out_features, "out_features", minimum=0)
        rng = generator if generator is not None else np.random.default_rng()
        bound = 1.0 / np.sqrt(in_features) if in_features > 0 else 0.0  # torch's rule for b
        self.weight = Parameter(
            rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype)
        )
        self.bias = (
            Parameter(rng.uniform(-bound, bound, out_features).astype(dtype)) if bias else None
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "input")
        check_same_dtype(x, "input", self.weight.dtype, "Linear")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"input must have shape (..., {self.in_features}) for Linear, got {x.shape}"
            )
        self._cache = x
        return linear(x, self.weight.data, None if self.bias is None else self.bias.data)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x = self.saved()
        rows = math.prod(x.shape[:-1])  # not -1: a size-0 feature axis leaves -1 undefined
        dZ = grad_output.reshape(rows, self.out_features)
        self.weight.accumulate(dZ.T @ x.reshape(rows, self.in_features))  # dW = dZᵀ x
        if self.bias is not None:
            self.bias.accumulate(dZ.sum(axis=0))  # db = Σ dZ over the batch
        return grad_output @ self.weight.data  # dx = dZ W

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
