"""Attention: scaled dot-product attention (forward, backward) and MultiheadAttention.

Twin: ``torch.nn.functional.scaled_dot_product_attention`` and ``torch.nn.MultiheadAttention``
(torch_ref/nn/attention.py); proof: parity_tests/test_attention.py.

The three lines of attention, and the chain rule back through them::

    S = scale · Q Kᵀ + B     B: additive mask bias (−inf where a key is blocked)
    P = softmax(S)           along the keys (last axis)
    O = P V

    dV = Pᵀ dO    dP = dO Vᵀ    dS = P ⊙ (dP − Σ_keys dP ⊙ P)    dQ = scale · dS K    dK = scale · dSᵀ Q

**The mask trap.** A *boolean* mask means opposite things in the two torch APIs, and scratch
follows each: in ``scaled_dot_product_attention`` True = the key *takes part*; in
``MultiheadAttention`` (``attn_mask`` and ``key_padding_mask``) True = the key is *blocked*.
Float masks are added to S in both.

**Rows that block every key** (measured with torch 2.14.1, mirrored here):
``scaled_dot_product_attention`` returns 0 for such a row, with zero gradients (torch's "safe
softmax"); ``MultiheadAttention`` returns NaN for the row when ``need_weights=True`` (it takes
an explicit softmax of all −inf) and 0 when ``need_weights=False`` (it calls SDPA). Torch's
inference fast path (eval, no grad, self-attention) gives NaN even with ``need_weights=False``;
scratch has no fast path and keeps the 0.

**Dropout** on the attention weights is implemented with a ``numpy.random.Generator``: the
arithmetic is torch's (keep with probability 1 − p, scale by 1/(1 − p)) but the random mask
cannot be torch's, so dropout is proven against torch's reference formula fed the same mask.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from scratch._checks import (
    as_float_array,
    check_positive_int,
    check_probability,
    check_same_dtype,
    factory_dtype,
)
from scratch.nn._broadcast import check_mask_dtype, sdpa_bias, sdpa_shapes, sdpa_unbroadcast
from scratch.nn.linear import Linear
from scratch.nn.module import Module, Parameter


def _as_arrays(query: object, key: object, value: object) -> tuple[np.ndarray, ...]:
    return tuple(
        as_float_array(a, n) for a, n in ((query, "query"), (key, "key"), (value, "value"))
    )


def _check_qkv(query: object, key: object, value: object, enable_gqa: bool = False):
    """SDPA's inputs: float arrays of one dtype, ``enable_gqa`` a bool; shapes as
    ``_broadcast.sdpa_shapes`` (broadcast batch dims) checks and broadcasts them."""
    q, k, v = _as_arrays(query, key, value)
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"query, key, value dtypes differ: {q.dtype}, {k.dtype}, {v.dtype}")
    if not isinstance(enable_gqa, (bool, np.bool_)):  # torch: "must be bool, not int"
        raise TypeError(f"enable_gqa must be a bool, got {enable_gqa!r}")
    return sdpa_shapes(q, k, v, bool(enable_gqa))


def _softmax_(S: np.ndarray, safe: bool) -> np.ndarray:
    """Softmax along the last axis, in place. ``safe``: a row of all −inf gives 0, not NaN.
    No key at all (S = 0) gives empty weights, and so a zero output, as torch's."""
    if S.shape[-1] == 0:
        return S
    m = S.max(axis=-1, keepdims=True)
    if safe:
        m[np.isneginf(m)] = 0  # exp(−inf − 0) = 0 rather than exp(NaN)
    with np.errstate(invalid="ignore"):  # unsafe all-blocked rows: −inf − (−inf) = NaN, as torch
        S -= m
    np.exp(S, out=S)
    total = S.sum(axis=-1, keepdims=True)
    if safe:
        total[total == 0] = 1  # the all-blocked row stays 0
    S /= total
    return S


def _attend(q, k, v, bias, scale, dropout_p, generator, safe):
    """The core: O = dropout(softmax(scale·QKᵀ + B)) V on (..., L, E) arrays, and its cache."""
    q_scaled = q * np.asarray(scale, dtype=q.dtype)  # L·E multiplies, not L·S
    S = np.matmul(q_scaled, np.swapaxes(k, -1, -2))
    if bias is not None:
        S += bias
    P = _softmax_(S, safe)  # in place: S's memory now holds P
    keep = None
    P_drop = P
    if dropout_p > 0:
        rng = generator if generator is not None else np.random.default_rng()
        keep = rng.random(P.shape) >= dropout_p
        factor = 0.0 if dropout_p == 1 else 1.0 / (1.0 - dropout_p)
        P_drop = P * (keep * np.asarray(factor, dtype=P.dtype))
    out = np.matmul(P_drop, v)
    return out, (q_scaled, k, v, P, P_drop, keep, dropout_p, scale, out)


def _attend_backward(dout, cache):
    q_scaled, k, v, P, P_drop, keep, dropout_p, scale, out = cache
    dv = np.matmul(np.swapaxes(P_drop, -1, -2), dout)  # dV = P_dropᵀ dO
    dP = np.matmul(dout, np.swapaxes(v, -1, -2))  # dP = dO Vᵀ
    if keep is not None:
        dP *= keep * np.asarray(0.0 if dropout_p == 1 else 1.0 / (1.0 - dropout_p), dP.dtype)
    # Σ_keys dP ⊙ P equals Σ_features dO ⊙ O (O = P_drop V): an (L, Ev) product, not (L, S).
    dP -= (dout * out).sum(axis=-1, keepdims=True)
    dS = np.multiply(dP, P, out=dP)  # dS = P ⊙ (dP − Σ dP ⊙ P), in dP's memory
    dq = np.matmul(dS, k)
    dq *= np.asarray(scale, dtype=dq.dtype)  # dQ = scale · dS K
    dk = np.matmul(np.swapaxes(dS, -1, -2), q_scaled)  # dK = dSᵀ (scale · Q)
    return dq, dk, dv


def scaled_dot_product_attention_forward(
    query: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    attn_mask: np.ndarray | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    generator: np.random.Generator | None = None,
) -> tuple[np.ndarray, tuple]:
    """``scaled_dot_product_attention`` that also returns the cache its backward needs.

    ``attn_mask``: bool (True = attend, SDPA's convention) or float (added), broadcastable
    to (..., L, S). ``is_causal``: the mask ``tril(ones(L, S))``; then ``attn_mask`` must be
    None. ``scale`` defaults to 1/√E. ``dropout_p`` > 0 drops attention weights with
    ``generator`` (always, as torch does: pass 0 in eval). Rows with no allowed key give 0.
    The batch dims of query, key and value broadcast, as torch's. ``enable_gqa``
    (grouped-query attention): key and value may have fewer heads (axis -3) than query, a
    divisor of its count; each is repeated (``repeat_interleave``) to query's.
    The cache's first nine entries are the attention's (``cache[3]`` is the weights P); the
    last says how to sum the gradients back to the inputs' shapes.
    """
    q, k, v, undo = _check_qkv(query, key, value, enable_gqa)
    dropout_p = check_probability(dropout_p, "dropout_p")
    bias = sdpa_bias(attn_mask, bool(is_causal), q, k.shape[-2])
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    out, cache = _attend(q, k, v, bias, scale, dropout_p, generator, safe=True)
    return out, (*cache, undo)


def scaled_dot_product_attention_backward(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dQ, dK, dV) from d(loss)/d(out) and the cache of ``scaled_dot_product_attention_forward``;
    each summed over the batch dims (and repeated heads) its input was broadcast along."""
    *attention, undo = cache
    return sdpa_unbroadcast(_attend_backward(dout, attention), undo)


def scaled_dot_product_attention(
    query: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    attn_mask: np.ndarray | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    generator: np.random.Generator | None = None,
) -> np.ndarray:
    """``torch.nn.functional.scaled_dot_product_attention`` (see the ``_forward`` variant)."""
    return scaled_dot_product_attention_forward(
        query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, generator=generator
    )[0]


def _mha_mask(mask: object, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """MHA's mask as an additive bias: bool True = *blocked* (−inf), float added."""
    mask = check_mask_dtype(mask, name)
    if mask.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {mask.shape}")
    if mask.dtype == np.bool_:
        return np.where(mask, -np.inf, 0.0).astype(dtype)
    return mask.astype(dtype, copy=False)


class MultiheadAttention(Module):
    """``torch.nn.MultiheadAttention`` with torch's signature, parameter names and init.

    ``in_proj_weight`` (3E, E) stacks W_q, W_k, W_v; ``out_proj`` is a Linear, so the
    state_dict keys are torch's. Supported: kdim = vdim = embed_dim, no bias_k/bias_v, no
    zero attention. ``batch_first`` defaults to False, as in torch. Masks use MHA's convention
    (bool True = blocked), the opposite of ``scaled_dot_product_attention``'s. ``is_causal``
    is only a hint that ``attn_mask`` is causal (torch requires the mask too); scratch always
    applies the mask given. Torch, with ``need_weights=False`` and no ``key_padding_mask``,
    drops ``attn_mask`` and applies ``tril(ones(L, S))`` instead, so a hint that lies gives
    different answers there (the tests only give true hints). ``backward(grad_output)`` takes
    d(loss)/d(output) (the returned weights are treated as a side output) and returns
    (d query, d key, d value); self-attention callers add the three.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        *,
        device: object = None,
        dtype: type = np.float32,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        dtype = factory_dtype(device, dtype)
        E = self.embed_dim = check_positive_int(embed_dim, "embed_dim")
        self.num_heads = check_positive_int(num_heads, "num_heads")
        if E % num_heads:
            raise ValueError(f"embed_dim ({E}) must be divisible by num_heads ({num_heads})")
        for name, dim in (("kdim", kdim), ("vdim", vdim)):
            if dim is not None and dim != E:
                raise ValueError(f"{name} other than embed_dim ({E}) is not supported, got {dim}")
        if add_bias_kv or add_zero_attn:
            raise ValueError("add_bias_kv and add_zero_attn are not supported (must be False)")
        self.head_dim = E // num_heads
        if not isinstance(dropout, numbers.Real):  # torch checks it only where it is used
            raise TypeError(f"dropout must be a number, got {dropout!r}")
        self.dropout = dropout
        self.batch_first = bool(batch_first)
        self.generator = generator if generator is not None else np.random.default_rng()
        # torch: xavier_uniform_ on the whole (3E, E) matrix, zero biases; out_proj keeps
        # Linear's U(±1/√E) weight and gets a zero bias.
        bound = math.sqrt(6.0 / (E + 3 * E))
        w = self.generator.uniform(-bound, bound, (3 * E, E))
        self.in_proj_weight = Parameter(w.astype(dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype)) if bias else None
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype, generator=self.generator)
        if bias:
            self.out_proj.bias.data[:] = 0

    def _inputs(self, query, key, value):
        """Check and bring q/k/v to batch-first (N, L, E); returns them and ``batched``."""
        q, k, v = _as_arrays(query, key, value)
        for x, name in ((q, "query"), (k, "key"), (v, "value")):
            check_same_dtype(x, name, self.in_proj_weight.dtype, "MultiheadAttention")
            if x.ndim not in (2, 3) or x.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"{name} must have shape (N, L, {self.embed_dim}) or (L, {self.embed_dim}), "
                    f"got {x.shape}"
                )
        if not q.ndim == k.ndim == v.ndim:
            raise ValueError(f"query, key, value must have the same rank, got {q.shape}, "
                             f"{k.shape}, {v.shape}")  # fmt: skip
        batched = q.ndim == 3
        if not batched:
            q, k, v = q[None], k[None], v[None]
        elif not self.batch_first:
            q, k, v = (np.swapaxes(x, 0, 1) for x in (q, k, v))
        if q.shape[0] != k.shape[0] or k.shape[:2] != v.shape[:2]:
            raise ValueError(
                f"query (N, L, E), key and value (N, S, E) must agree on N and S, got batch-first "
                f"shapes {q.shape}, {k.shape}, {v.shape}"
            )
        return q, k, v, batched

    def _bias(self, attn_mask, key_padding_mask, N, L, S, dtype, batched):
        H = self.num_heads
        bias = None
        if attn_mask is not None:
            three_d = (N * H, L, S) if batched else (H, L, S)
            shape = three_d if np.ndim(attn_mask) == 3 else (L, S)
            bias = _mha_mask(attn_mask, "attn_mask", shape, dtype)
            bias = bias.reshape(N, H, L, S) if bias.ndim == 3 else bias
        if key_padding_mask is not None:
            shape = (N, S) if batched else (S,)
            kpm = _mha_mask(key_padding_mask, "key_padding_mask", shape, dtype)
            kpm = kpm.reshape(N, 1, 1, S)
            bias = kpm if bias is None else bias + kpm
        return bias

    def _dropout_p(self, need_weights: bool) -> float:
        """The dropout torch applies, refused where torch refuses it: none in eval (any value
        goes); with need_weights, F.dropout only if p > 0, so p must be ≤ 1 (< 0 and NaN
        drop nothing); without, scaled_dot_product_attention, so p must be in [0, 1]."""
        p = self.dropout
        if not self.training:
            return 0.0
        if not need_weights:
            return check_probability(p, "dropout (in training, with need_weights=False)")
        if p > 1:
            raise ValueError(f"dropout must be at most 1 in training, got {p!r}")
        return float(p) if p > 0 else 0.0

    def forward(
        self,
        query: np.ndarray,
        key: np.ndarray,
        value: np.ndarray,
        key_padding_mask: np.ndarray | None = None,
        need_weights: bool = True,
        attn_mask: np.ndarray | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        q_in, k_in, v_in, batched = self._inputs(query, key, value)
        if is_causal and attn_mask is None:
            raise ValueError("is_causal=True needs attn_mask too (torch's rule): it is only a hint")
        (N, L, E), S, H, D = q_in.shape, k_in.shape[1], self.num_heads, self.head_dim
        bias = self._bias(attn_mask, key_padding_mask, N, L, S, q_in.dtype, batched)
        # Projections as 2-D (N·L, E) products: one BLAS call each, where a 3-D @ 2-D
        # np.matmul would loop over the batch.
        W, b = self.in_proj_weight.data, self.in_proj_bias
        if query is key and key is value:  # self-attention: one (N·L, E) × (E, 3E) product
            qkv = q_in.reshape(-1, E) @ W.T
            if b is not None:
                qkv += b.data
            q, k, v = np.split(qkv, 3, axis=-1)
        else:
            W_q, W_k, W_v = np.split(W, 3)
            q, k, v = (x.reshape(-1, E) @ w.T for x, w in ((q_in, W_q), (k_in, W_k), (v_in, W_v)))
            if b is not None:
                b_q, b_k, b_v = np.split(b.data, 3)
                q, k, v = q + b_q, k + b_k, v + b_v
        # (N, L, E) -> (N, H, L, D): heads become a batch axis for np.matmul
        # (lengths spelled out, not -1: an empty batch leaves -1 undetermined)
        q, k, v = (x.reshape(N, n, H, D).transpose(0, 2, 1, 3) for x, n in ((q, L), (k, S), (v, S)))
        p = self._dropout_p(need_weights)
        heads, attn_cache = _attend(q, k, v, bias, 1.0 / math.sqrt(D), p, self.generator,
                                    safe=not need_weights)  # fmt: skip
        concat = heads.transpose(0, 2, 1, 3).reshape(N * L, E)
        out = self.out_proj(concat).reshape(N, L, E)
        self._cache = (q_in, k_in, v_in, attn_cache, batched)
        weights = None
        if need_weights:
            weights = attn_cache[4]  # after dropout, as torch returns them
            weights = weights.mean(axis=1) if average_attn_weights else weights.copy()
            weights = weights if batched else weights[0]
        if not batched:
            out = out[0]
        elif not self.batch_first:
            out = np.swapaxes(out, 0, 1)
        return out, weights

    def backward(self, grad_output: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        q_in, k_in, v_in, attn_cache, batched = self.saved()
        dout = grad_output[None] if not batched else grad_output
        if batched and not self.batch_first:
            dout = np.swapaxes(dout, 0, 1)
        N, L, E = q_in.shape
        dconcat = self.out_proj.backward(dout.reshape(N * L, E))
        dheads = dconcat.reshape(N, L, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)
        d_qkv = _attend_backward(dheads, attn_cache)
        # (N, H, L, D) -> (N·L, E) for each of dq, dk, dv
        dq, dk, dv = (d.transpose(0, 2, 1, 3).reshape(-1, E) for d in d_qkv)
        pairs = ((dq, q_in), (dk, k_in), (dv, v_in))
        dW = [d.T @ x.reshape(-1, E) for d, x in pairs]  # dW_q = dQᵀ X_q, ...
        self.in_proj_weight.accumulate(np.concatenate(dW))
        if self.in_proj_bias is not None:
            self.in_proj_bias.accumulate(np.concatenate([d.sum(axis=0) for d in (dq, dk, dv)]))
        W_q, W_k, W_v = np.split(self.in_proj_weight.data, 3)
        grads = tuple((d @ w).reshape(x.shape) for d, w, x in ((dq, W_q, q_in), (dk, W_k, k_in), (dv, W_v, v_in)))  # fmt: skip
        if not batched:
            return tuple(g[0] for g in grads)
        if not self.batch_first:
            return tuple(np.swapaxes(g, 0, 1) for g in grads)
        return grads

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"
