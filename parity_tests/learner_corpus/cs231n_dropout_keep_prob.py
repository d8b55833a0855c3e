"""CS231n style, wrong: ``dropout_param['p']`` is the probability of KEEPING a unit.

That is the course's own convention (``mask = (rand < p) / p``); torch's ``p`` is the
probability of dropping one. At p = 0.5 the two agree; at p = 0.2 this keeps 20 % of the
units, scaled by 5, which is torch's dropout with p = 0.8.
"""

import numpy as np


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = x
    if mode == "train":
        mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype)
        out = x * mask
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout
