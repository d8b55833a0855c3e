"""Holberton style, right: one step function per optimizer, the learning rate named ``alpha``.

``update_variables_momentum(alpha, beta1, var, grad, v) -> (var, v)`` (torch's buffer
v = β₁v + grad, step alpha·v), ``update_variables_RMSProp(alpha, beta2, epsilon, var, grad,
s) -> (var, s)`` (beta2 is RMSprop's decay, torch's ``alpha``; eps outside the root) and
``update_variables_Adam(alpha, beta1, beta2, epsilon, var, grad, v, s, t) -> (var, v, s)``
with t the step number, 1 at the first step.
"""

import numpy as np


def update_variables_momentum(alpha, beta1, var, grad, v):
    v = beta1 * v + grad
    var = var - alpha * v
    return var, v


def update_variables_RMSProp(alpha, beta2, epsilon, var, grad, s):
    s = beta2 * s + (1 - beta2) * grad**2
    var = var - alpha * grad / (np.sqrt(s) + epsilon)
    return var, s


def update_variables_Adam(alpha, beta1, beta2, epsilon, var, grad, v, s, t):
    v = beta1 * v + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad**2
    v_hat = v / (1 - beta1**t)
    s_hat = s / (1 - beta2**t)
    var = var - alpha * v_hat / (np.sqrt(s_hat) + epsilon)
    return var, v, s
