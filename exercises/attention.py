"""Scaled dot-product attention, forward and backward (course section: Attention).

Check: ``parity-check scaled_dot_product_attention exercises/attention.py:scaled_dot_product_attention
--derivative exercises/attention.py:scaled_dot_product_attention_backward``.

Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev), any leading batch/head
axes, float32 or float64; the output is (..., L, Ev) in the same dtype.
"""

from __future__ import annotations

import numpy as np


def scaled_dot_product_attention(query: np.ndarray, key: np.ndarray, value: np.ndarray,
                                 attn_mask: np.ndarray | None = None, is_causal: bool = False,
                                 scale: float | None = None) -> np.ndarray:  # fmt: skip
    """softmax(scale·Q Kᵀ + bias) V. Twin: ``torch.nn.functional.scaled_dot_product_attention``.

    ``scale``: 1/√E when None. ``attn_mask``: boolean (True = this key takes part; a False
    score becomes -inf before the softmax), or float (added to the scores), broadcast to
    (..., L, S). ``is_causal``: query i sees keys 0..i only (the mask tril(ones(L, S)));
    torch refuses it together with attn_mask. Every row the checker uses keeps at least one
    key. Hint: the row softmax needs the max-subtraction trick.
    """
    raise NotImplementedError


def scaled_dot_product_attention_backward(grad_output: np.ndarray, query: np.ndarray,
                                          key: np.ndarray, value: np.ndarray,
                                          attn_mask: np.ndarray | None = None,
                                          is_causal: bool = False, scale: float | None = None):  # fmt: skip
    """(dQ, dK, dV) for the upstream gradient dO (..., L, Ev), the same inputs as the forward.

    With P = softmax(S), S = scale·Q Kᵀ + bias, O = P V:  dV = Pᵀ dO;  dP = dO Vᵀ;
    dS = P ⊙ (dP - rowsum(dP ⊙ P));  dQ = scale·dS K;  dK = scale·dSᵀ Q.
    """
    raise NotImplementedError
