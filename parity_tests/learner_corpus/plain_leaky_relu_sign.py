"""Plain functions, wrong: LeakyReLU's derivative has the wrong sign for z < 0.

``np.where(z > 0, 1, -alpha)``: the slope of alpha·z is +alpha, not -alpha (the function
itself is right).
"""

import numpy as np


def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z, alpha=0.01):
    return np.where(z > 0, 1.0, -alpha).astype(z.dtype)
