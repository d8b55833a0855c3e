"""``backward(dZ, learning_rate)`` style in the (features, batch) layout, wrong: the parameter
gradients are averaged over the batch.

dW = (1/m)·dZ·Xᵀ and db = (1/m)·Σ dZ, as a course that puts the loss's 1/m in every layer
writes them. Given the gradient of a loss that already averaged (torch's convention: the
layer only applies the chain rule), both are 1/m times torch's; the input gradient is right.
"""

import numpy as np


class LinearLayer:
    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_out, n_in) * 0.01
        self.b = np.zeros((n_out, 1))

    def forward(self, A_prev):
        self.A_prev = A_prev
        return np.dot(self.W, A_prev) + self.b

    def backward(self, dZ, learning_rate):
        m = self.A_prev.shape[1]
        dW = np.dot(dZ, self.A_prev.T) / m
        db = np.sum(dZ, axis=1, keepdims=True) / m
        dA_prev = np.dot(self.W.T, dZ)
        self.W -= learning_rate * dW
        self.b -= learning_rate * db
        return dA_prev
