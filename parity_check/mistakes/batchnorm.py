"""Classic mistakes of BatchNorm in the statistics themselves: Keras' momentum, the unbiased
variance in the normalisation, and statistics per element where BatchNorm2d takes them per
channel. (The running variance's estimator, eps's place and the missing mean terms of the
gradient are in layers.py.)

Each variant is one BatchNorm written out (``_Variant``), with the one thing wrong that its
flags say; its backward is that forward's exact derivative, so the variant is what a learner
who made only that mistake would get.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import scratch.functional as sf
import scratch.nn as snn
from parity_check.mistakes.base import Mistake

SECTION = "Regularisation"


def _channel(v: np.ndarray, ndim: int) -> np.ndarray:
    return np.reshape(v, (1, -1) + (1,) * (ndim - 2))


class _Variant:
    """A BatchNorm whose ``flip_momentum`` weights the old running value by momentum,
    ``unbiased`` normalises with the unbiased batch variance, ``per_element`` normalises with
    batch statistics over N alone (one mean and variance per (c, h, w)) while its running
    statistics stay per channel, as torch's; mixed into scratch's BatchNorm1d/2d for their
    constructor, parameters, buffers and input checks."""

    flip_momentum = unbiased = per_element = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked = np.array(self.num_batches_tracked + 1, np.int64)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        if self.flip_momentum:
            factor = 1 - factor  # running = m·running + (1 - m)·batch
        if self.training or self.running_mean is None:
            axes = (0,) if self.per_element else (0, *range(2, x.ndim))
            m = math.prod(x.shape[a] for a in axes)
            mu = x.mean(axis=axes, keepdims=True)
            var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
            inv_std = 1 / np.sqrt((var * (m / (m - 1)) if self.unbiased else var) + self.eps)
            if self.training and self.track_running_stats:  # per channel, whatever the above
                channels = (0, *range(2, x.ndim))
                n = math.prod(x.shape[a] for a in channels)
                batch_var = x.var(axis=channels) * (n / (n - 1))
                self.running_mean[...] = factor * x.mean(axis=channels) + (1 - factor) * self.running_mean  # fmt: skip
                self.running_var[...] = factor * batch_var + (1 - factor) * self.running_var
            self._cache = ((x - mu) * inv_std, inv_std, axes, m - 1 if self.unbiased else m)
        else:
            inv_std = _channel(1 / np.sqrt(self.running_var + self.eps), x.ndim)
            self._cache = ((x - _channel(self.running_mean, x.ndim)) * inv_std, inv_std, None, 0)
        x_hat = self._cache[0]
        y = x_hat if self.weight is None else x_hat * _channel(self.weight.data, x.ndim)
        y = y if self.bias is None else y + _channel(self.bias.data, x.ndim)
        return y.astype(x.dtype)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x_hat, inv_std, axes, divisor = self.saved()
        dy = np.asarray(grad_output)
        channels = (0, *range(2, dy.ndim))
        if self.weight is not None:
            self.weight.accumulate((dy * x_hat).sum(axis=channels).astype(dy.dtype))
        if self.bias is not None:
            self.bias.accumulate(dy.sum(axis=channels).astype(dy.dtype))
        dx_hat = dy if self.weight is None else dy * _channel(self.weight.data, dy.ndim)
        if axes is None:  # eval: the running statistics are constants
            return (dx_hat * inv_std).astype(dy.dtype)
        # x_hat = (x - μ)/√(σ² + eps), σ² = Σ(x - μ)²/divisor: its derivative, over ``axes``
        dx = dx_hat - dx_hat.mean(axis=axes, keepdims=True)
        dx -= x_hat * (dx_hat * x_hat).sum(axis=axes, keepdims=True) / divisor
        return (dx * inv_std).astype(dy.dtype)


def _variants(flag: str, names=("BatchNorm1d", "BatchNorm2d")) -> dict:
    out = {}
    for name in names:
        title = "".join(w.capitalize() for w in flag.split("_"))
        cls = type(f"{name}{title}", (_Variant, getattr(snn, name)), {flag: True})
        cls.__qualname__ = cls.__name__
        out[name] = cls
    return out


@functools.wraps(sf.batch_norm)
def batch_norm_momentum_flipped(input, running_mean, running_var, weight=None, bias=None,
                                training=False, momentum=0.1, eps=1e-5):  # fmt: skip
    return sf.batch_norm(input, running_mean, running_var, weight, bias, training, 1 - momentum, eps)  # fmt: skip


MISTAKES = [
    Mistake("batchnorm-momentum-flipped", ("BatchNorm1d", "BatchNorm2d", "batch_norm"), SECTION,
            "your running statistics match running = m·running + (1 - m)·batch (Keras' momentum "
            "0.9 convention): torch's momentum weights the new batch, running = (1 - m)·running "
            "+ m·batch, so yours equals torch with momentum 1 - m",
            {**_variants("flip_momentum"), "batch_norm": batch_norm_momentum_flipped}),
    Mistake("batchnorm-normalises-with-unbiased-var", ("BatchNorm1d", "BatchNorm2d"), SECTION,
            "your training output matches normalising with the unbiased batch variance (÷ (n-1), "
            "np.var(ddof=1) or torch.var's default): torch normalises with the biased one (÷ n) "
            "and keeps the unbiased one only for running_var",
            _variants("unbiased")),
    Mistake("batchnorm2d-statistics-per-element", ("BatchNorm2d",), SECTION,
            "your BatchNorm2d takes a mean and variance for every (c, h, w) over the batch "
            "alone (x.mean(axis=0), BatchNorm1d's rule) to normalise in training: BatchNorm2d "
            "takes one per channel, over (N, H, W), x.mean(axis=(0, 2, 3))",
            _variants("per_element", ("BatchNorm2d",))),
]  # fmt: skip
