"""nnfs style, wrong at the kink: ReLU's gradient is zeroed only where the input is < 0.

``self.dinputs[self.inputs < 0] = 0`` leaves the gradient through at exactly 0, so
ReLU'(0) = 1; torch's is 0 (``threshold_backward``: x <= 0 gives 0). Both are subgradients,
but parity needs torch's choice; inputs of exactly 0 are common (after another ReLU, padding).
"""

import numpy as np


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs < 0] = 0
