"""CS231n style, wrong: the batch is normalised with the UNBIASED variance (ddof=1).

torch normalises with the biased batch variance (divide by N) and tracks the unbiased one in
``running_var``. This file divides by N - 1 for both; its backward is the exact gradient of
its own forward, written stage by stage as the course's computational graph. Everything else
(momentum, eps, running statistics in ``bn_param``) is torch's.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.1)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.ones(D, dtype=x.dtype))
    if mode == "train":
        n = x.shape[0]
        mu = x.mean(axis=0)
        xc = x - mu
        var = (xc**2).sum(axis=0) / (n - 1)
        std = np.sqrt(var + eps)
        x_hat = xc / std
        running_mean = (1 - momentum) * running_mean + momentum * mu
        running_var = (1 - momentum) * running_var + momentum * var
        cache = ("train", xc, std, x_hat, gamma)
    else:
        std = np.sqrt(running_var + eps)
        x_hat = (x - running_mean) / std
        cache = ("test", None, std, x_hat, gamma)
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return gamma * x_hat + beta, cache


def batchnorm_backward(dout, cache):
    mode, xc, std, x_hat, gamma = cache
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat / std, dgamma, dbeta
    n = dout.shape[0]
    dstd = -(dx_hat * xc).sum(axis=0) / std**2
    dvar = 0.5 * dstd / std
    dxc = dx_hat / std + 2 * xc * dvar / (n - 1)
    dx = dxc - dxc.sum(axis=0) / n
    return dx, dgamma, dbeta
