"""deeplearning.ai style, right: ``update_parameters_with_momentum`` with ``initialize_velocity``.

Written with torch's buffer, v = βv + dW, and the step learning_rate·v (the course's own
notebook uses an average instead: see ``dlai_momentum_ema.py``).
"""

import numpy as np


def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        v["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
    return v


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for name in ("W", "b"):
            key = "d" + name + str(l)
            v[key] = beta * v[key] + grads[key]
            parameters[name + str(l)] = parameters[name + str(l)] - learning_rate * v[key]
    return parameters, v
