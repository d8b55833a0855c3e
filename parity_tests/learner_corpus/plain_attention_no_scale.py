"""Plain functions, wrong: attention without the 1/√d scale.

Scores are QKᵀ, not QKᵀ/√d: the softmax is sharper than torch's by a factor √d in the
exponent. Otherwise as ``plain_attention.attention``.
"""

import numpy as np


def attention(Q, K, V, mask=None):
    scores = np.matmul(Q, np.swapaxes(K, -1, -2))
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return np.matmul(weights, V), weights
