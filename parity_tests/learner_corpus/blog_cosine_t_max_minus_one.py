"""Blog style, wrong: cosine annealing over T_max - 1 epochs.

``cos(pi * epoch / (T_max - 1))`` reaches eta_min at epoch T_max - 1 (the last epoch of a
``range(T_max)`` loop); torch's CosineAnnealingLR divides by T_max and reaches it at T_max.
"""

import math


def cosine_annealing(epoch, lr_max, T_max, eta_min=0.0):
    return eta_min + (lr_max - eta_min) * (1 + math.cos(math.pi * epoch / (T_max - 1))) / 2
