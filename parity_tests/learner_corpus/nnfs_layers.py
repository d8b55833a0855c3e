"""nnfs style ("Neural Networks from Scratch"), right: forward/backward return None.

Results are stored on the object: ``self.output`` after forward, ``self.dinputs`` (and
``self.dweights``, ``self.dbiases``) after backward. ``Layer_Dense`` keeps weights as
(n_inputs, n_neurons) and biases as (1, n_neurons); ``Activation_ReLU`` zeroes the gradient
where the input is <= 0 (torch's ReLU'(0) = 0); ``Layer_Dropout(rate)`` takes the rate of
DROPPING (stored as the keep rate, as nnfs does) and is inverted. 2-D batches: np.dot.
"""

import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs, training=True):
        self.inputs = inputs
        if not training:
            self.binary_mask = np.ones_like(inputs)
            self.output = inputs.copy()
            return
        keep = np.random.binomial(1, self.rate, size=inputs.shape)
        self.binary_mask = (keep / self.rate).astype(inputs.dtype)
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask
