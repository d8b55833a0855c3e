"""CS231n style, wrong under a schedule: momentum with the lr inside the velocity.

v = μv - lr·dw; w += v (the course's formula). At a constant lr this is torch's momentum
exactly; when the lr changes between steps, torch rescales the whole buffer at once (it keeps
b = μb + g and steps lr·b), this rule only the newest gradient.
"""

import numpy as np


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    config["velocity"] = v
    return next_w, config
