"""Deep Learning from Scratch style, wrong: ``backward(dout=1)`` ignores dout.

The loss is a right log-softmax cross-entropy, and the gradient is (y - one_hot)/N, but it is
never multiplied by the upstream gradient: right only when the loss is the last node and
dout = 1.
"""

import numpy as np
from book_util import softmax


class SoftmaxWithLoss:
    def __init__(self):
        self.y, self.t = None, None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        shifted = x - x.max(axis=1, keepdims=True)
        log_y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -np.mean(log_y[np.arange(x.shape[0]), t])

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx / batch_size
