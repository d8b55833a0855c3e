"""Parity of scratch/nn/dropout.py with torch (torch_ref/nn/dropout.py).

Two kinds of proof. Exact: torch draws a mask, we read it back from torch's output and give
it to scratch, and then output and gradient must agree to the float profile. Statistical:
scratch's own masks (from a seeded ``numpy.random.Generator``, so the test is deterministic)
keep each unit with probability 1 - p (an exact Clopper-Pearson binomial interval) and scale
the survivors by exactly 1/(1 - p), so that E[dropout(x)] = x.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import binomtest

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.dropout as tdo
from parity_check.core.harness import DTYPES, assert_close, randn, upstream_like

PS = [0.0, 0.2, 0.5, 0.9, 1.0]
SHAPES = [(7,), (4, 6), (2, 3, 4, 5)]
CONFIDENCE = 1 - 1e-6  # the interval a correct sampler leaves once in a million seeds


def torch_dropout_with_mask(x: np.ndarray, p: float, seed: int):
    """torch's output, input gradient (under a random upstream) and the mask it drew."""
    torch.manual_seed(seed)
    t = torch.tensor(x, requires_grad=True)
    out = tdo.Dropout(p)(t)
    g = upstream_like(out, seed)
    out.backward(torch.from_numpy(g))
    return out, t.grad, tdo.keep_mask_from(t.detach(), out.detach()).numpy(), g


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", PS)
def test_dropout_module_with_torch_mask(p, shape, dtype):
    x = randn(shape, dtype, seed=3, margin=1e-2)  # no zeros: kept ⇔ output ≠ 0
    out_t, grad_t, mask, g = torch_dropout_with_mask(x, p, seed=len(shape))
    module = snn.Dropout(p)
    name = f"Dropout(p={p})"
    assert_close(module(x, mask=mask), out_t, component=name, tensor="output", dtype=dtype)
    assert_close(module.backward(g), grad_t, component=name, tensor="grad of input", dtype=dtype)
    out_f = sf.dropout(x, p, training=True, mask=mask)
    assert_close(out_f, out_t, component=f"dropout(p={p})", tensor="output", dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", PS)
def test_eval_mode_is_identity(p, dtype):
    x = randn((3, 4), dtype)
    module = snn.Dropout(p).eval()
    torch_module = tdo.Dropout(p).eval()
    assert_close(module(x), torch_module(torch.from_numpy(x)), component=f"Dropout(p={p})",
                 tensor="eval output", dtype=dtype)  # fmt: skip
    g = upstream_like(x)
    assert_close(module.backward(g), g, component=f"Dropout(p={p})", tensor="eval grad", dtype=dtype)  # fmt: skip
    assert_close(sf.dropout(x, p, training=False), tdo.dropout(torch.from_numpy(x), p, training=False),
                 component=f"dropout(p={p})", tensor="eval output", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_keep_rate_and_inverted_scaling(p):
    n = 200_000
    x = np.ones(n, np.float64)
    out = snn.Dropout(p, generator=np.random.default_rng(2024))(x)
    kept = int((out != 0).sum())
    ci = binomtest(kept, n, 1 - p).proportion_ci(confidence_level=CONFIDENCE)
    assert ci.low <= 1 - p <= ci.high, f"keep rate {kept / n} vs 1-p={1 - p}, CI {ci}"
    # every survivor is scaled by exactly 1/(1-p), so E[out] = x ...
    np.testing.assert_array_equal(out[out != 0], np.float64(1) / np.float64(1 - p))
    # ... and the sample mean is inside the same interval, rescaled
    assert ci.low / (1 - p) <= out.mean() <= ci.high / (1 - p)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_torch_keep_rate_is_in_the_same_interval(p):
    """The twins agree that p is the probability to DROP (not to keep)."""
    n = 200_000
    torch.manual_seed(7)
    kept = int((tdo.dropout(torch.ones(n, dtype=torch.float64), p) != 0).sum())
    ci = binomtest(kept, n, 1 - p).proportion_ci(confidence_level=CONFIDENCE)
    assert ci.low <= 1 - p <= ci.high


def test_generator_makes_masks_reproducible_and_fresh_per_call():
    x = np.ones((50, 50), np.float32)
    a, b = snn.Dropout(0.5, generator=np.random.default_rng(1)), snn.Dropout(0.5, generator=np.random.default_rng(1))  # fmt: skip
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, a(x)), "a second forward must draw a new mask"
    np.testing.assert_array_equal(sf.dropout(x, 0.5, generator=np.random.default_rng(1)), first)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_is_kept(dtype):
    x = randn((3, 4), dtype)
    assert snn.Dropout(0.3)(x).dtype == x.dtype
    assert sf.dropout(x, 0.3).dtype == x.dtype


BAD_INPUT = [
    (lambda: snn.Dropout(-0.1), ValueError, r"p must be a number in \[0, 1\]"),
    (lambda: snn.Dropout(1.5), ValueError, r"p must be a number in \[0, 1\]"),
    (lambda: snn.Dropout(float("nan")), ValueError, "p must be a number"),
    (lambda: snn.Dropout("0.5"), ValueError, "p must be a number"),
    (lambda: sf.dropout(np.ones(3), 2.0), ValueError, "p must be a number"),
    (lambda: snn.Dropout(0.5)(np.ones(3), mask=np.ones(4)), ValueError, "mask must have the input's shape"),
    (lambda: snn.Dropout(0.5)(np.ones(3), mask=np.array([0, 2, 1])), ValueError, "mask must contain only 0/1"),
    (lambda: snn.Dropout(0.5)(np.arange(3)), TypeError, "input must have dtype float32 or float64"),
    (lambda: snn.Dropout(0.5).backward(np.ones(3)), ValueError, "before forward"),
    (lambda: tdo.keep_mask_from(torch.zeros(2), torch.zeros(2)), ValueError, "without zeros"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_torch_rejects_the_same_probabilities():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            tdo.dropout(torch.ones(3), p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.3, 1.0])
def test_inplace_overwrites_the_input_as_torch(p, dtype):
    """Dropout(p, inplace=True) and dropout(x, p, True, True): torch's mask, written into x."""
    x = randn((4, 6), dtype, seed=3, margin=1e-2)
    out_t, grad_t, mask, g = torch_dropout_with_mask(x, p, seed=7)
    module, z = snn.Dropout(p, inplace=True), x.copy()
    out = module(z, mask=mask)
    assert out is z
    assert_close(out, out_t, component=f"Dropout({p}, inplace=True)", tensor="output", dtype=dtype)
    assert_close(module.backward(g), grad_t, component=f"Dropout({p}, inplace=True)",
                 tensor="grad of input", dtype=dtype)  # fmt: skip
    z = x.copy()
    t = torch.tensor(x)
    assert tdo.dropout(t, p, True, True) is t  # torch's functional form returns its input
    assert sf.dropout(z, p, True, True, mask=mask) is z
    assert_close(z, out_t, component=f"dropout({p}, inplace=True)", tensor="output", dtype=dtype)
