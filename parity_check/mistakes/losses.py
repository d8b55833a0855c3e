"""Classic mistakes in the losses: MSE's gradient, BCE's clamps, cross-entropy's ignored targets
and label smoothing, the focal loss's α.

Each variant is scratch's loss with one change, made after scratch's forward has computed the
right numbers: the loss and the cached gradient (``_cache``, d(reduced loss)/d(input)) are
adjusted, so the rest (reductions, checks, dtype) stays scratch's.
"""

from __future__ import annotations

import numpy as np

import scratch.nn as snn
from parity_check.mistakes.base import Mistake
from scratch.nn.activation import log_softmax


def _reduced(loss, per_element: np.ndarray, count: int):
    """``per_element`` reduced as ``loss`` reduces (the mean over ``count``)."""
    if loss.reduction == "mean":
        return per_element.sum() / count
    return per_element.sum() if loss.reduction == "sum" else per_element


# -- MSE ------------------------------------------------------------------------------------------
class MSEGradWithout2(snn.MSELoss):
    def forward(self, input, target):
        out = super().forward(input, target)
        self._cache = self._cache / 2  # d/dx (x - y)² taken as (x - y)
        return out


class MSEGradWithoutMean(snn.MSELoss):
    def forward(self, input, target):
        out = super().forward(input, target)
        if self.reduction == "mean":  # the loss divides by N, the gradient does not
            self._cache = (2 * (np.asarray(input) - np.asarray(target))).astype(self._cache.dtype)
        return out


class MSEGradSignFlipped(snn.MSELoss):
    def forward(self, input, target):
        out = super().forward(input, target)
        self._cache = -self._cache  # 2(target - input): the derivative w.r.t. the target
        return out


# -- BCE ------------------------------------------------------------------------------------------
class BCEWithoutLogClamp(snn.BCELoss):
    """-[y log p + (1-y) log(1-p)] and (p - y)/(p(1-p)) as written: inf and NaN at p ∈ {0, 1}."""

    def forward(self, input, target):
        p, y = np.asarray(input), np.asarray(target).astype(input.dtype)
        super().forward(input, target)  # scratch's checks and shape
        with np.errstate(divide="ignore", invalid="ignore"):
            l = -(y * np.log(p) + (1 - y) * np.log1p(-p))
            dl = (p - y) / (p * (1 - p))
        return self._weighted(l, dl, p)

    def _weighted(self, l, dl, p):
        w = 1 if self.weight is None else self.weight.astype(p.dtype)
        with np.errstate(invalid="ignore"):
            return self._reduce(np.asarray(w * l, p.dtype), np.asarray(w * dl, p.dtype))


class BCEClipped(BCEWithoutLogClamp):
    """The course's p = clip(p, 1e-7, 1 - 1e-7) before the logs, and the gradient at that p."""

    def forward(self, input, target):
        p, y = np.asarray(input), np.asarray(target).astype(input.dtype)
        snn.BCELoss.forward(self, input, target)
        p = np.clip(p, 1e-7, 1 - 1e-7)
        l = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        return self._weighted(l, (p - y) / (p * (1 - p)), p)


class BCEWithLogitsViaSigmoid(snn.BCEWithLogitsLoss):
    """log σ(x) and log(1 - σ(x)) of a computed σ: -inf once σ rounds to 0 or 1 (``|x|`` ≳ 37)."""

    def forward(self, input, target):
        super().forward(input, target)  # keeps scratch's gradient, σ(x) - y (weighted)
        x, y = np.asarray(input), np.asarray(target).astype(input.dtype)
        pw = 1 if self.pos_weight is None else self.pos_weight.astype(x.dtype)
        w = 1 if self.weight is None else self.weight.astype(x.dtype)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            p = 1 / (1 + np.exp(-x))
            l = -w * (pw * y * np.log(p) + (1 - y) * np.log(1 - p))
            return np.asarray(_reduced(self, l, l.size), x.dtype)


# -- cross-entropy --------------------------------------------------------------------------------
class CrossEntropyMeanCountsIgnored(snn.CrossEntropyLoss):
    def _mean_denominator(self, kept_weight, targets):
        return targets  # the mean over every target, ignored ones too


def _smoothing_variant(name: str, delta):
    """Cross-entropy whose smoothed target is torch's plus ``delta(t, ε, C)``, on (..., C) one-hot
    or probability targets; the gradient is the usual softmax - target for that target."""

    def forward(self, input, target):
        out = snn.CrossEntropyLoss.forward(self, input, target)
        eps = self.label_smoothing
        if eps == 0:
            return out
        x, target = np.asarray(input), np.asarray(target)
        cd = self._class_dim
        logp = np.moveaxis(log_softmax(x, cd), cd, -1)
        C = logp.shape[-1]
        if target.dtype.kind in "iu":
            keep = target != self.ignore_index
            t = (np.arange(C) == np.where(keep, target, -1)[..., None]).astype(x.dtype)
        else:
            keep, t = np.ones(logp.shape[:-1], bool), np.moveaxis(target.astype(x.dtype), cd, -1)
        d = delta(t, eps, C) * keep[..., None]  # t' - torch's smoothed target
        count = keep.sum() if target.dtype.kind in "iu" else keep.size
        scale = 1 / count if self.reduction == "mean" else 1
        self._cache = (self._cache - np.moveaxis(d, -1, cd) * scale).astype(x.dtype)
        return np.asarray(out + _reduced(self, -(d * logp).sum(axis=-1), count), x.dtype)

    return type(name, (snn.CrossEntropyLoss,), {"forward": forward, "__qualname__": name})


# t' = t + ε/C: torch's (1-ε)t + ε/C plus ε·t
SmoothingTrueClassNotScaled = _smoothing_variant("SmoothingTrueClassNotScaled", lambda t, eps, C: eps * t)  # fmt: skip
# t' = (1-ε)t + ε/(C-1) on the other classes: torch's plus ε((1-t)/(C-1) - 1/C)
SmoothingOverOtherClasses = _smoothing_variant("SmoothingOverOtherClasses", lambda t, eps, C: eps * ((1 - t) / (C - 1) - 1 / C))  # fmt: skip


# -- focal loss -----------------------------------------------------------------------------------
class FocalAlphaOnEveryExample(snn.FocalLoss):
    def forward(self, input, target):
        alpha, self.alpha = self.alpha, -1.0  # scratch's loss without α_t ...
        try:
            out = super().forward(input, target)
        finally:
            self.alpha = alpha
        if alpha < 0:
            return out
        self._cache = (self._cache * alpha).astype(self._cache.dtype)  # ... times α everywhere
        return np.asarray(out * alpha, self._cache.dtype)


MISTAKES = [
    Mistake("mse-grad-missing-2", ("MSELoss",), "Losses",
            "your gradient is half of torch's: d/dx (x - y)² = 2(x - y), and the 2 stays",
            MSEGradWithout2),
    Mistake("mse-grad-missing-mean", ("MSELoss",), "Losses",
            "your gradient matches 2(x - y) without the 1/N: the mean divides the loss by the "
            "number of elements, so it divides every element's gradient too",
            MSEGradWithoutMean),
    Mistake("mse-grad-sign-flipped", ("MSELoss",), "Losses",
            "your gradient is torch's with the sign flipped, 2(target - input): that is the "
            "derivative w.r.t. the target; check the argument order (--target-first)",
            MSEGradSignFlipped),
    Mistake("bce-without-log-clamp", ("BCELoss",), "Losses",
            "your BCE gives inf or NaN at p = 0 or 1: torch clamps each log at -100 (loss 100, "
            "never 0·log 0) and p(1-p) in the gradient at 1e-12",
            BCEWithoutLogClamp),
    Mistake("bce-clip-instead-of-log-clamp", ("BCELoss",), "Losses",
            "your BCE clips p to [1e-7, 1 - 1e-7] (the course's form): at p = 0 or 1 it gives "
            "-log(1e-7) ≈ 16.1 where torch clamps each log at -100 (loss 100) and p(1-p) at 1e-12",
            BCEClipped),
    Mistake("bce-with-logits-via-sigmoid", ("BCEWithLogitsLoss",), "Losses",
            "your loss takes log of a computed sigmoid, which is inf once σ(x) rounds to 0 or 1: "
            "torch uses the fused form (1-y)x + log(1 + e^-x), written with |x| so it never overflows",
            BCEWithLogitsViaSigmoid),
    Mistake("cross-entropy-mean-counts-ignored", ("CrossEntropyLoss",), "Losses",
            "your mean divides by every target, ignored ones included: torch divides by the "
            "number of targets that are not ignore_index",
            CrossEntropyMeanCountsIgnored),
    Mistake("label-smoothing-true-class-not-scaled", ("CrossEntropyLoss",), "Losses",
            "your smoothed target is one_hot + ε/C, which sums to 1 + ε: torch's is "
            "(1 - ε)·one_hot + ε/C",
            SmoothingTrueClassNotScaled),
    Mistake("label-smoothing-over-other-classes", ("CrossEntropyLoss",), "Losses",
            "your smoothed target gives 1 - ε to the true class and ε/(C-1) to each other one: "
            "torch's spreads ε over all C classes, (1 - ε)·one_hot + ε/C",
            SmoothingOverOtherClasses),
    Mistake("focal-alpha-on-every-example", ("FocalLoss",), "Losses",
            "your focal loss weights every example by α (the course's form): torchvision "
            "weights positives by α and negatives by 1 - α",
            FocalAlphaOnEveryExample),
]  # fmt: skip
