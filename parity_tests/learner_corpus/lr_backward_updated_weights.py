"""``backward(output_gradient, learning_rate)`` style, wrong: the input gradient is computed
with the weights AFTER this step's update.

Column-vector layer as in ``lr_backward_layers.Dense``, but ``self.weights`` is updated
first and ``input_gradient = weights.T @ output_gradient`` reads the new weights: off by
-lr·(dW)ᵀ·g, small for a small lr but not torch's (autograd uses the forward's weights).
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
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient
        return np.dot(self.weights.T, output_gradient)
