"""``backward(output_gradient, learning_rate)`` style, right: layers that update themselves.

``Dense(input_size, output_size)`` works on one sample as a column vector, x of shape
(input_size, 1): weights (output_size, input_size), bias (output_size, 1). ``LinearLayer``
is the (features, batch) layout: X of shape (n_in, m), one column per example, the bias
gradient summed over the batch. Both compute the input gradient with the weights of the
forward, then apply their own SGD step and return the input gradient.
"""

import numpy as np


class Dense:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size)
        self.bias = np.random.randn(output_size, 1)

    def forward(self, input):
        self.input = input
        return np.dot(self.weights, self.input) + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = np.dot(output_gradient, self.input.T)
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient
        return input_gradient


class LinearLayer:
    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_out, n_in) * np.sqrt(1.0 / n_in)
        self.b = np.zeros((n_out, 1))

    def forward(self, A_prev):
        self.A_prev = A_prev
        return self.W @ A_prev + self.b

    def backward(self, dZ, learning_rate):
        dW = dZ @ self.A_prev.T
        db = np.sum(dZ, axis=1, keepdims=True)
        dA_prev = self.W.T @ dZ
        self.W = self.W - learning_rate * dW
        self.b = self.b - learning_rate * db
        return dA_prev
