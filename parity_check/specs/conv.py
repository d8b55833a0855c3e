"""Specs of the convolutions and the pools: Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d,
AdaptiveAvgPool2d, and their functional forms (forward only).

The ``ci`` cases are the configurations of parity_tests/test_conv.py and test_pooling.py that
the catalogued mistakes need: a stride without dilation and a dilation without stride (to
tell the two input-gradient mistakes apart), padding counted and not counted by the average,
and two max-pool cases whose windows tie, as they do after a ReLU (``conv_cases.tied``).
``--thorough`` adds the rest of those tables and configurations drawn from the same spaces
(``conv_cases``). Convolution parameter gradients sum N·OH·OW terms: ``sum_params``.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from parity_check.errors import UnsupportedSetting, UserCodeError
from parity_check.specs.base import Case, Result, Target, basic
from parity_check.specs.conv_cases import conv_draws, conv_terms, distinct, pool_draws, tied
from parity_check.specs.functional_spec import FunctionalSpec
from parity_check.specs.module_spec import ModuleSpec


@contextmanager
def string_padding_optional(case: Case):
    """Torch's warning about an even 'same' kernel silenced (expected), and the user's code
    raising on a string padding ('same', 'valid') a case not supported by that code (a row of the verdict)."""
    padding = case.config.get("padding")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except UserCodeError as err:
        if not isinstance(padding, str):
            raise
        raise UnsupportedSetting(f"padding={padding!r} is not supported: {err}") from None


class ConvSpec(ModuleSpec):
    """A convolution module (see ``string_padding_optional``)."""

    def expected(self, case: Case, dtype: str) -> Result:
        with string_padding_optional(case):
            return super().expected(case, dtype)

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        with string_padding_optional(case):
            return super().actual(target, case, dtype)


class ConvFunctionalSpec(FunctionalSpec):
    """``conv2d``/``conv_transpose2d`` (see ``string_padding_optional``)."""

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        with string_padding_optional(case):
            return super().actual(target, case, dtype)


class PoolSpec(ModuleSpec):
    """A pool: inputs with no ties (``distinct``), where the max's argmax is unambiguous, or,
    in a case with ``setup["ties"]``, full of them (``tied``: torch's first-max rule)."""

    def inputs(self, case: Case, dtype: str, step: int):
        make = tied if case.setup.get("ties") else distinct
        return make(case.setup["shape"], dtype, seed=step)


def conv(label: str, shape: tuple, transposed: bool = False, **config) -> Case:
    return Case(label, config, dict(shape=shape, terms=conv_terms(config, shape, transposed)))


def tconv(label: str, shape: tuple, **config) -> Case:
    return conv(label, shape, True, **config)


def pool(label: str, shape: tuple = (2, 3, 9, 10), ties: bool = False, **config) -> Case:
    return Case(label, config, dict(shape=shape, ties=True) if ties else dict(shape=shape))


CONV = ("in_channels", "out_channels", "kernel_size")

CONV2D = [
    basic(conv("3x3", (2, 3, 7, 6), in_channels=3, out_channels=4, kernel_size=3)),
    conv("3x3, padding 1", (2, 3, 7, 6), in_channels=3, out_channels=4, kernel_size=3, padding=1),
    conv("stride 2", (2, 3, 9, 8), in_channels=3, out_channels=4, kernel_size=3, stride=2),
    conv("dilation 2, padding 2", (2, 2, 9, 9), in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding=2),
    conv("depthwise, no bias", (2, 4, 7, 7), in_channels=4, out_channels=4, kernel_size=3, padding=1, groups=4, bias=False),
    conv("rectangular, stride (2, 1), padding (0, 1)", (2, 2, 7, 9), in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1), padding=(0, 1)),
    conv("'same', even kernel", (2, 2, 6, 7), in_channels=2, out_channels=3, kernel_size=4, padding="same"),
]  # fmt: skip
CONV2D_MORE = [
    conv("'valid'", (2, 2, 6, 7), in_channels=2, out_channels=3, kernel_size=3, padding="valid"),
    conv("pointwise 1x1", (2, 4, 5, 5), in_channels=4, out_channels=6, kernel_size=1),
    conv("grouped", (2, 4, 6, 6), in_channels=4, out_channels=6, kernel_size=3, groups=2),
    conv("depthwise x2", (2, 3, 7, 7), in_channels=3, out_channels=6, kernel_size=3, groups=3),
    conv("'same', dilated", (1, 2, 8, 8), in_channels=2, out_channels=2, kernel_size=(2, 3), dilation=(3, 2), padding="same"),
    conv("stride 2, dilation 2", (2, 2, 11, 10), in_channels=2, out_channels=2, kernel_size=3, stride=2, dilation=2, padding=1),
    *conv_draws(12),
]  # fmt: skip
TRANSPOSED = [
    basic(tconv("3x3", (2, 3, 4, 5), in_channels=3, out_channels=2, kernel_size=3)),
    tconv("upsample x2", (2, 3, 4, 5), in_channels=3, out_channels=2, kernel_size=2, stride=2),
    tconv("stride 2, padding 1, output_padding 1", (2, 3, 4, 4), in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1),
    tconv("grouped, dilated", (2, 4, 4, 5), in_channels=4, out_channels=6, kernel_size=3, groups=2, dilation=2),
    tconv("no bias, rectangular", (2, 2, 3, 4), in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), bias=False),
]  # fmt: skip
TRANSPOSED_MORE = [
    tconv("output_padding < dilation", (1, 2, 3, 3), in_channels=2, out_channels=2, kernel_size=2, dilation=3, output_padding=2),
    *conv_draws(12, transposed=True),
]  # fmt: skip
# a pool's basic case is the course's 2x2 window at its default stride (the kernel size)
MAX = [
    basic(pool("2x2", kernel_size=2)),
    pool("3x3/2, padding 1", kernel_size=3, stride=2, padding=1),
    pool("ceil_mode, padding 1", kernel_size=3, stride=2, padding=1, ceil_mode=True),
    pool("dilation 2", kernel_size=3, stride=1, dilation=2),
    pool("rectangular", kernel_size=(3, 2), stride=(2, 3), padding=(1, 0)),
    pool("2x2, ties after a ReLU", (2, 2, 6, 6), ties=True, kernel_size=2),
    pool("3x3/2, padding 1, ties after a ReLU", (2, 2, 7, 7), ties=True, kernel_size=3, stride=2, padding=1),
]  # fmt: skip
AVG = [
    basic(pool("2x2", kernel_size=2)),
    pool("3x3/2, padding 1 (counted)", kernel_size=3, stride=2, padding=1),
    pool("3x3/2, padding 1, count_include_pad=False", kernel_size=3, stride=2, padding=1, count_include_pad=False),
    pool("ceil_mode, padding 2, count_include_pad=False", kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False),
]  # fmt: skip
AVG_MORE = [
    pool("ceil_mode, padding 2 (counted)", kernel_size=4, stride=3, padding=2, ceil_mode=True),
    pool("divisor_override", kernel_size=(3, 2), stride=(2, 1), divisor_override=5),
]  # fmt: skip
ADAPTIVE = [pool(f"output_size={s}", output_size=s) for s in (1, (3, 4), (5, None), (4, 7))]
basic(ADAPTIVE[0])  # global average pooling
ADAPTIVE_MORE = [pool(f"output_size={s}", output_size=s) for s in ((9, 10), (12, 13), (2, 1))]


def module(name: str, cases, more, cls=ConvSpec, **kw) -> ModuleSpec:
    return cls(name, getattr(torch.nn, name), f"scratch.nn.{name}", cases, thorough=more, **kw)


# -- the functional forms: arrays first, then torch's leading settings, the rest by name --------
def fcase(label: str, shapes: dict, **config) -> Case:
    return Case(label, config, dict(shapes=shapes))


def xwb(x: tuple, w: tuple, bias: int | None) -> dict:
    return dict(input=x, weight=w, bias=None if bias is None else (bias,))


CONV_DEFAULTS = dict(stride=1, padding=0, dilation=1, groups=1, output_padding=0)
POOL_DEFAULTS = dict(stride=None, padding=0, dilation=1, ceil_mode=False,
                     count_include_pad=True, divisor_override=None)  # fmt: skip
X = dict(input=(2, 3, 9, 10))


def functional(name: str, cases, positional=(), pooled=False) -> FunctionalSpec:
    defaults = POOL_DEFAULTS if pooled else CONV_DEFAULTS
    cls = FunctionalSpec if pooled else ConvFunctionalSpec
    return cls(name, getattr(F, name), f"scratch.functional.{name}", cases, positional=positional,
               defaults=defaults, make=distinct if pooled else None)  # fmt: skip


SPECS = [
    module("Conv2d", CONV2D, CONV2D_MORE, positional=CONV, sum_params=True),
    module("ConvTranspose2d", TRANSPOSED, TRANSPOSED_MORE, positional=CONV, sum_params=True),
    module("MaxPool2d", MAX, [*MAX[2:3], *pool_draws(12, average=False)], PoolSpec, positional=("kernel_size",)),
    module("AvgPool2d", AVG, [*AVG_MORE, *pool_draws(12, average=True)], PoolSpec, positional=("kernel_size",)),
    module("AdaptiveAvgPool2d", ADAPTIVE, ADAPTIVE_MORE, PoolSpec, positional=("output_size",)),
    functional("conv2d", [
        basic(fcase("3x3", xwb((2, 3, 7, 6), (4, 3, 3, 3), 4))),
        fcase("padding 1", xwb((2, 3, 7, 6), (4, 3, 3, 3), 4), padding=1),
        fcase("stride 2, padding 1, groups 2", xwb((2, 4, 7, 6), (6, 2, 3, 3), 6), stride=2, padding=1, groups=2),
        fcase("dilation 2, no bias", xwb((2, 3, 8, 8), (4, 3, 3, 3), None), dilation=2),
        fcase("'same'", xwb((1, 2, 6, 7), (3, 2, 3, 4), 3), padding="same"),
    ]),
    functional("conv_transpose2d", [
        basic(fcase("3x3", xwb((2, 3, 4, 5), (3, 2, 3, 3), 2))),
        fcase("stride 2", xwb((2, 3, 4, 5), (3, 2, 3, 3), 2), stride=2),
        fcase("stride 2, padding 1, output_padding 1, groups 2", xwb((2, 4, 5, 6), (4, 3, 3, 3), 6), stride=2, padding=1, output_padding=1, groups=2),
        fcase("dilation 2, no bias", xwb((2, 3, 4, 5), (3, 2, 3, 3), None), dilation=2),
    ]),
    functional("max_pool2d", [
        basic(fcase("2x2", X, kernel_size=2)),
        fcase("3x3/2, padding 1, ceil_mode", X, kernel_size=3, stride=2, padding=1, ceil_mode=True),
        fcase("dilation 2", X, kernel_size=3, stride=1, dilation=2),
    ], ("kernel_size",), pooled=True),
    functional("avg_pool2d", [
        basic(fcase("2x2", X, kernel_size=2)),
        fcase("3x3/2, padding 1 (counted)", X, kernel_size=3, stride=2, padding=1),
        fcase("3x3/2, padding 1, count_include_pad=False", X, kernel_size=3, stride=2, padding=1, count_include_pad=False),
        fcase("ceil_mode, padding 2, count_include_pad=False", X, kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False),
    ], ("kernel_size",), pooled=True),
    functional("adaptive_avg_pool2d", [
        basic(fcase("output_size=1", X, output_size=1)),
        fcase("output_size=(4, 3)", X, output_size=(4, 3)),
    ], ("output_size",), pooled=True),
]  # fmt: skip
