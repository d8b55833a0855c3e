"""Softmax and the cross-entropy loss on logits (course sections: Activations, Losses).

Checks: ``parity-check softmax exercises/softmax_cross_entropy.py:softmax`` and
``parity-check CrossEntropyLoss exercises/softmax_cross_entropy.py:CrossEntropyLoss``.

Inputs include logits near 800 and of ±1e4: exp of those overflows, so both need the
max-subtraction trick (softmax(z) = softmax(z - max z)), and the loss is best computed as
a log-softmax, never as log(softmax(z)).
"""

from __future__ import annotations

import numpy as np

from scratch.nn import Module


def softmax(z: np.ndarray, dim: int = -1) -> np.ndarray:
    """exp(z) / Σ exp(z) along axis ``dim``; same shape and dtype as z.

    Twin: ``torch.nn.functional.softmax(z, dim)``. Each slice along ``dim`` sums to 1.
    """
    raise NotImplementedError


class CrossEntropyLoss(Module):
    """Softmax + negative log-likelihood, on logits. Twin: ``torch.nn.CrossEntropyLoss``.

    Constructor (torch's names): ``reduction`` 'mean' | 'sum' | 'none';
    ``label_smoothing`` ε: the target distribution becomes (1 - ε)·target + ε/C;
    ``ignore_index``: a class-index target equal to it contributes nothing (and 'mean'
    divides by the targets not ignored). Leave out an argument you do not implement and the
    cases that need it are "not supported by your code" (listed; the exercise is judged on
    the others).
    """

    def __init__(self, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:  # fmt: skip
        super().__init__()
        raise NotImplementedError

    def forward(self, input: np.ndarray, target: np.ndarray):
        """The loss: a scalar for 'mean'/'sum', per-sample values for 'none'.

        ``input``: logits (N, C), or (N, C, d1, ...) with the classes on axis 1, in float32
        or float64. ``target``: class indices, int64 of shape (N,) (or (N, d1, ...)), or
        class probabilities of the input's shape. Keep what backward needs.
        """
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray | float = 1.0) -> np.ndarray:
        """d(loss)/d(input), times ``grad_output`` (the upstream gradient: a number for
        'mean'/'sum', an array of the loss's shape for 'none'); the input's shape.

        Hint: for one sample, d loss / d z = softmax(z) - target distribution (the course's
        dZ = A - Y); then the reduction's 1/N.
        """
        raise NotImplementedError
