"""Classic mistakes of dropout: survivors not scaled by 1/(1 - p), dropping in eval mode, p
taken as the keep probability (CS231n's convention), and the original non-inverted dropout."""

from __future__ import annotations

import functools
from unittest import mock

import numpy as np

import scratch.functional as sf
import scratch.nn as snn
from parity_check.mistakes.base import Mistake
from parity_check.mistakes.conv import patched_function
from parity_check.mistakes.inject import patched

SCALE = "scratch.nn.dropout._scaled_mask"  # scratch's mask / (1 - p)


def _unscaled_mask(mask: np.ndarray, p: float, dtype: np.dtype) -> np.ndarray:
    return mask.astype(dtype)  # the keep-mask itself: no 1/(1 - p)


class DropoutInEval(snn.Dropout):
    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        training, self.training = self.training, True  # drops whatever the mode
        try:
            return super().forward(x, mask)
        finally:
            self.training = training


@functools.wraps(sf.dropout)
def dropout_in_eval(x, p=0.5, training=True, **kwargs):
    return sf.dropout(x, p, True, **kwargs)  # training ignored


class DropoutPIsKeepProbability(snn.Dropout):
    def __init__(self, p: float = 0.5, **kwargs) -> None:
        super().__init__(1 - p, **kwargs)  # keeps each unit with probability p


@functools.wraps(sf.dropout)
def dropout_p_is_keep_probability(x, p=0.5, training=True, **kwargs):
    return sf.dropout(x, 1 - p, training, **kwargs)


class DropoutNotInverted(snn.Dropout):
    """The 2014 paper's dropout: survivors unscaled in training, the output × (1 - p) in eval."""

    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        if self.training:
            with mock.patch(SCALE, _unscaled_mask):
                return super().forward(x, mask)
        x = np.asarray(x)
        self._cache = (np.asarray(1 - self.p, x.dtype),)  # backward: grad_output × (1 - p)
        return x * self._cache[0]


@functools.wraps(sf.dropout)
def dropout_not_inverted(x, p=0.5, training=True, **kwargs):
    if training:
        with mock.patch(SCALE, _unscaled_mask):
            return sf.dropout(x, p, True, **kwargs)
    x = np.asarray(x)
    return x * np.asarray(1 - p, x.dtype)


MISTAKES = [
    Mistake("dropout-without-scaling", ("Dropout", "dropout"), "Regularisation",
            "your kept outputs equal the input: torch scales the survivors by 1/(1 - p) in "
            "training (inverted dropout), so the expected output stays x and eval needs no rescaling",
            {"Dropout": patched(snn.Dropout, "DropoutWithoutScaling", **{SCALE: _unscaled_mask}),
             "dropout": patched_function(sf.dropout, SCALE, _unscaled_mask)}),
    Mistake("dropout-in-eval", ("Dropout", "dropout"), "Regularisation",
            "your output drops elements in eval mode: after eval() (training=False) dropout is "
            "the identity, output = input and its gradient = grad_output",
            {"Dropout": DropoutInEval, "dropout": dropout_in_eval}),
    Mistake("dropout-p-is-keep-probability", ("Dropout", "dropout"), "Regularisation",
            "your dropout keeps each element with probability p and scales survivors by 1/p "
            "(CS231n's dropout_param['p'] is the keep probability): torch's p is the probability "
            "of dropping, so it keeps with 1 - p and scales by 1/(1 - p); yours equals torch with "
            "p replaced by 1 - p",
            {"Dropout": DropoutPIsKeepProbability, "dropout": dropout_p_is_keep_probability}),
    Mistake("dropout-not-inverted", ("Dropout", "dropout"), "Regularisation",
            "your dropout leaves the survivors unscaled in training and scales the output by "
            "1 - p in eval (the original, non-inverted dropout): torch scales the survivors by "
            "1/(1 - p) in training, so eval is the identity",
            {"Dropout": DropoutNotInverted, "dropout": dropout_not_inverted}),
]  # fmt: skip
