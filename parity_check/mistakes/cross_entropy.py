"""Classic mistakes of cross-entropy (the gradient without its 1/N, the log of a softmax that
underflowed, ε added inside the log) and of every loss's backward (the upstream gradient
ignored).

The cross-entropy variants start from scratch's forward, which computes the right loss and
gradient, and change what the mistake changes: the cached gradient, or the loss recomputed
from the wrong log-probabilities (for the same smoothed, masked target as torch's).
"""

from __future__ import annotations

import numpy as np

import scratch.nn as snn
from parity_check.mistakes.base import Mistake
from parity_check.mistakes.losses import _reduced
from scratch.nn.activation import softmax

SECTION = "Losses"


class CrossEntropyGradWithoutMean(snn.CrossEntropyLoss):
    def forward(self, input, target):
        out = super().forward(input, target)
        if self.reduction == "mean":  # the loss is divided by N, the gradient is not:
            self.reduction = "sum"  # the same gradient, undivided (reduction='sum''s)
            try:
                super().forward(input, target)
            finally:
                self.reduction = "mean"
        return out


def _with_log_probs(name: str, log_probs):
    """Cross-entropy whose loss is -Σ t·log_probs(x) for torch's target t (smoothed, ignored
    rows zero); the gradient stays scratch's softmax(x) - t."""

    def forward(self, input, target):
        snn.CrossEntropyLoss.forward(self, input, target)  # checks, the gradient, the count
        x, target = np.asarray(input), np.asarray(target)
        cd, eps = self._class_dim, max(self.label_smoothing, 0.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            logp = np.moveaxis(log_probs(x, cd), cd, -1)
        C = logp.shape[-1]
        if target.dtype.kind in "iu":
            keep = target != self.ignore_index
            t = (np.arange(C) == np.where(keep, target, -1)[..., None]).astype(x.dtype)
            count = keep.sum()
        else:
            keep, t = np.ones(logp.shape[:-1], bool), np.moveaxis(target.astype(x.dtype), cd, -1)
            count = keep.size
        t = (1 - eps) * t + np.where(keep[..., None], eps / C, 0)
        with np.errstate(invalid="ignore"):  # a zero target weight never meets the log
            l = -np.where(t != 0, t * logp, 0).sum(axis=-1)
        return np.asarray(_reduced(self, l, count), x.dtype)

    return type(name, (snn.CrossEntropyLoss,), {"forward": forward, "__qualname__": name})


def _log_of_softmax(x, dim):
    return np.log(softmax(x, dim))  # -inf once a probability underflows to 0


def _log_of_softmax_plus_eps(x, dim):
    return np.log(softmax(x, dim) + 1e-7)


CrossEntropyLogOfSoftmax = _with_log_probs("CrossEntropyLogOfSoftmax", _log_of_softmax)
CrossEntropyEpsInLog = _with_log_probs("CrossEntropyEpsInLog", _log_of_softmax_plus_eps)


def _ignoring_upstream(cls: type) -> type:
    """``cls`` whose backward(grad_output) returns d(loss)/d(input) as if grad_output were 1."""

    def backward(self, grad_output=1.0):
        return cls.backward(self, 1.0)

    name = f"{cls.__name__}BackwardIgnoresUpstream"
    return type(name, (cls,), {"backward": backward, "__qualname__": name})


LOSSES = ("MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "FocalLoss")

MISTAKES = [
    Mistake("cross-entropy-grad-missing-mean", ("CrossEntropyLoss",), SECTION,
            "your gradient matches softmax(x) - target without the 1/N: the mean divides the "
            "loss by N (the targets not ignored), so it divides every row's gradient too",
            CrossEntropyGradWithoutMean),
    Mistake("cross-entropy-log-of-softmax", ("CrossEntropyLoss",), SECTION,
            "your loss is inf where a softmax probability underflowed to 0 (logits far apart): "
            "log(softmax(x)) loses it, torch takes log_softmax(x) = x - max - log Σ exp(x - max), "
            "finite for any logits",
            CrossEntropyLogOfSoftmax),
    Mistake("cross-entropy-eps-in-log", ("CrossEntropyLoss",), SECTION,
            "your loss matches -log(p + 1e-7): torch adds nothing inside the log (it takes "
            "log_softmax, never log 0), so yours is off by up to 1e-7/p, and capped at 16.1 "
            "where p underflows",
            CrossEntropyEpsInLog),
    Mistake("loss-backward-ignores-upstream", LOSSES, SECTION,
            "your backward(grad_output) returns d(loss)/d(input) without multiplying by "
            "grad_output: the chain rule needs it (torch's loss.backward(g) scales every "
            "gradient by g, per element with reduction='none')",
            {name: _ignoring_upstream(getattr(snn, name)) for name in LOSSES}),
]  # fmt: skip
