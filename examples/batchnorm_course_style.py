"""A BatchNorm2d written the way many courses write it, with one classic mistake left in.

This is the worked example of the checker's manual, docs/check.md (run it from the
repository root):

    parity-check BatchNorm2d examples/batchnorm_course_style.py:BatchNorm2d

Everything here matches torch except the running variance: it averages the same *biased*
batch variance the layer normalises with, where torch tracks the unbiased one (× m/(m-1)).
The training outputs and gradients agree; the running statistics, and so every eval-mode
output after them, do not. The parameters are called ``gamma`` and ``beta`` (the paper's
names), with gradients ``dgamma`` and ``dbeta``: the checker maps them to torch's ``weight``
and ``bias`` by name.
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
        axes = (0, 2, 3)  # every axis but the channels
        if self.training:
            mean, var = x.mean(axis=axes), x.var(axis=axes)  # var divides by m: biased
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (
                1 - m
            ) * self.running_var + m * var  # the mistake: torch uses var·m/(m-1)
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1.0 / np.sqrt(var + self.eps)[None, :, None, None]
        self.x_hat = (x - mean[None, :, None, None]) * self.inv_std
        return self.gamma[None, :, None, None] * self.x_hat + self.beta[None, :, None, None]

    def backward(self, grad_output):
        axes = (0, 2, 3)
        self.dgamma = (grad_output * self.x_hat).sum(axis=axes)
        self.dbeta = grad_output.sum(axis=axes)
        dx_hat = grad_output * self.gamma[None, :, None, None]
        if not self.training:  # the running statistics are constants
            return dx_hat * self.inv_std
        mean_dx_hat = dx_hat.mean(axis=axes, keepdims=True)
        mean_dx_hat_x_hat = (dx_hat * self.x_hat).mean(axis=axes, keepdims=True)
        return self.inv_std * (dx_hat - mean_dx_hat - self.x_hat * mean_dx_hat_x_hat)
