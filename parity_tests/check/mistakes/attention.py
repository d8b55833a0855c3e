"""Classic mistakes of attention: scores divided by d instead of √d, a causal mask that hides
the diagonal (each position may attend to itself: torch's mask is tril(ones(L, S)))."""

from __future__ import annotations

import numpy as np

import scratch.nn as snn
from parity_tests.check.mistakes.base import Mistake
from parity_tests.check.mistakes.inject import patched
from scratch.nn import attention

_attend = attention._attend  # scratch's, called by the variant while the module's is swapped


def _attend_scaled_by_d(q, k, v, bias, scale, *rest, **kwargs):
    return _attend(q, k, v, bias, scale * scale, *rest, **kwargs)  # MHA passes 1/√d: now 1/d


def _scaled_by_d(query, key, attn_mask, is_causal, scale):
    return attn_mask, is_causal, 1.0 / np.shape(query)[-1] if scale is None else scale


def _causal_hides_diagonal(query, key, attn_mask, is_causal, scale):
    if is_causal:  # tril(ones, -1): query i sees keys j < i only, and query 0 sees none
        L, S = np.shape(query)[-2], np.shape(key)[-2]
        return np.tril(np.ones((L, S), bool), -1), False, scale
    return attn_mask, is_causal, scale


def _sdpa_variant(wrong, name: str):
    """scratch's SDPA returning (output, weights), with the mask or scale ``wrong`` gives it,
    and its backward ``(grad_output, query, key, value, **the same keyword arguments)``."""

    def forward(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
        attn_mask, is_causal, scale = wrong(query, key, attn_mask, is_causal, scale)
        return attention.scaled_dot_product_attention_forward(
            query, key, value, attn_mask, dropout_p, is_causal, scale
        )

    def sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
        out, cache = forward(query, key, value, attn_mask, dropout_p, is_causal, scale)
        return out, cache[3].copy()  # the attention weights P

    def backward(grad_output, query, key, value, **kwargs):
        return attention.scaled_dot_product_attention_backward(grad_output, forward(query, key, value, **kwargs)[1])  # fmt: skip

    sdpa.__name__ = sdpa.__qualname__ = name
    return sdpa, backward


SCALED, SCALED_BACKWARD = _sdpa_variant(_scaled_by_d, "sdpa_scaled_by_d")
CAUSAL, CAUSAL_BACKWARD = _sdpa_variant(_causal_hides_diagonal, "sdpa_causal_hides_diagonal")

MISTAKES = [
    Mistake("attention-scaled-by-d", ("scaled_dot_product_attention", "MultiheadAttention"), "Attention",
            "your attention matches scores QKᵀ divided by d: torch divides by √d (scale = 1/√d, "
            "d the head's dimension: the query's last in SDPA, embed_dim / num_heads in "
            "MultiheadAttention), which keeps the scores' variance near 1",
            {"scaled_dot_product_attention": SCALED,
             "MultiheadAttention": patched(snn.MultiheadAttention, "MultiheadAttentionScaledByD", **{"scratch.nn.attention._attend": _attend_scaled_by_d})},
            SCALED_BACKWARD),  # the backward of the SDPA variant (MultiheadAttention has its own)
    Mistake("causal-mask-hides-diagonal", ("scaled_dot_product_attention",), "Attention",
            "your causal attention matches a mask that also hides the diagonal: torch's "
            "is_causal keeps tril(ones(L, S)), so position i attends to keys 0..i, itself included",
            CAUSAL, CAUSAL_BACKWARD),
]  # fmt: skip
