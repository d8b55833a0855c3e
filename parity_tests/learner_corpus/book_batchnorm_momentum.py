"""Deep Learning from Scratch style, wrong: BatchNorm's momentum is the weight of the OLD value.

``running = momentum * running + (1 - momentum) * batch`` with the book's momentum=0.9: that
is torch's momentum 0.1 written as 1 - torch's. Given torch's momentum (0.1), this class runs
torch's BatchNorm with momentum 0.9. Otherwise right: the running variance is the unbiased
one, eps is torch's 1e-5, and the test-mode backward uses the running statistics.
"""

import numpy as np


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma, self.beta = gamma, beta
        self.momentum = momentum
        self.running_mean, self.running_var = running_mean, running_var
        self.dgamma, self.dbeta = None, None

    def forward(self, x, train_flg=True):
        if x.ndim != 2:
            N = x.shape[0]
            x = x.reshape(N, -1)
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1], dtype=x.dtype)
            self.running_var = np.ones(x.shape[1], dtype=x.dtype)
        if train_flg:
            n = x.shape[0]
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc**2, axis=0)
            std = np.sqrt(var + 1e-5)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var * n / (n - 1)  # fmt: skip
        else:
            xc = x - self.running_mean
            std = np.sqrt(self.running_var + 1e-5)
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
