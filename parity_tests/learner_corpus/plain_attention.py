"""Plain functions, right: scaled dot-product attention as a course writes it.

``attention(Q, K, V, mask=None) -> (output, weights)``: scores QKᵀ/√d with d the query's last
dimension, a boolean mask where True means "may attend", a max-shifted softmax over the keys.
"""

import numpy as np


def attention(Q, K, V, mask=None):
    d = Q.shape[-1]
    scores = np.matmul(Q, np.swapaxes(K, -1, -2)) / np.sqrt(d)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return np.matmul(weights, V), weights
