"""Batch normalisation over the batch (and spatial) axes, per channel: BatchNorm1d / 2d.

Twin: ``torch.nn.BatchNorm1d`` / ``BatchNorm2d`` / ``F.batch_norm`` (torch_ref/nn/batchnorm.py).

Forward (training): μ and σ² are the mean and the **biased** variance (divide by m, the
number of values per channel) over every axis but the channel axis 1;
``x_hat = (x - μ) / sqrt(σ² + eps)``, ``y = γ x_hat + β``. The running estimates used in
eval mode are updated with the **unbiased** variance (divide by m - 1), exactly as torch
does: ``running_var = (1 - f) running_var + f σ² m / (m - 1)``, where ``f`` is ``momentum``,
or ``1 / num_batches_tracked`` (a cumulative average) when ``momentum=None``.

The seed's formula (listed in DESIGN.md among the seed/torch differences) averages the same
biased variance it normalises with; torch (hence scratch) stores the unbiased one, so the two
running_var differ by the factor m / (m - 1) while the training outputs are identical.
Note also torch's convention ``running = (1 - momentum) running + momentum batch``: torch's
momentum 0.1 is Keras' momentum 0.9 (which weights the old value instead).

Everything is vectorised over (N, C, *spatial): no Python loop over channels or pixels.
"""

from __future__ import annotations

import numbers

import numpy as np

from scratch._checks import as_float_array, check_positive_int, check_same_dtype
from scratch.nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "batch_norm"]


def _reduce_axes(x: np.ndarray) -> tuple[int, ...]:
    return (0, *range(2, x.ndim))  # every axis but the channel axis 1


def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    return v.reshape((1, -1) + (1,) * (ndim - 2))  # (C,) -> (1, C, 1, ...) to broadcast


def _check_batch_size(x: np.ndarray) -> int:
    m = x.size // x.shape[1]  # x.shape[1] is num_features ≥ 1, checked before
    if m == 0:  # torch returns an empty output; here NumPy's mean of nothing would be NaN
        raise ValueError(f"BatchNorm got an empty batch (input size {x.shape}): batch "
                         "statistics need values; scratch does not take empty batches")  # fmt: skip
    if m == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {x.shape}"
        )
    return m


def _normalise(
    x: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(x_hat, inv_std)``; in training, also update the running stats in place.

    eps is checked here, where torch's ``F.batch_norm`` checks it: > 0 with batch statistics,
    ≥ 0 with the running ones (written as torch writes it, so NaN passes).
    """
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, got {eps!r}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, got {eps!r}")
    if training:
        m = _check_batch_size(x)
        axes = _reduce_axes(x)
        mu = x.mean(axis=axes)
        var = ((x - _per_channel(mu, x.ndim)) ** 2).mean(axis=axes)  # biased: divide by m
        if running_mean is not None:
            running_mean[...] = momentum * mu + (1 - momentum) * running_mean
        if running_var is not None:
            unbiased = var * (m / (m - 1))
            running_var[...] = momentum * unbiased + (1 - momentum) * running_var
    else:
        mu, var = running_mean, running_var
    inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
    x_hat = (x - _per_channel(mu, x.ndim)) * _per_channel(inv_std, x.ndim)
    return x_hat.astype(x.dtype), inv_std


def _affine(x_hat: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None) -> np.ndarray:
    y = x_hat if weight is None else x_hat * _per_channel(weight, x_hat.ndim)
    return y if bias is None else y + _per_channel(bias, x_hat.ndim)


def batch_norm(
    input: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    """``torch.nn.functional.batch_norm``: updates the running stats in place when training."""
    x = as_float_array(input, "input")
    _check_number(momentum, "momentum")
    _check_number(eps, "eps")
    if x.ndim < 2:
        raise ValueError(f"input must have shape (N, C, ...), got {x.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("running_mean and running_var are required when training=False")
    x_hat, _ = _normalise(x, running_mean, running_var, training, momentum, eps)
    return _affine(x_hat, weight, bias)


def _check_number(value: object, name: str) -> None:
    """torch checks neither momentum nor eps when the module is built: any number will do
    (momentum 1.5 or -0.5 extrapolates the running stats, NaN poisons them); eps is checked
    when it is used (``_normalise``). A non-number is refused here, with its name."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d, which differ only in the input's rank."""

    _ndims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        bias: bool = True,
        dtype: type = np.float32,
    ) -> None:
        super().__init__()
        self.num_features = check_positive_int(num_features, "num_features")
        _check_number(eps, "eps")
        if momentum is not None:
            _check_number(momentum, "momentum")
        self.eps, self.momentum = eps, momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        C = self.num_features
        self.weight = Parameter(np.ones(C, dtype)) if affine else None
        self.bias = Parameter(np.zeros(C, dtype)) if affine and bias else None
        tracked = self.track_running_stats
        self.register_buffer("running_mean", np.zeros(C, dtype) if tracked else None)
        self.register_buffer("running_var", np.ones(C, dtype) if tracked else None)
        self.register_buffer("num_batches_tracked", np.array(0, np.int64) if tracked else None)

    def _check_input(self, x: np.ndarray) -> None:
        if x.ndim not in self._ndims:
            want = " or ".join(f"{n}D" for n in self._ndims)
            raise ValueError(
                f"{type(self).__name__} expected {want} input (got {x.ndim}D input, "
                f"shape {x.shape})"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) expected {self.num_features} "
                f"channels on axis 1, got input of shape {x.shape}"
            )

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "input")
        self._check_input(x)
        reference = self.weight.data if self.weight is not None else self.running_mean
        if reference is not None:
            check_same_dtype(x, "input", reference.dtype, type(self).__name__)
        # torch's rule: batch statistics in training, and in eval when nothing is tracked.
        use_batch_stats = self.training or self.running_mean is None
        factor = 0.0 if self.momentum is None else self.momentum
        update = self.training and self.track_running_stats
        if update:
            if use_batch_stats:
                _check_batch_size(x)  # fail before counting a batch that will not be used
            self.num_batches_tracked = np.array(self.num_batches_tracked + 1, np.int64)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)  # cumulative moving average
        # torch passes the buffers only when they are read (eval) or updated (tracked training)
        tracked = not self.training or self.track_running_stats
        running = (self.running_mean, self.running_var) if tracked else (None, None)
        x_hat, inv_std = _normalise(x, *running, use_batch_stats, factor, self.eps)
        self._cache = (x_hat, inv_std, use_batch_stats)
        weight = None if self.weight is None else self.weight.data
        bias = None if self.bias is None else self.bias.data
        return _affine(x_hat, weight, bias)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x_hat, inv_std, use_batch_stats = self.saved()
        dy = grad_output.astype(x_hat.dtype, copy=False)
        axes = _reduce_axes(x_hat)
        if self.weight is not None:
            self.weight.accumulate((dy * x_hat).sum(axis=axes))  # dγ = Σ dy x_hat
        if self.bias is not None:
            self.bias.accumulate(dy.sum(axis=axes))  # dβ = Σ dy
        dx_hat = dy if self.weight is None else dy * _per_channel(self.weight.data, dy.ndim)
        scale = _per_channel(inv_std, dy.ndim)
        if not use_batch_stats:
            return dx_hat * scale  # μ and σ are constants (the running stats)
        # μ and σ² depend on every x of the channel; the two mean terms are their share:
        # dx = inv_std (dx_hat - mean(dx_hat) - x_hat mean(dx_hat x_hat))
        mean_dx_hat = dx_hat.mean(axis=axes, keepdims=True)
        mean_dx_hat_x_hat = (dx_hat * x_hat).mean(axis=axes, keepdims=True)
        return scale * (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """``torch.nn.BatchNorm1d``: input (N, C) or (N, C, L); statistics per channel C."""

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """``torch.nn.BatchNorm2d``: input (N, C, H, W); statistics per channel over N, H, W."""

    _ndims = (4,)
