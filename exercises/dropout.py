"""Inverted dropout (course section: Regularisation).

Check: ``parity-check Dropout exercises/dropout.py:Dropout``.

The mask is random, so the checker cannot expect torch's mask: it reads yours from your
output (its inputs have no zeros) and checks torch's formula for it: the kept outputs are
x/(1 - p), the dropped are 0, about a fraction 1 - p is kept, the backward uses the same
mask, and eval mode is the identity.
"""

from __future__ import annotations

import numpy as np

from scratch.nn import Module


class Dropout(Module):
    """Twin: ``torch.nn.Dropout(p)``.

    training (``self.training``, set by ``train()``/``eval()``): keep each element with
    probability 1 - p (draw a fresh mask each forward, e.g. with
    ``np.random.default_rng().random(x.shape) >= p``), output x·mask / (1 - p);
    eval: output x unchanged. Same shape and dtype as x.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dx: the upstream gradient through the *same* mask and scale (identity in eval)."""
        raise NotImplementedError
