"""Classic mistakes of attention: scores divided by d instead of √d, or not scaled at all, a
causal mask that hides the diagonal (each position may attend to itself: torch's mask is
tril(ones(L, S))), and the softmax taken over the queries instead of the keys."""

from __future__ import annotations

from unittest import mock

import numpy as np

import scratch.nn as snn
from parity_check.mistakes.base import Mistake
from parity_check.mistakes.inject import patched
from scratch.nn import attention

_attend = attention._attend  # scratch's, called by the variant while the module's is swapped
ATTEND = "scratch.nn.attention._attend"


def _attend_scaled_by_d(q, k, v, bias, scale, *rest, **kwargs):
    return _attend(q, k, v, bias, scale * scale, *rest, **kwargs)  # MHA passes 1/√d: now 1/d


def _attend_unscaled(q, k, v, bias, scale, *rest, **kwargs):
    return _attend(q, k, v, bias, 1.0, *rest, **kwargs)  # MHA passes 1/√d: now 1


def _attend_over_queries(q, k, v, bias, scale, dropout_p=0.0, generator=None, safe=True):
    """``_attend`` (no dropout) with P = softmax(S) over the queries (axis -2): each key's
    column sums to 1 instead of each query's row; a column every query is blocked from is 0."""
    q_scaled = q * np.asarray(scale, dtype=q.dtype)
    S = np.matmul(q_scaled, np.swapaxes(k, -1, -2))
    if bias is not None:
        S = S + bias
    top = S.max(axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.exp(S - np.where(np.isfinite(top), top, 0))
        total = e.sum(axis=-2, keepdims=True)
        P = np.where(total > 0, e / total, 0).astype(q.dtype)
    out = np.matmul(P, v)
    return out, (q_scaled, k, v, P, P, None, 0.0, scale, out)


def _attend_over_queries_backward(dout, cache):
    q_scaled, k, v, P = cache[:4]  # SDPA appends how to undo a broadcast: not needed here
    scale = cache[7]
    dv = np.matmul(np.swapaxes(P, -1, -2), dout)
    dP = np.matmul(dout, np.swapaxes(v, -1, -2))
    dS = P * (dP - (dP * P).sum(axis=-2, keepdims=True))  # the softmax's Jacobian, over queries
    dq = np.matmul(dS, k) * np.asarray(scale, dtype=dS.dtype)
    return dq, np.matmul(np.swapaxes(dS, -1, -2), q_scaled), dv


OVER_QUERIES = {ATTEND: _attend_over_queries, "scratch.nn.attention._attend_backward": _attend_over_queries_backward}  # fmt: skip


def _sdpa_over_queries():
    def forward(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
        with mock.patch(ATTEND, _attend_over_queries):
            return attention.scaled_dot_product_attention_forward(
                query, key, value, attn_mask, dropout_p, is_causal, scale
            )

    def sdpa_softmax_over_queries(query, key, value, attn_mask=None, dropout_p=0.0,
                                  is_causal=False, scale=None):  # fmt: skip
        out, cache = forward(query, key, value, attn_mask, dropout_p, is_causal, scale)
        return out, cache[3].copy()

    def backward(grad_output, query, key, value, **kwargs):
        return _attend_over_queries_backward(grad_output, forward(query, key, value, **kwargs)[1])  # fmt: skip

    return sdpa_softmax_over_queries, backward


def _unscaled(query, key, attn_mask, is_causal, scale):
    return attn_mask, is_causal, 1.0 if scale is None else scale


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
UNSCALED, UNSCALED_BACKWARD = _sdpa_variant(_unscaled, "sdpa_unscaled")
OVER_QUERIES_SDPA, OVER_QUERIES_BACKWARD = _sdpa_over_queries()
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
    Mistake("attention-without-scale", ("scaled_dot_product_attention", "MultiheadAttention"), "Attention",
            "your attention matches scores QKᵀ not scaled at all: torch multiplies them by "
            "1/√d (d the head's dimension), which keeps their variance near 1 and the softmax "
            "out of saturation",
            {"scaled_dot_product_attention": UNSCALED,
             "MultiheadAttention": patched(snn.MultiheadAttention, "MultiheadAttentionUnscaled", **{ATTEND: _attend_unscaled})},
            UNSCALED_BACKWARD),
    Mistake("attention-softmax-over-queries", ("scaled_dot_product_attention", "MultiheadAttention"), "Attention",
            "your attention weights sum to 1 over the queries (the softmax over axis -2, each key's "
            "column): torch's softmax runs over the keys (the last axis), so each query's row of "
            "weights sums to 1",
            {"scaled_dot_product_attention": OVER_QUERIES_SDPA,
             "MultiheadAttention": patched(snn.MultiheadAttention, "MultiheadAttentionSoftmaxOverQueries", **OVER_QUERIES)},
            OVER_QUERIES_BACKWARD),
]  # fmt: skip
