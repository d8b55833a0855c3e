"""CS231n style, wrong: the loss is the log of a computed softmax, not a log-softmax.

The softmax is shifted by the max (it never overflows), but a probability that underflows to
0 (logits 1e4 apart) gives log(0) = -inf and an infinite loss where torch's log-softmax gives
a finite 2e4. The gradient is right.
"""

import numpy as np


def softmax_loss(x, y):
    exps = np.exp(x - x.max(axis=1, keepdims=True))
    probs = exps / exps.sum(axis=1, keepdims=True)
    N = x.shape[0]
    with np.errstate(divide="ignore"):
        loss = -np.log(probs[np.arange(N), y]).sum() / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
