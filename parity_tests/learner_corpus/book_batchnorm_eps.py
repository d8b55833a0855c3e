"""Deep Learning from Scratch style, wrong by a convention: eps hard-coded as 1e-6 (``10e-7``).

The book writes ``np.sqrt(var + 10e-7)``, which is 1e-6; torch's BatchNorm default is 1e-5,
and this class takes no eps, so torch runs with its own. Everything else is torch's (the
momentum here is torch's: the weight of the new batch; the unbiased running variance).
"""

import numpy as np


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.1, running_mean=None, running_var=None):
        self.gamma, self.beta = gamma, beta
        self.momentum = momentum
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, train_flg=True):
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1], dtype=x.dtype)
            self.running_var = np.ones(x.shape[1], dtype=x.dtype)
        if train_flg:
            n = x.shape[0]
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc**2, axis=0)
            std = np.sqrt(var + 10e-7)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            xc = x - self.running_mean
            std = np.sqrt(self.running_var + 10e-7)
        self.train_flg, self.std, self.xn = train_flg, std, xc / std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        if not self.train_flg:
            return dxn / self.std
        n = dout.shape[0]
        return (dxn - dxn.mean(axis=0) - self.xn * (dxn * self.xn).sum(axis=0) / n) / self.std
