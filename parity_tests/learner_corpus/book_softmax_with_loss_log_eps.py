"""Deep Learning from Scratch style, wrong: ``+ 1e-7`` inside the log of the cross-entropy.

``-sum(log(y[t] + 1e-7)) / N`` with y = softmax(x): off by about 1e-7/y everywhere (beyond
float64's tolerance) and capped at -log(1e-7) ≈ 16.1 where torch's log-softmax gives 2e4
(logits 1e4 apart). The gradient (y - one_hot)·dout/N is right.
"""

import numpy as np
from book_util import softmax


class SoftmaxWithLoss:
    def __init__(self):
        self.y, self.t = None, None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        batch_size = x.shape[0]
        return -np.sum(np.log(self.y[np.arange(batch_size), t] + 1e-7)) / batch_size

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx * dout / batch_size
