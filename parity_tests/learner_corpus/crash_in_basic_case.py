"""Course style (arrays ``W``/``b`` with ``dW``/``db``), wrong: a Linear whose forward always
raises.

The bias is stored as ``self.b`` and read as ``self.bias``: an AttributeError in every case,
the basic one (a 2-D batch) included. No case runs, so there is no verdict: a one-line
error naming the line, exit status 2.
"""

import numpy as np


class Linear:
    def __init__(self, in_features, out_features):
        self.W = np.random.randn(out_features, in_features) * 0.1
        self.b = np.zeros(out_features)

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.bias

    def backward(self, grad):
        self.dW = grad.T @ self.x
        self.db = grad.sum(axis=0)
        return grad @ self.W
