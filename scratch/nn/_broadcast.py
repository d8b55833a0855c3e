"""Broadcasting forward and its undoing backward: ``sum_to``, and SDPA's batch, head and mask
rules.

No twin: torch broadcasts inside its kernels and autograd sums the gradients back. The rule
of the backward is always the same: a gradient is summed over every axis its input was
stretched along (or repeated along), so that it gets the input's shape back.
"""

from __future__ import annotations

import numpy as np


def sum_to(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo a broadcast: sum ``grad`` over the axes that broadcasting added or stretched."""
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead))) if lead else grad
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def _repeat_heads(x: np.ndarray, heads: int, name: str) -> tuple[np.ndarray, int]:
    """GQA: repeat x's heads (axis -3) until there are ``heads``, torch's repeat_interleave."""
    if x.ndim < 3:
        raise ValueError(f"enable_gqa=True needs a heads axis (-3): {name} must be at least 3-D, "
                         f"got shape {x.shape}")  # fmt: skip
    h = x.shape[-3]
    if h == heads:
        return x, 1
    if h == 0 or heads % h:
        raise ValueError(f"enable_gqa=True: the number of heads in {name} ({h}) must divide the "
                         f"number of heads in query ({heads})")  # fmt: skip
    return np.repeat(x, heads // h, axis=-3), heads // h


def sdpa_shapes(q: np.ndarray, k: np.ndarray, v: np.ndarray, enable_gqa: bool):
    """SDPA's shapes (..., L, E), (..., S, E), (..., S, Ev), and its batch dims, torch's rules: with ``enable_gqa`` key and value heads (axis -3) are
    first repeated to query's (each count must divide query's); then the batch dims of the
    three broadcast together. Returns the three arrays broadcast (views) and what
    ``sdpa_unbroadcast`` needs to give each gradient its input's shape back."""
    shapes = (q.shape, k.shape, v.shape)
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(f"query, key and value must be at least 2-D, got shapes {shapes}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"need query (..., L, E), key (..., S, E), value (..., S, Ev); got "
                         f"shapes {shapes}")  # fmt: skip
    repeats = (1, 1)
    if enable_gqa:
        heads = q.shape[-3] if q.ndim >= 3 else None
        if heads is None:
            raise ValueError(f"enable_gqa=True needs a heads axis (-3): query must be at least "
                             f"3-D, got shape {q.shape}")  # fmt: skip
        (k, rk), (v, rv) = _repeat_heads(k, heads, "key"), _repeat_heads(v, heads, "value")
        repeats = (rk, rv)
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"the batch dims of query, key and value must broadcast together, got "
                         f"shapes {q.shape}, {k.shape}, {v.shape}") from None  # fmt: skip
    q, k, v = (np.broadcast_to(x, batch + x.shape[-2:]) for x in (q, k, v))
    return q, k, v, (shapes, repeats)


def sdpa_unbroadcast(grads: tuple[np.ndarray, ...], undo) -> tuple[np.ndarray, ...]:
    """(dq, dk, dv) of the broadcast arrays → of the inputs: summed over the broadcast axes,
    then over each group of repeated heads (the backward of repeat_interleave)."""
    (q_shape, k_shape, v_shape), (rk, rv) = undo
    dq, dk, dv = grads
    out = [sum_to(dq, q_shape)]
    for g, shape, r in ((dk, k_shape, rk), (dv, v_shape, rv)):
        repeated = shape[:-3] + (shape[-3] * r,) + shape[-2:] if r > 1 else shape
        g = sum_to(g, repeated)
        if r > 1:  # heads h·r .. h·r + r - 1 were copies of head h
            g = g.reshape(g.shape[:-3] + (shape[-3], r) + g.shape[-2:]).sum(axis=-3)
        out.append(g)
    return tuple(np.ascontiguousarray(g) for g in out)


def check_mask_dtype(mask: object, name: str) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise TypeError(f"{name} must be a bool or float array, got dtype {mask.dtype}")
    return mask


def sdpa_bias(attn_mask: object, is_causal: bool, q: np.ndarray, S: int) -> np.ndarray | None:
    """SDPA's mask as an additive bias: bool True = attend (0), False = blocked (−inf)."""
    L = q.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise ValueError("attn_mask must be None when is_causal=True (torch's rule)")
        attn_mask = np.tril(np.ones((L, S), dtype=bool))  # torch.ones(L, S).tril(diagonal=0)
    if attn_mask is None:
        return None
    mask = check_mask_dtype(attn_mask, "attn_mask")
    scores = q.shape[:-2] + (L, S)
    try:  # torch adds the mask into the scores in place: it may not add batch dims of its own
        ok = np.broadcast_shapes(mask.shape, scores) == scores
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"attn_mask of shape {mask.shape} does not broadcast to (..., L, S) = {scores}"
        )
    if mask.dtype == np.bool_:
        return np.where(mask, 0.0, -np.inf).astype(q.dtype)
    return mask.astype(q.dtype, copy=False)
