"""Classic mistakes in the layers: Linear, softmax, GELU, BatchNorm, Dropout."""

from __future__ import annotations

import numpy as np

import scratch.nn as snn
from parity_check.mistakes.base import Mistake
from parity_check.mistakes.inject import patched
from scratch.nn import batchnorm as bn


# -- Linear -----------------------------------------------------------------------------------
class LinearBiasGradAveraged(snn.Linear):
    def backward(self, grad_output):
        dx = super().backward(grad_output)
        if self.bias is not None:
            n = grad_output.size // grad_output.shape[-1]  # the rows the sum ran over
            self.bias.grad = self.bias.grad / n
        return dx


# -- softmax without the max shift --------------------------------------------------------------
def naive_softmax(z, dim):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=dim, keepdims=True)


def naive_log_softmax(z, dim):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def log_of_softmax(z, dim):
    """log(softmax(z)), the max shifted out: exact until a probability underflows to 0."""
    e = np.exp(z - z.max(axis=dim, keepdims=True))
    with np.errstate(divide="ignore"):
        return np.log(e / e.sum(axis=dim, keepdims=True))


# -- softmax over another axis: axis 0 (samples as columns), or the whole array -------------------
def _softmax_over(axis, log: bool):
    """softmax (or log-softmax) over ``axis`` (None: every element), whatever dim says."""

    def fn(z, dim=-1):
        z = np.asarray(z)
        shifted = z - z.max(axis=axis, keepdims=True)
        logs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return (logs if log else np.exp(logs)).astype(z.dtype)

    fn.__name__ = f"{'log_' if log else ''}softmax_over_{'everything' if axis is None else f'axis_{axis}'}"  # fmt: skip
    return fn


def _softmax_module_over(cls: type, axis, name: str) -> type:
    """``cls`` (Softmax or LogSoftmax) computing over ``axis``; scratch's backward, which reads
    the axis from the cache, then differentiates that same softmax."""
    fn = _softmax_over(axis, cls is snn.LogSoftmax)

    def forward(self, z):
        y = fn(np.asarray(z))
        self._cache = (y, axis)
        return y

    return type(name, (cls,), {"forward": forward, "__qualname__": name})


def _softmax_variants(axis, title: str) -> dict:
    return {"softmax": _softmax_over(axis, False), "log_softmax": _softmax_over(axis, True),
            "Softmax": _softmax_module_over(snn.Softmax, axis, f"Softmax{title}"),
            "LogSoftmax": _softmax_module_over(snn.LogSoftmax, axis, f"LogSoftmax{title}")}  # fmt: skip


# -- Linear: the weight gradient transposed ---------------------------------------------------------
class LinearGradWeightTransposed(snn.Linear):
    """dW = xᵀ·grad_output, (in, out), where torch's is grad_outputᵀ·x, (out, in): on a square
    layer only the numbers differ, elsewhere the shape too (a FAIL row that keeps the array)."""

    def backward(self, grad_output):
        dx = super().backward(grad_output)
        self.weight.grad = np.ascontiguousarray(self.weight.grad.T)
        return dx


# -- BatchNorm ------------------------------------------------------------------------------------
def _normalise_with(var_scale_unbiased: bool, eps_inside: bool):
    """scratch's _normalise, with the running variance's estimator and eps's place as given."""

    def normalise(x, running_mean, running_var, training, momentum, eps):
        if training:
            m = bn._check_batch_size(x)
            axes = bn._reduce_axes(x)
            mu = x.mean(axis=axes)
            var = ((x - bn._per_channel(mu, x.ndim)) ** 2).mean(axis=axes)
            if running_mean is not None:
                running_mean[...] = momentum * mu + (1 - momentum) * running_mean
            if running_var is not None:
                tracked = var * (m / (m - 1)) if var_scale_unbiased else var
                running_var[...] = momentum * tracked + (1 - momentum) * running_var
        else:
            mu, var = running_mean, running_var
        std = np.sqrt(var + eps) if eps_inside else np.sqrt(var) + eps
        inv_std = (1 / std).astype(x.dtype)
        x_hat = (x - bn._per_channel(mu, x.ndim)) * bn._per_channel(inv_std, x.ndim)
        return x_hat.astype(x.dtype), inv_std

    return normalise


def _missing_mean_terms(cls):
    class Variant(cls):
        def backward(self, grad_output):
            x_hat, inv_std, batch_stats = self.saved()[:3]
            if not batch_stats:  # eval: μ and σ are constants, so scratch's own is this mistake
                return super().backward(grad_output)
            dy = grad_output.astype(x_hat.dtype, copy=False)
            axes = bn._reduce_axes(x_hat)
            if self.weight is not None:
                self.weight.accumulate((dy * x_hat).sum(axis=axes))
            if self.bias is not None:
                self.bias.accumulate(dy.sum(axis=axes))
            dx_hat = dy if self.weight is None else dy * bn._per_channel(self.weight.data, dy.ndim)
            return dx_hat * bn._per_channel(inv_std, dy.ndim)  # as if μ and σ were constants

    Variant.__qualname__ = f"{cls.__name__}MissingMeanTerms"
    return Variant


BATCHNORMS = {"BatchNorm1d": snn.BatchNorm1d, "BatchNorm2d": snn.BatchNorm2d}


def _each_batchnorm(make) -> dict:
    return {name: make(cls) for name, cls in BATCHNORMS.items()}


MISTAKES = [
    Mistake("linear-bias-grad-averaged", ("Linear",), "MLP and backprop",
            "your bias gradient matches the mean over the batch: torch sums it (the loss "
            "already averaged, if it is a mean), so db = sum of grad_output over every row",
            LinearBiasGradAveraged),
    Mistake("linear-grad-weight-transposed", ("Linear",), "MLP and backprop",
            "your weight gradient is the transpose of torch's on a square layer (in_features == "
            "out_features, where both have the same shape): for weight (out, in) and y = x·Wᵀ, "
            "dW = grad_outputᵀ·x; xᵀ·grad_output is the gradient of the (in, out) layout",
            LinearGradWeightTransposed),
    Mistake("softmax-over-axis-0", ("Softmax", "softmax", "LogSoftmax", "log_softmax"), "Activations",
            "your softmax normalises over axis 0 (each column sums to 1, as if the samples were "
            "columns): torch normalises along dim (dim=-1: each row sums to 1)",
            _softmax_variants(0, "OverAxis0")),
    Mistake("softmax-over-everything", ("Softmax", "softmax", "LogSoftmax", "log_softmax"), "Activations",
            "your softmax normalises over the whole array (a sum without axis=, so all of it "
            "sums to 1): torch normalises each slice along dim separately",
            _softmax_variants(None, "OverEverything")),
    Mistake("softmax-without-max-shift", ("Softmax", "softmax"), "Activations",
            "your softmax overflows on large logits: subtract each row's max before exp "
            "(softmax(z) = softmax(z - max z), and every exponent is then ≤ 0)",
            {"Softmax": patched(snn.Softmax, "SoftmaxWithoutShift", **{"scratch.nn.activation.softmax": naive_softmax}),
             "softmax": naive_softmax}),
    Mistake("log-softmax-without-max-shift", ("LogSoftmax", "log_softmax"), "Activations",
            "your log-softmax overflows on large logits: compute z - max - log(sum(exp(z - max)))",
            {"LogSoftmax": patched(snn.LogSoftmax, "LogSoftmaxWithoutShift", **{"scratch.nn.activation.log_softmax": naive_log_softmax}),
             "log_softmax": naive_log_softmax}),
    Mistake("log-softmax-as-log-of-softmax", ("LogSoftmax", "log_softmax"), "Activations",
            "your log-softmax is -inf where a probability underflowed to 0 (logits hundreds "
            "apart): log(softmax(z)) loses it; compute z - max - log(sum(exp(z - max))), finite "
            "for any logits",
            {"LogSoftmax": patched(snn.LogSoftmax, "LogOfSoftmax", **{"scratch.nn.activation.log_softmax": log_of_softmax}),
             "log_softmax": log_of_softmax}),
    Mistake("batchnorm-biased-running-var", tuple(BATCHNORMS), "Regularisation",
            "your running variance matches torch's with the biased estimator: track the "
            "unbiased one, n/(n-1) times the batch variance you normalise with",
            _each_batchnorm(lambda cls: patched(cls, f"{cls.__name__}BiasedRunningVar", **{"scratch.nn.batchnorm._normalise": _normalise_with(False, True)}))),
    Mistake("batchnorm-eps-outside-sqrt", tuple(BATCHNORMS), "Regularisation",
            "your output matches dividing by sqrt(var) + eps: torch divides by "
            "sqrt(var + eps), eps inside the square root",
            _each_batchnorm(lambda cls: patched(cls, f"{cls.__name__}EpsOutsideSqrt", **{"scratch.nn.batchnorm._normalise": _normalise_with(True, False)}))),
    Mistake("batchnorm-grad-missing-mean-terms", tuple(BATCHNORMS), "Regularisation",
            "your input gradient matches treating the batch mean and variance as constants:"
            " in training they depend on every x, which adds -mean(dx_hat) - x_hat·mean(dx_hat·x_hat)",
            _each_batchnorm(_missing_mean_terms)),
]  # fmt: skip
