"""Learner-style implementations with one planted difference from torch each, written for
``test_check_diagnosis.py``: each shows one relation the diagnosis must name (a Linear whose
bias gradient is twice torch's, a cross-entropy without the 1/N, a softmax over axis 0, an
Adam with eps 1e-7 hard-coded, a BatchNorm whose momentum weighs the old value, a dropout
whose p is the keep probability, a StepLR one step late, a transposed dW).
"""

from __future__ import annotations

import numpy as np


class Linear:
    """A Linear with W of torch's (out, in) layout; ``dw_transposed`` and ``bias_factor``
    plant the learner's mistakes."""

    dw_transposed = False
    bias_factor = 1.0

    def __init__(self, in_features, out_features, bias=True):
        self.weight = np.zeros((out_features, in_features))
        self.bias = np.zeros(out_features) if bias else None

    def forward(self, x):
        self.x = x
        out = x @ self.weight.T
        return out if self.bias is None else out + self.bias

    def backward(self, g):
        x2, g2 = self.x.reshape(-1, self.x.shape[-1]), g.reshape(-1, g.shape[-1])
        self.dweight = x2.T @ g2 if self.dw_transposed else g2.T @ x2
        if self.bias is not None:
            self.dbias = self.bias_factor * g2.sum(axis=0)
        return g @ self.weight


class LinearBiasTwice(Linear):
    bias_factor = 2.0


class LinearDWTransposed(Linear):
    dw_transposed = True


class CrossEntropyLoss:
    """Class indices, mean; the gradient lacks the 1/N; ``eps`` inside the log (a 1e-7)."""

    eps = 0.0

    def forward(self, logits, target):
        z = logits - logits.max(axis=1, keepdims=True)
        self.p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        self.y = target
        picked = np.arange(len(target)), target
        if self.eps:
            return -np.mean(np.log(self.p[picked] + self.eps))
        return -np.mean(z[picked] - np.log(np.exp(z).sum(axis=1)))  # log-softmax: no underflow

    def backward(self):
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d  # no / N


class CrossEntropyLogEps(CrossEntropyLoss):
    eps = 1e-7


class CrossEntropyAxis0:
    """Class indices, mean, with its softmax over the batch axis (axis 0)."""

    def forward(self, logits, target):
        z = logits - logits.max(axis=0, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=0, keepdims=True))
        self.p, self.onehot = np.exp(logp), np.eye(logits.shape[1])[target]
        return -np.mean(logp[self.onehot == 1])

    def backward(self):
        n = len(self.onehot)
        return (self.onehot.sum(axis=0) * self.p - self.onehot) / n


def attention_over_queries(Q, K, V, mask=None):
    """The course's (Q, K, V, mask) -> (output, weights), its softmax over the queries."""
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-2, keepdims=True))
    weights = e / e.sum(axis=-2, keepdims=True)
    return weights @ V, weights


class SoftmaxAxis0:
    def forward(self, x):
        e = np.exp(x - x.max(axis=0, keepdims=True))
        self.s = e / e.sum(axis=0, keepdims=True)
        return self.s

    def backward(self, g):
        return self.s * (g - (g * self.s).sum(axis=0, keepdims=True))


class AdamEps7:
    """The course's protocol, step(params, grads) -> params, with eps hard-coded to 1e-7."""

    def __init__(self, lr=0.001, betas=(0.9, 0.999)):
        self.lr, (self.b1, self.b2) = lr, betas
        self.m = self.v = None
        self.t = 0

    def step(self, params, grads):
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grads
        self.v = self.b2 * self.v + (1 - self.b2) * grads**2
        m_hat, v_hat = self.m / (1 - self.b1**self.t), self.v / (1 - self.b2**self.t)
        return params - self.lr * m_hat / (np.sqrt(v_hat) + 1e-7)


class BatchNorm1d:
    """momentum=0.9 meant as the weight of the old running value (torch's 0.1)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.9):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.weight, self.bias = np.ones(num_features), np.zeros(num_features)
        self.running_mean, self.running_var = np.zeros(num_features), np.ones(num_features)

    def train(self):
        self.training = True

    def eval(self):
        self.training = False

    @staticmethod
    def _rows(x):  # (N, C) or (N, C, L) -> (rows, C)
        return x if x.ndim == 2 else np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])

    @staticmethod
    def _back(rows, like):
        if like.ndim == 2:
            return rows
        n, c, length = like.shape
        return np.moveaxis(rows.reshape(n, length, c), -1, 1)

    def forward(self, x):
        r = self._rows(x)
        if self.training:
            mean, var = r.mean(axis=0), r.var(axis=0)
            m, n = self.momentum, len(r)
            self.running_mean = m * self.running_mean + (1 - m) * mean
            self.running_var = m * self.running_var + (1 - m) * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.xhat, self.inv = (r - mean) / np.sqrt(var + self.eps), 1 / np.sqrt(var + self.eps)
        return self._back(self.xhat * self.weight + self.bias, x)

    def backward(self, g):
        g2 = self._rows(g)
        self.dweight, self.dbias = (g2 * self.xhat).sum(axis=0), g2.sum(axis=0)
        dxhat = g2 * self.weight
        if self.training:
            dx = self.inv * (dxhat - dxhat.mean(axis=0) - self.xhat * (dxhat * self.xhat).mean(axis=0))  # fmt: skip
        else:
            dx = dxhat * self.inv
        return self._back(dx, g)


class DropoutKeep:
    """CS231n's convention: p is the probability of keeping an element."""

    def __init__(self, p=0.5):
        self.p, self.training = p, True
        self.rng = np.random.default_rng(0)

    def train(self):
        self.training = True

    def eval(self):
        self.training = False

    def forward(self, x):
        if not self.training:
            self.mask = np.ones_like(x)
            return x
        self.mask = (self.rng.random(x.shape) < self.p) / self.p
        return x * self.mask

    def backward(self, g):
        return g * self.mask


class StepLRLate:
    """StepLR whose lr is computed from the epoch count before it is advanced."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.optimizer, self.step_size, self.gamma = optimizer, step_size, gamma
        self.base = optimizer.param_groups[0]["lr"]
        self.epoch = 0

    def step(self):
        lr = self.base * self.gamma ** (self.epoch // self.step_size)
        self.epoch += 1
        self.optimizer.param_groups[0]["lr"] = lr

    def get_last_lr(self):
        return [self.optimizer.param_groups[0]["lr"]]


class StepLREarly(StepLRLate):
    """StepLR whose lr is computed for the epoch after the one it has reached."""

    def step(self):
        self.epoch += 1
        lr = self.base * self.gamma ** ((self.epoch + 1) // self.step_size)
        self.optimizer.param_groups[0]["lr"] = lr
