"""Blog style, right: learning-rate schedules as functions of the epoch.

``step_decay(epoch, initAlpha, factor, dropEvery)`` (torch's StepLR: lr·γ^⌊epoch/step⌋) and
``cosine_annealing(epoch, lr_max, T_max, eta_min)`` (torch's CosineAnnealingLR in closed
form: η_min + (η_max - η_min)(1 + cos(π·epoch/T_max))/2). Epoch 0 is the lr before any step.
"""

import math

import numpy as np


def step_decay(epoch, initAlpha=0.01, factor=0.25, dropEvery=10):
    exp = np.floor(epoch / dropEvery)
    return float(initAlpha * (factor**exp))


def cosine_annealing(epoch, lr_max, T_max, eta_min=0.0):
    return eta_min + (lr_max - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2
