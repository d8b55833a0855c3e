"""deeplearning.ai style, wrong by torch's convention: momentum as an exponential moving average.

v = βv + (1 - β)dW, then W -= learning_rate·v: torch's SGD keeps b = μb + g (no 1 - β).
This is torch's momentum with dampening = β, except at the first step (torch does not dampen
the first gradient, this does): its steps are about 1 - β times torch's.
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
            v[key] = beta * v[key] + (1 - beta) * grads[key]
            parameters[name + str(l)] = parameters[name + str(l)] - learning_rate * v[key]
    return parameters, v
