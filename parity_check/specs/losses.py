"""Specs of the losses: MSE, BCE, BCE with logits, cross-entropy and torchvision's focal loss.

The cases are ``test_loss.py``'s: each reduction, class-index and probability targets, label
smoothing, ignored targets, per-element weights, cross-entropy's per-class weights, probabilities of
exactly 0 and 1 (torch clamps BCE's log at -100), logits of ±1e4 and tied logits. Each catalogued mistake changes the numbers of at least
one ci case, and no two mistakes of a loss change them alike.
"""

from __future__ import annotations

import numpy as np

import torch_ref.nn.loss as tnn
from parity_check.core.harness import PROFILES, randn
from parity_check.specs.base import TIED_LOGITS, Case, basic
from parity_check.specs.loss_spec import LossSpec


def C(label: str, input, target, **config) -> Case:
    return Case(label, config, {"input": input, "target": target})


def _dtype(d: str):
    return PROFILES[d].np_dtype


def normal(shape, seed=0, scale=1.0):
    return lambda d: randn(shape, d, seed, scale=scale)


def probs(shape, seed=2):
    """Probabilities inside (0.02, 0.98), away from BCE's clamps."""
    return lambda d: (0.02 + 0.96 / (1 + np.exp(-randn(shape, "float64", seed)))).astype(_dtype(d))


def binary(shape, seed=3):
    return lambda d: (np.random.default_rng(seed).random(shape) < 0.5).astype(_dtype(d))


def soft(shape, seed=4):
    return lambda d: np.random.default_rng(seed).random(shape).astype(_dtype(d))


def labels(shape, classes, seed=5):
    return lambda d: np.random.default_rng(seed).integers(0, classes, shape)


def class_probs(shape, seed=6):
    def make(d):
        p = np.random.default_rng(seed).random(shape)
        return (p / p.sum(axis=1, keepdims=True)).astype(_dtype(d))

    return make


def fixed(values, integer=False):
    return lambda d: np.array(values, dtype=np.int64 if integer else _dtype(d))


WEIGHT = np.linspace(0.5, 2.0, 3)  # one weight per column of a (6, 3) input
CLASS_WEIGHT = np.array([0.2, 1.0, 3.0, 0.6])  # CrossEntropyLoss(weight=): one per class of 4
EXTREME = [[-1e4, 5.0, 1e4], [1e4, -1e4, 3.0]]  # exp(1e4) overflows even in float64
# p ∈ {0, 1} with both labels: torch's log clamp gives 100 where -log(0) = inf (and 0, not
# 0·log(0) = NaN, where the label makes that term vanish)
P_EDGES = [[0.0, 1.0, 0.5, 1.0], [0.0, 0.3, 1.0, 0.02]]
Y_EDGES = [[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0]]

MSE = LossSpec("MSELoss", tnn.MSELoss, "scratch.nn.MSELoss", [
    basic(C("mean", normal((4, 5)), normal((4, 5), 7))),
    C("sum", normal((4, 5)), normal((4, 5), 7), reduction="sum"),
    C("none", normal((3, 4)), normal((3, 4), 7), reduction="none"),
], thorough=[C("mean, (2, 3, 4)", normal((2, 3, 4), 1), normal((2, 3, 4), 8))])  # fmt: skip

BCE = LossSpec("BCELoss", tnn.BCELoss, "scratch.nn.BCELoss", [
    basic(C("mean", probs((6, 3)), binary((6, 3)))),
    C("sum, soft targets", probs((8,)), soft((8,)), reduction="sum"),
    C("none", probs((6, 3)), binary((6, 3)), reduction="none"),
    C("weight, mean", probs((6, 3)), binary((6, 3)), weight=WEIGHT),
    C("p exactly 0 and 1", fixed(P_EDGES), fixed(Y_EDGES)),
], thorough=[C("p exactly 0 and 1, none", fixed(P_EDGES), fixed(Y_EDGES), reduction="none")])  # fmt: skip

BCE_LOGITS = LossSpec("BCEWithLogitsLoss", tnn.BCEWithLogitsLoss, "scratch.nn.BCEWithLogitsLoss", [
    basic(C("mean", normal((6, 3), scale=3), binary((6, 3)))),
    C("none", normal((6, 3), scale=3), binary((6, 3)), reduction="none"),
    C("pos_weight, mean", normal((6, 3)), binary((6, 3)), pos_weight=WEIGHT),
    C("weight, sum", normal((6, 3)), soft((6, 3)), reduction="sum", weight=WEIGHT),
    C("logits ±1e4", fixed(EXTREME), fixed([[1.0, 0.0, 1.0]] * 2)),
])  # fmt: skip

CROSS_ENTROPY = LossSpec("CrossEntropyLoss", tnn.CrossEntropyLoss, "scratch.nn.CrossEntropyLoss", [
    basic(C("class indices, mean", normal((7, 4), scale=2), labels((7,), 4))),
    C("probabilities, sum", normal((5, 6)), class_probs((5, 6)), reduction="sum"),
    C("(N, C, H, W), none", normal((2, 3, 4, 5)), labels((2, 4, 5), 3), reduction="none"),
    C("label_smoothing=0.1", normal((7, 4)), labels((7,), 4), label_smoothing=0.1),
    C("label_smoothing=0.3, probabilities", normal((5, 6)), class_probs((5, 6)), label_smoothing=0.3),
    C("ignore_index=2 (3 of 9 ignored), mean", normal((9, 4)), labels((9,), 4), ignore_index=2),
    C("logits ±1e4", fixed(EXTREME), fixed([0, 1], integer=True)),
    # class imbalance: the weighted mean divides by Σ weight[target], not by N
    C("weight (per class), mean", normal((7, 4), scale=2), labels((7,), 4), weight=CLASS_WEIGHT),
    C("tied logits", fixed(TIED_LOGITS), fixed([1, 2, 3], integer=True)),
], thorough=[
    C("weight, ignore_index=2, label_smoothing=0.2", normal((9, 4)), labels((9,), 4), weight=CLASS_WEIGHT, ignore_index=2, label_smoothing=0.2),
    C("ignore_index=2, label_smoothing=0.2", normal((9, 4)), labels((9,), 4), ignore_index=2, label_smoothing=0.2),
    C("ignore_index=2, sum", normal((9, 4)), labels((9,), 4), ignore_index=2, reduction="sum"),
    C("unbatched (C,)", normal((5,)), fixed(3, integer=True)),
])  # fmt: skip

FOCAL = LossSpec("FocalLoss", tnn.FocalLoss, "scratch.nn.FocalLoss", [
    basic(C("mean", normal((6, 3), scale=2), binary((6, 3)))),
    C("none", normal((6, 3), scale=2), binary((6, 3)), reduction="none"),
    C("alpha=0.5, gamma=1.5, soft targets, sum", normal((6, 3)), soft((6, 3)), alpha=0.5, gamma=1.5, reduction="sum"),
    # saturated and right: exp(1e4) must not overflow, 0·log(0) must not give NaN
    C("logits ±1e4, confident and right", fixed([[1e4, -1e4, 2.0], [-1e4, 1e4, -1.5]]), fixed([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])),
], thorough=[
    C("alpha=-1 (off), gamma=0", normal((6, 3)), binary((6, 3)), alpha=-1.0, gamma=0.0),
    C("gamma=0.5, sum", normal((6, 3), scale=2), binary((6, 3)), gamma=0.5, reduction="sum"),
], twin="torchvision.ops.sigmoid_focal_loss", logits=True)  # fmt: skip

SPECS = [MSE, BCE, BCE_LOGITS, CROSS_ENTROPY, FOCAL]
