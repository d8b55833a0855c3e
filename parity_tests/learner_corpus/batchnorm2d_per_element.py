"""Course style (arrays ``gamma``/``beta`` with ``dgamma``/``dbeta``, a ``training`` flag), wrong:
BatchNorm2d normalises with statistics per ELEMENT, not per channel.

``x.mean(axis=0)`` on (N, C, H, W) gives one mean per (c, h, w): each pixel is normalised
over the batch alone. torch's BatchNorm2d takes one mean and variance per channel, over
(N, H, W). The running statistics here are per channel and right (torch's momentum, the
unbiased variance), so only the training-mode normalisation differs.
"""

import numpy as np


class BatchNorm2d:
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.eps, self.momentum = eps, momentum
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.training = True

    def forward(self, x):
        g, b = self.gamma[None, :, None, None], self.beta[None, :, None, None]
        if self.training:
            mean = x.mean(axis=0, keepdims=True)
            var = x.var(axis=0, keepdims=True)
            n = x.shape[0] * x.shape[2] * x.shape[3]
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * x.mean(axis=(0, 2, 3))
            self.running_var = (1 - m) * self.running_var + m * x.var(axis=(0, 2, 3)) * n / (n - 1)  # fmt: skip
        else:
            mean = self.running_mean[None, :, None, None].astype(x.dtype)
            var = self.running_var[None, :, None, None].astype(x.dtype)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.x_hat = (x - mean) * self.inv_std
        return g * self.x_hat + b

    def backward(self, dout):
        self.dgamma = (dout * self.x_hat).sum(axis=(0, 2, 3))
        self.dbeta = dout.sum(axis=(0, 2, 3))
        dx_hat = dout * self.gamma[None, :, None, None]
        if not self.training:
            return dx_hat * self.inv_std
        x_hat = self.x_hat
        return self.inv_std * (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0))  # fmt: skip
