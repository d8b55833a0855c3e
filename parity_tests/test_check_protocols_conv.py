"""parity-check drives convolutions, dropout and attention written in other styles than scratch's.

A CS231n-style convolution (arrays ``W``, ``b`` with gradients ``dW``, ``db``, loops over the
output positions, no dilation, groups or string padding) passes on the cases it can run and
is diagnosed when its backward forgets the stride; parameters are found by name, shape or
``--map``, and an ambiguous mapping names its candidates. The course's
``scaled_dot_product_attention(Q, K, V, mask)`` returning (output, weights) passes; scratch's
forward/backward pair is checked through ``--derivative``; a Dropout with a ``rate`` and a
``training`` attribute passes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parity_check.api import check
from parity_check.errors import UsageError
from scratch.nn.attention import (
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
)


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class ConvNaive:
    """CS231n's conv layer as a class: loops over the output positions, W (F, C, HH, WW)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad=0):
        rng = np.random.default_rng(0)
        self.W = rng.standard_normal((out_channels, in_channels, *pair(kernel_size)))
        self.b = np.zeros(out_channels)
        self.stride, self.pad = pair(stride), pair(pad)

    def windows(self):
        (sh, sw), (_, _, kh, kw) = self.stride, self.W.shape
        oh, ow = (self.xp.shape[2] - kh) // sh + 1, (self.xp.shape[3] - kw) // sw + 1
        for i in range(oh):
            for j in range(ow):
                yield i, j, (slice(None), slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))  # fmt: skip

    def forward(self, x):
        (ph, pw), (sh, sw), kh, kw = self.pad, self.stride, *self.W.shape[2:]
        self.x_shape, self.xp = x.shape, np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        oh, ow = (self.xp.shape[2] - kh) // sh + 1, (self.xp.shape[3] - kw) // sw + 1
        out = np.empty((x.shape[0], self.W.shape[0], oh, ow), x.dtype)
        for i, j, win in self.windows():
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", self.xp[win], self.W) + self.b
        return out

    def backward(self, dout):
        dxp, self.dW = np.zeros_like(self.xp), np.zeros_like(self.W)
        for i, j, win in self.windows():
            self.dW += np.einsum("nf,nchw->fchw", dout[:, :, i, j], self.xp[win])
            dxp[self.dx_window(i, j, win)] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], self.W)
        self.db = dout.sum(axis=(0, 2, 3))
        (ph, pw), (_, _, h, w) = self.pad, self.x_shape
        return dxp[:, :, ph : ph + h, pw : pw + w]

    def dx_window(self, i, j, win):
        return win  # each window's gradient goes back to the pixels it read


class ConvNaiveStrideBug(ConvNaive):
    def dx_window(self, i, j, win):
        kh, kw = self.W.shape[2:]
        return (slice(None), slice(None), slice(i, i + kh), slice(j, j + kw))  # no i·stride


def test_cs231n_conv_passes_on_the_cases_it_can_run():
    verdict = check("Conv2d", ConvNaive)
    assert verdict.passed, verdict.failures()[:3]
    cases = {r.case for r in verdict.rows if r.compared}
    assert {"3x3, padding 1", "stride 2"} <= cases and "dilation 2, padding 2" not in cases
    assert verdict.in_scope and any("dilation=2" in t for t in verdict.not_covered)
    assert "padding passed as pad" in " ".join(verdict.notes)


def test_loop_conv_that_forgets_the_stride_is_named():
    verdict = check("Conv2d", ConvNaiveStrideBug)
    assert not verdict.passed
    assert verdict.diagnosis.mistake == "conv-grad-stride-ignored", verdict.diagnosis


def conv_forward(x, w, b=None, stride=1, pad=0):
    """The functional form of the same loops: int stride and pad only."""
    layer = ConvNaive(w.shape[1], w.shape[0], w.shape[2:], stride, pad)
    layer.W, layer.b = w, np.zeros(w.shape[0], w.dtype) if b is None else b
    return layer.forward(x), (x, w, b)  # CS231n's (out, cache)


def test_functional_conv_with_pad_passes_where_it_can():
    verdict = check("conv2d", conv_forward)
    assert verdict.passed, verdict.failures()[:3]
    notes = " ".join(verdict.notes)
    assert "padding passed to your function as pad" in notes
    covered = " ".join(verdict.not_covered)  # cases not supported by the code: listed
    assert "padding='same' is not supported" in covered and "groups=2" in covered


class ConvOwnNames(ConvNaive):
    """Parameters under names no alias knows, and a momentum buffer shaped like the weight."""

    W = property(lambda self: self.filters, lambda self, v: setattr(self, "filters", v))
    b = property(lambda self: self.offsets, lambda self, v: setattr(self, "offsets", v))
    dW = property(lambda self: self.dfilters, lambda self, v: setattr(self, "dfilters", v))
    db = property(lambda self: self.doffsets, lambda self, v: setattr(self, "doffsets", v))

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad=0):
        super().__init__(in_channels, out_channels, kernel_size, stride, pad)
        self.filters_velocity = np.zeros_like(self.filters)


def test_ambiguous_mapping_names_the_candidates_and_map_resolves_it():
    with pytest.raises(UsageError, match="filters or filters_velocity.*--map weight=filters"):
        check("Conv2d", ConvOwnNames)
    verdict = check("Conv2d", ConvOwnNames, map="weight=filters")
    assert verdict.passed, verdict.failures()[:3]
    assert any("weight=filters" in n and "bias=offsets (by shape" in n for n in verdict.notes)


def course_sdpa(Q, K, V, mask=None):
    """The course's attention: mask True = keep; returns (output, weights)."""
    scores = Q @ np.swapaxes(K, -1, -2) / math.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ V, weights


def course_sdpa_by_d(Q, K, V, mask=None):
    return course_sdpa(Q * (math.sqrt(Q.shape[-1]) / Q.shape[-1]), K, V, mask)


def test_course_sdpa_passes_with_its_weights():
    verdict = check("scaled_dot_product_attention", course_sdpa)
    assert verdict.passed, verdict.failures()[:3]
    assert {r.tensor for r in verdict.rows if r.compared} == {"output", "attention weights"}
    notes = " ".join(verdict.notes)
    assert "causal mask tril(ones(L, S)) is passed as a boolean mask" in notes
    assert "takes no scale argument" in " ".join(verdict.not_covered)


def test_course_sdpa_scaled_by_d_is_named():
    verdict = check("scaled_dot_product_attention", course_sdpa_by_d)
    assert verdict.diagnosis.mistake == "attention-scaled-by-d", verdict.diagnosis


def test_sdpa_backward_through_derivative():
    verdict = check("scaled_dot_product_attention", scaled_dot_product_attention_forward,
                    derivative=scaled_dot_product_attention_backward)  # fmt: skip
    assert verdict.passed, verdict.failures()[:3]
    assert {"grad of query", "grad of key", "grad of value"} <= {
        r.tensor for r in verdict.rows if r.compared
    }


class CourseDropout:
    """Inverted dropout with a ``rate`` and a ``training`` flag, no train()/eval()."""

    def __init__(self, rate=0.5):
        self.rate, self.training = rate, True

    def forward(self, x):
        if not self.training:
            return x
        self.mask = (np.random.default_rng().random(x.shape) >= self.rate) / (1 - self.rate)
        return (x * self.mask).astype(x.dtype)

    def backward(self, grad):
        return grad if not self.training else (grad * self.mask).astype(grad.dtype)


def test_course_dropout_passes():
    verdict = check("Dropout", CourseDropout)
    assert verdict.passed, verdict.failures()[:3]
    assert any("p passed as rate" in n for n in verdict.notes)
