"""Deep Learning from Scratch style, wrong by a convention: RMSprop's eps hard-coded as 1e-7.

``params -= lr * g / (sqrt(h) + 1e-7)``: torch's RMSprop default is eps=1e-8, and this class
takes no eps. Otherwise torch's rule (h = ρh + (1 - ρ)g², eps outside the root).
"""

import numpy as np


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)
