"""deeplearning.ai style, right: ``update_parameters_with_adam`` with ``initialize_adam``.

The parameters, gradients and both moments are dicts over ``W1``/``b1``, ``W2``/``b2``, ...
(``dW1``/``db1`` for gradients and moments); the caller counts the steps ``t`` from 1.
torch's Adam: bias-corrected moments, epsilon added to √ŝ.
"""

import numpy as np


def initialize_adam(parameters):
    L = len(parameters) // 2
    v, s = {}, {}
    for l in range(1, L + 1):
        for name in ("W", "b"):
            v["d" + name + str(l)] = np.zeros_like(parameters[name + str(l)])
            s["d" + name + str(l)] = np.zeros_like(parameters[name + str(l)])
    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8):  # fmt: skip
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for name in ("W", "b"):
            key = "d" + name + str(l)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            s[key] = beta2 * s[key] + (1 - beta2) * np.square(grads[key])
            v_corrected = v[key] / (1 - beta1**t)
            s_corrected = s[key] / (1 - beta2**t)
            parameters[name + str(l)] = parameters[name + str(l)] - learning_rate * v_corrected / (np.sqrt(s_corrected) + epsilon)  # fmt: skip
    return parameters, v, s
