"""Classic mistakes in weight initialisation: which fan, and what a uniform's bound is.

Each variant is scratch's initialiser run with one of scratch.nn.init's own helpers swapped
for a wrong one (the rest, sampling included, is scratch's), or, for the uniform bound, the
scratch std handed to ``uniform_`` as the bound.

Xavier/Glorot uses fan_in + fan_out, symmetric in the two fans, so swapping them there cannot
be wrong: "fans swapped" is a mistake of He/Kaiming (and LeCun), which pick one fan.
"""

from __future__ import annotations

import functools
import math
from unittest import mock

import scratch.nn.init as si
from parity_check.mistakes.base import Mistake

SECTION = "Initialisation"


def _with_helper(fn, helper: str, wrong):
    """``fn`` running with ``scratch.nn.init.<helper>`` replaced by ``wrong``."""

    @functools.wraps(fn)  # the checker reads the signature through __wrapped__
    def variant(*args, **kwargs):
        with mock.patch(f"scratch.nn.init.{helper}", wrong):
            return fn(*args, **kwargs)

    return variant


def fans_swapped(tensor, mode):
    """mode='fan_in' answered with fan_out and back: as if the weight were (in, out)."""
    fan_in, fan_out = si.calculate_fan_in_and_fan_out(tensor)
    return fan_out if mode.lower() == "fan_in" else fan_in


def fans_without_receptive_field(tensor):
    """(in, out) channels only: a conv weight (out, in, kh, kw) counted as a Linear (out, in)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("fans need a tensor of at least 2 dimensions")
    return shape[1], shape[0]


def xavier_uniform_bound_is_std(tensor, gain=1.0, generator=None):
    std = gain * math.sqrt(2.0 / sum(si.calculate_fan_in_and_fan_out(tensor)))
    return si.uniform_(tensor, -std, std, generator)


def kaiming_uniform_bound_is_std(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu",
                                 generator=None):  # fmt: skip
    std = si.calculate_gain(nonlinearity, a) / math.sqrt(si._calculate_correct_fan(tensor, mode))
    return si.uniform_(tensor, -std, std, generator)


KAIMING = ("kaiming_uniform_", "kaiming_normal_", "lecun_normal_")
FANS = ("xavier_uniform_", "xavier_normal_", *KAIMING)

MISTAKES = [
    Mistake("kaiming-fans-swapped", KAIMING, SECTION,
            "your std matches He/LeCun init with the other fan (fan_out for mode='fan_in'): torch's "
            "weight is (out_features, in_features, *kernel), so fan_in = shape[1]·kh·kw (the "
            "course's W of shape (n_in, n_out) is the transpose)",
            {name: _with_helper(getattr(si, name), "_calculate_correct_fan", fans_swapped) for name in KAIMING}),
    Mistake("fans-without-receptive-field", (*FANS, "calculate_fan_in_and_fan_out"), SECTION,
            "your fans match a conv weight counted as a Linear one: for (out, in, kh, kw) torch "
            "multiplies by the receptive field, fan_in = in·kh·kw and fan_out = out·kh·kw",
            {"calculate_fan_in_and_fan_out": fans_without_receptive_field,
             **{name: _with_helper(getattr(si, name), "calculate_fan_in_and_fan_out", fans_without_receptive_field) for name in FANS}}),
    Mistake("uniform-bound-is-std", ("xavier_uniform_", "kaiming_uniform_"), SECTION,
            "your uniform's bound is the std the normal version uses: U(-b, b) has std b/√3, so "
            "torch's bound is √3·std (Glorot: √(6/(fan_in + fan_out)); He: gain·√(3/fan))",
            {"xavier_uniform_": xavier_uniform_bound_is_std, "kaiming_uniform_": kaiming_uniform_bound_is_std}),
]  # fmt: skip
