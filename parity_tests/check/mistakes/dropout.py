"""Classic mistakes of dropout: survivors not scaled by 1/(1 - p), and dropping in eval mode."""

from __future__ import annotations

import functools

import numpy as np

import scratch.functional as sf
import scratch.nn as snn
from parity_tests.check.mistakes.base import Mistake
from parity_tests.check.mistakes.conv import patched_function
from parity_tests.check.mistakes.inject import patched


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


SCALE = "scratch.nn.dropout._scaled_mask"

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
]  # fmt: skip
