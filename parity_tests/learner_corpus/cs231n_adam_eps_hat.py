"""CS231n style, wrong: Adam in its "efficient" ε̂ form.

The bias corrections are folded into the step size, lr_t = lr·√(1 - β₂ᵗ)/(1 - β₁ᵗ), and the
step is lr_t·m/(√v + ε): ε is added to the uncorrected √v, which is torch's Adam with ε
divided by √(1 - β₂ᵗ), far larger in the first steps. torch adds ε to √v̂.
"""

import numpy as np


def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    lr_t = config["learning_rate"] * np.sqrt(1 - b2**t) / (1 - b1**t)
    next_w = w - lr_t * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])
    return next_w, config
