"""scratch's protocol (torch's constructor arguments, ``named_parameters()`` of objects with
``.data``/``.grad``, ``train()``/``eval()``), right, on 2-D input only.

``Linear`` and ``BatchNorm1d`` refuse any input that is not (batch, features) with a
ValueError, the scope of the course's first layers; on 2-D input they are torch's.
"""

import numpy as np


class Parameter:
    def __init__(self, data):
        self.data = data
        self.grad = None


class Module:
    training = True

    def named_parameters(self):
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Parameter)]

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self

    def __call__(self, x):
        return self.forward(x)


def _accumulate(param, grad):
    param.grad = grad if param.grad is None else param.grad + grad


class Linear(Module):
    def __init__(self, in_features, out_features, bias=True):
        bound = 1 / np.sqrt(in_features)
        self.weight = Parameter(np.random.uniform(-bound, bound, (out_features, in_features)))
        self.bias = Parameter(np.random.uniform(-bound, bound, out_features)) if bias else None

    def forward(self, x):
        if x.ndim != 2:
            raise ValueError(f"Linear expects input of shape (batch, features), got {x.shape}")
        self.x = x
        out = x @ self.weight.data.T
        return out + self.bias.data if self.bias is not None else out

    def backward(self, grad_output):
        _accumulate(self.weight, grad_output.T @ self.x)
        if self.bias is not None:
            _accumulate(self.bias, grad_output.sum(axis=0))
        return grad_output @ self.weight.data


class BatchNorm1d(Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.eps, self.momentum = eps, momentum
        self.weight = Parameter(np.ones(num_features))
        self.bias = Parameter(np.zeros(num_features))
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)

    def forward(self, x):
        if x.ndim != 2:
            raise ValueError(f"BatchNorm1d expects input of shape (batch, features), got {x.shape}")  # fmt: skip
        if self.training:
            n = x.shape[0]
            mean, var = x.mean(axis=0), x.var(axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean.astype(x.dtype), self.running_var.astype(x.dtype)
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.x_hat = (x - mean) * self.inv_std
        return self.weight.data * self.x_hat + self.bias.data

    def backward(self, grad_output):
        _accumulate(self.weight, (grad_output * self.x_hat).sum(axis=0))
        _accumulate(self.bias, grad_output.sum(axis=0))
        g = grad_output * self.weight.data
        if not self.training:
            return g * self.inv_std
        x_hat = self.x_hat
        return self.inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
