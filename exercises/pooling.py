"""Max pooling with a hand-written backward (course section: Convolutions).

Check: ``parity-check MaxPool2d exercises/pooling.py:MaxPool2d``.

The checker's inputs have no ties inside a window, so the argmax is unambiguous.
"""

from __future__ import annotations

import numpy as np

from scratch.nn import Module


class MaxPool2d(Module):
    """Twin: ``torch.nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1,
    ceil_mode=False)``; ``stride`` None means the kernel size; each size an int or a pair.

    Padding counts as -inf (it never wins). Output size per axis: floor((I + 2P - D·(K - 1)
    - 1) / S) + 1 (ceil instead of floor with ``ceil_mode``, but a window may not start in
    the right/bottom padding).
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 ceil_mode: bool = False) -> None:  # fmt: skip
        super().__init__()
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, C, H, W) -> (N, C, OH, OW): each window's max. Remember where it was."""
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dx: each output's gradient goes to its window's argmax only (added, where
        windows overlap); every other element gets 0."""
        raise NotImplementedError
