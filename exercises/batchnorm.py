"""Batch normalisation over (N, C, H, W) with running statistics (course section:
Regularisation).

Check: ``parity-check BatchNorm2d exercises/batchnorm.py:BatchNorm2d``.

Protocol: scratch's Module (``train()``/``eval()`` set ``self.training``). The checker puts
torch's values into ``weight`` and ``bias``, runs three training steps (each updates the
running statistics) and one eval step, and compares the output, the input gradient, the
parameter gradients and ``running_mean``/``running_var`` after each step with torch's.
"""

from __future__ import annotations

import numpy as np

from scratch.nn import Module, Parameter


class BatchNorm2d(Module):
    """Twin: ``torch.nn.BatchNorm2d(num_features, eps, momentum, affine)``.

    Per channel c, over the N·H·W values of the batch:
      training: μ, σ² = mean and *biased* variance of the batch; normalise with them;
                running = (1 - momentum)·running + momentum·batch statistic, where torch
                tracks the *unbiased* variance (σ²·n/(n-1), n = N·H·W); momentum=None
                means a cumulative average (optional: such cases are "not supported" if you
                refuse it);
      eval:     normalise with running_mean and running_var instead.
    x̂ = (x - μ) / √(σ² + eps) (eps inside the root); y = weight·x̂ + bias.

    ``weight`` (γ) and ``bias`` (β): Parameters (C,), ones and zeros, or None when
    ``affine=False``. ``running_mean`` (C,) zeros and ``running_var`` (C,) ones: plain
    arrays (``self.register_buffer(name, array)`` makes them part of state_dict).
    """

    weight: Parameter | None
    bias: Parameter | None

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True) -> None:  # fmt: skip
        super().__init__()
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, C, H, W) -> y of the same shape and dtype (batch or running statistics by
        ``self.training``)."""
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dy -> dL/dx; accumulate dL/dγ and dL/dβ into the parameters' ``.grad``.

        Hint: in training μ and σ² depend on every x, so dL/dx has two more terms than
        dL/dx̂ / √(σ² + eps): it is (1/√(σ² + eps))·(dx̂ - mean(dx̂) - x̂·mean(dx̂·x̂)),
        means per channel. In eval mode the statistics are constants.
        """
        raise NotImplementedError
