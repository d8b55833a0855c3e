"""Deep Learning from Scratch style, wrong: non-inverted dropout.

In training the kept units are passed through unscaled (``x * mask``); at test time the
whole output is scaled by 1 - dropout_ratio instead. torch scales the survivors by
1/(1 - p) in training, and eval is the identity.
"""

import numpy as np


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None
        self.train_flg = True

    def forward(self, x, train_flg=True):
        self.train_flg = train_flg
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        if self.train_flg:
            return dout * self.mask
        return dout * (1.0 - self.dropout_ratio)
