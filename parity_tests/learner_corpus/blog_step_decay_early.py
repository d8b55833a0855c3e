"""Blog style, wrong: ``step_decay`` drops the rate one epoch early.

``factor ** floor((1 + epoch) / dropEvery)``: the ``1 +`` counts epochs from 1, so the lr
this gives at epoch t is torch's StepLR at t + 1 (torch's epoch 0 is before the first step).
"""

import numpy as np


def step_decay(epoch, initAlpha=0.01, factor=0.25, dropEvery=10):
    exp = np.floor((1 + epoch) / dropEvery)
    return float(initAlpha * (factor**exp))
