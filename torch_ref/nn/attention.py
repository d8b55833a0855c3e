"""Twin of scratch/nn/attention.py: torch's attention, and the reference formula of its docs.

``scaled_dot_product_attention`` and ``MultiheadAttention`` are torch's own. The reference
below is the implementation printed in torch's SDPA docstring, written with torch + autograd,
with one change: dropout takes an explicit keep-mask instead of torch's RNG, so the scratch
twin's dropout (NumPy RNG) can be proven against the same formula with the same mask.
"""

from __future__ import annotations

import math

import torch
from torch.nn import MultiheadAttention
from torch.nn.functional import scaled_dot_product_attention

__all__ = ["MultiheadAttention", "scaled_dot_product_attention", "sdpa_reference"]


def sdpa_reference(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    keep: torch.Tensor | None = None,
    enable_gqa: bool = False,
) -> torch.Tensor:
    """torch's documented SDPA formula; ``keep`` (bool, shape of the weights) replaces its RNG.
    ``enable_gqa``: key and value heads repeated to query's, as the docstring's formula does."""
    L, S = query.size(-2), key.size(-2)
    scale_factor = 1 / math.sqrt(query.size(-1)) if scale is None else scale
    attn_bias = torch.zeros(L, S, dtype=query.dtype)
    if is_causal:
        assert attn_mask is None
        temp_mask = torch.ones(L, S, dtype=torch.bool).tril(diagonal=0)
        attn_bias.masked_fill_(temp_mask.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            attn_bias = attn_bias.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            attn_bias = attn_mask + attn_bias
    if enable_gqa:
        key = key.repeat_interleave(query.size(-3) // key.size(-3), -3)
        value = value.repeat_interleave(query.size(-3) // value.size(-3), -3)
    attn_weight = query @ key.transpose(-2, -1) * scale_factor
    attn_weight = torch.softmax(attn_weight + attn_bias, dim=-1)
    if keep is not None:
        attn_weight = attn_weight * keep / (1 - dropout_p)
    return attn_weight @ value
