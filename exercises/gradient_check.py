"""Exercise 2: gradient checking by central differences (course section: Exercises; the
numerical check of "MLP and backprop", scratch/gradcheck.py).

Check: ``parity-check exercises/`` (the scoreboard runs it).

A hand-written backward is easy to get subtly wrong; a numerical gradient is slow but hard
to get wrong, so it is the referee. The checker calls your function on several scalar
functions (sums of tanh, log-sum-exp, a small network's loss w.r.t. a weight matrix,
softmax cross-entropy) and compares the result with torch's exact autograd gradient
within rtol 1e-6, atol 1e-8: central differences with eps = 1e-5 are accurate to about
1e-10 here, a forward difference only to about 1e-5.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-5) -> np.ndarray:  # fmt: skip
    """df/dx at ``x`` by central differences: an array of x's shape (float64).

    ``f(x)`` returns a Python float; ``x`` is a float64 array of any shape. For each entry i:
    df/dx_i ≈ (f(x + eps·e_i) - f(x - eps·e_i)) / (2·eps), where e_i is 1 at i and 0
    elsewhere. You may perturb ``x`` in place, one entry at a time, but when you return,
    ``x`` must hold exactly its original values (the checker compares it).

    Hint: ``np.ndindex(x.shape)`` walks every index of an array of any shape.
    """
    raise NotImplementedError
