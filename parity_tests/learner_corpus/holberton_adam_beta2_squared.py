"""Holberton style, wrong: Adam's second bias correction uses β₂² instead of β₂ᵗ.

``s_hat = s / (1 - beta2 ** 2)``: right at t = 2 only. At t = 1 it divides by
1 - β₂² ≈ 2(1 - β₂) where torch divides by 1 - β₂, so ŝ is half of torch's; as t grows
torch's divisor goes to 1 while this one stays at 1 - β₂², so √ŝ ends up about 22 times
torch's (β₂ = 0.999) and the steps that much shorter.
"""

import numpy as np


def update_variables_Adam(alpha, beta1, beta2, epsilon, var, grad, v, s, t):
    v = beta1 * v + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad**2
    v_hat = v / (1 - beta1**t)
    s_hat = s / (1 - beta2**2)
    var = var - alpha * v_hat / (np.sqrt(s_hat) + epsilon)
    return var, v, s
