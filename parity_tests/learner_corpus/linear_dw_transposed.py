"""Course style (arrays ``W``/``b`` with ``dW``/``db``), wrong: Linear's weight gradient is
transposed.

W is kept in torch's layout (out_features, in_features) and the forward is x·Wᵀ + b, but
the backward computes dW = xᵀ·grad, which is (in, out): the gradient of the OTHER layout.
torch's is gradᵀ·x, (out, in). The input and bias gradients are right.
"""

import numpy as np


class Linear:
    def __init__(self, in_features, out_features):
        self.W = np.random.randn(out_features, in_features) * 0.1
        self.b = np.zeros(out_features)

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, grad):
        self.dW = self.x.T @ grad
        self.db = grad.sum(axis=0)
        return grad @ self.W
