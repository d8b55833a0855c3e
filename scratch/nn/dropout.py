"""Inverted dropout: zero each element with probability p, scale the survivors by 1/(1-p).

Twin: ``torch.nn.Dropout`` / ``torch.nn.functional.dropout`` (torch_ref/nn/dropout.py).

"Inverted" means the scaling happens at training time, so ``E[dropout(x)] = x`` and eval mode
is the identity: nothing to rescale at test time. (The original paper scaled the weights by
``1-p`` at test time instead; torch, and therefore scratch, scale during training.)

The mask is drawn from a ``numpy.random.Generator`` (``generator=``) or given explicitly
(``mask=``): a parity test feeds scratch the very mask torch drew, so the two outputs and
gradients must then agree exactly, while the randomness itself is tested statistically.
"""

from __future__ import annotations

import numpy as np

from scratch._checks import as_float_array, check_probability
from scratch.nn.module import Module

__all__ = ["Dropout", "dropout"]


def _keep_mask(
    shape: tuple[int, ...], p: float, generator: np.random.Generator | None = None
) -> np.ndarray:
    """A boolean keep-mask: each entry is True (kept) with probability ``1 - p``."""
    p = check_probability(p, "p")
    rng = generator if generator is not None else np.random.default_rng()
    return rng.random(shape) >= p  # P(u >= p) = 1 - p for u ~ U[0, 1)


def _scaled_mask(mask: np.ndarray, p: float, dtype: np.dtype) -> np.ndarray:
    """``mask / (1-p)`` in the input's dtype; torch also multiplies by this "noise" tensor."""
    if p == 1.0:
        return np.zeros(mask.shape, dtype)  # every unit dropped; avoid 0/0
    return mask.astype(dtype) / np.asarray(1.0 - p, dtype=dtype)


def dropout(
    x: np.ndarray,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    mask: np.ndarray | None = None,
    generator: np.random.Generator | None = None,
) -> np.ndarray:
    """``torch.nn.functional.dropout``: ``x * mask / (1-p)`` in training, ``x`` in eval.
    ``inplace=True`` writes the result into ``x`` (a writeable array) and returns it."""
    x = as_float_array(x, "input")
    p = check_probability(p, "p")
    if not training or p == 0.0:
        return x
    scale = _scaled_mask(_check_mask(mask, x.shape, p, generator), p, x.dtype)
    return _times(x, scale, inplace)


def _times(x: np.ndarray, scale: np.ndarray, inplace: bool) -> np.ndarray:
    """x · scale, into x when ``inplace`` (torch's ``input.mul_(noise)``)."""
    if not inplace:
        return x * scale
    if not x.flags.writeable:
        raise TypeError("inplace=True needs a writeable input array")
    return np.multiply(x, scale, out=x)


def _check_mask(
    mask: np.ndarray | None, shape: tuple[int, ...], p: float, generator: np.random.Generator | None
) -> np.ndarray:
    if mask is None:
        return _keep_mask(shape, p, generator)
    mask = np.asarray(mask)
    if mask.shape != shape:
        raise ValueError(f"mask must have the input's shape {shape}, got {mask.shape}")
    if not np.isin(mask, (0, 1)).all():
        raise ValueError("mask must contain only 0/1 (or False/True) values")
    return mask.astype(bool)


class Dropout(Module):
    """``torch.nn.Dropout(p, inplace)``; ``generator=`` makes the masks reproducible."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 generator: np.random.Generator | None = None) -> None:  # fmt: skip
        super().__init__()
        self.p = check_probability(p, "p")
        self.inplace = bool(inplace)
        self.generator = generator if generator is not None else np.random.default_rng()

    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """``mask`` (optional) is the keep-mask to use instead of a fresh random one."""
        x = as_float_array(x, "input")
        if not self.training or self.p == 0.0:
            self._cache = (None,)  # identity: backward passes the gradient straight through
            return x
        keep = _check_mask(mask, x.shape, self.p, self.generator)
        scale = _scaled_mask(keep, self.p, x.dtype)
        self._cache = (scale,)
        return _times(x, scale, self.inplace)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        (scale,) = self.saved()
        if scale is None:
            return grad_output
        return grad_output * scale  # d(x·s)/dx = s: the same mask, the same 1/(1-p)

    def extra_repr(self) -> str:
        return f"p={self.p}"
