"""Parity of scratch/nn/batchnorm.py with torch (torch_ref/nn/batchnorm.py).

Hypothesis draws the configuration (1d/2d, shape, affine, track_running_stats, momentum
including None, train/eval); each case runs several training steps through
``check_module`` (output, input grad, weight and bias grads) and then compares every buffer
(running_mean, running_var, num_batches_tracked) and one eval-mode step.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.batchnorm as tbn
from parity_check.core.harness import DTYPES, PROFILES, assert_close, check_module, measure, randn

KINDS = {"BatchNorm1d": (snn.BatchNorm1d, tbn.BatchNorm1d), "BatchNorm2d": (snn.BatchNorm2d, tbn.BatchNorm2d)}  # fmt: skip
STEPS = 3  # a few training steps, so the running averages (and momentum=None's 1/n) matter


@st.composite
def configs(draw):
    kind = draw(st.sampled_from(sorted(KINDS)), label="kind")
    C = draw(st.integers(1, 4), label="channels")
    N = draw(st.integers(2, 5), label="batch")
    if kind == "BatchNorm2d":
        shape = (N, C, draw(st.integers(1, 4), label="H"), draw(st.integers(1, 4), label="W"))
    else:
        shape = draw(st.sampled_from([(N, C), (N, C, draw(st.integers(1, 5), label="L"))]))
    return dict(
        kind=kind,
        shape=shape,
        affine=draw(st.booleans(), label="affine"),
        track_running_stats=draw(st.booleans(), label="track_running_stats"),
        momentum=draw(st.sampled_from([0.1, 0.5, 1.0, None]), label="momentum"),
        train_steps=draw(st.integers(0, STEPS), label="train_steps"),
    )


def make_pair(kind, C, *, affine, track_running_stats, momentum, seed=0):
    make_s, make_t = KINDS[kind]
    kw = dict(affine=affine, track_running_stats=track_running_stats, momentum=momentum)
    torch_bn = make_t(C, **kw).double()
    if affine:  # torch starts at γ=1, β=0; random values make the parameter grads telling
        gen = torch.Generator().manual_seed(seed)
        torch.nn.init.normal_(torch_bn.weight, 1.0, 0.5, generator=gen)
        torch.nn.init.normal_(torch_bn.bias, 0.0, 0.5, generator=gen)
    return make_s(C, **kw), torch_bn


def compare_buffers(name, scratch_bn, torch_bn, dtype):
    state_s, state_t = scratch_bn.state_dict(), torch_bn.state_dict()
    assert list(state_s) == list(state_t), f"{name}: state_dict keys differ"
    for key, value in state_t.items():
        assert state_s[key].dtype == value.numpy().dtype, f"{name}: {key} dtype"
        if key == "num_batches_tracked":
            assert int(state_s[key]) == int(value), f"{name}: num_batches_tracked"
        else:
            assert_close(state_s[key], value, component=name, tensor=key, dtype=dtype)


def run_case(cfg, dtype):
    name = f"{cfg['kind']}(affine={cfg['affine']}, track={cfg['track_running_stats']}, momentum={cfg['momentum']})"  # fmt: skip
    kw = {k: cfg[k] for k in ("affine", "track_running_stats", "momentum")}
    scratch_bn, torch_bn = make_pair(cfg["kind"], cfg["shape"][1], **kw)
    # inputs with a non-zero mean and non-unit std per step, so normalisation does work
    for step in range(cfg["train_steps"]):
        x = randn(cfg["shape"], dtype, seed=step, scale=2.0) + 3.0
        check_module(name, scratch_bn, torch_bn, x, dtype=dtype, seed=step + 10, sync=step == 0)
        scratch_bn.zero_grad()
        torch_bn.zero_grad()
    scratch_bn.eval()
    torch_bn.eval()
    x = randn(cfg["shape"], dtype, seed=99, scale=2.0) + 3.0
    check_module(name + " eval", scratch_bn, torch_bn, x, dtype=dtype,
                 sync=cfg["train_steps"] == 0)  # fmt: skip
    compare_buffers(name, scratch_bn, torch_bn, dtype)


def case(kind, shape, *, affine=True, track_running_stats=True, momentum=0.1, train_steps=STEPS):
    """A boundary configuration for ``@example``, as ``configs`` draws them."""
    return dict(kind=kind, shape=shape, affine=affine, track_running_stats=track_running_stats,
                momentum=momentum, train_steps=train_steps)  # fmt: skip


# The @examples are the boundaries, run in every profile (ci too) before the drawn ones.
@pytest.mark.parametrize("dtype", DTYPES)
@given(cfg=configs())
@example(cfg=case("BatchNorm1d", (1, 3), train_steps=0))  # batch 1 in eval: running stats (training refuses 1 value per channel)  # fmt: skip
@example(cfg=case("BatchNorm2d", (1, 3, 1, 1), train_steps=0))  # batch 1, 1x1 image, in eval
@example(cfg=case("BatchNorm1d", (1, 2, 4)))  # batch 1 trains on (N, C, L): 4 values per channel
@example(cfg=case("BatchNorm2d", (1, 2, 2, 3), momentum=None))  # batch 1 trains on an image; cumulative average  # fmt: skip
@example(cfg=case("BatchNorm2d", (2, 3, 1, 1)))  # 1x1 images: 2 values per channel, running_var = 2x the biased  # fmt: skip
@example(cfg=case("BatchNorm1d", (4, 1), momentum=None))  # one channel; momentum None: cumulative average  # fmt: skip
@example(cfg=case("BatchNorm1d", (4, 2), momentum=0.0))  # momentum 0: the running stats never move
@example(cfg=case("BatchNorm2d", (3, 2, 2, 2), momentum=1.0))  # momentum 1: the running stats are the last batch's  # fmt: skip
@example(cfg=case("BatchNorm2d", (2, 2, 3, 1), track_running_stats=False, train_steps=1))  # no running stats: eval uses the batch's  # fmt: skip
@example(cfg=case("BatchNorm1d", (3, 2, 5), track_running_stats=False, momentum=None, train_steps=0))  # the same, never trained  # fmt: skip
@example(cfg=case("BatchNorm1d", (3, 2, 5), affine=False))  # no weight or bias
@example(cfg=case("BatchNorm2d", (2, 1, 1, 2), affine=False, track_running_stats=False))  # one channel, two values, neither  # fmt: skip
def test_batchnorm_modes(cfg, dtype):
    run_case(cfg, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("kind,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (4, 3, 5, 6))])  # fmt: skip
def test_batchnorm_running_stats(kind, shape, momentum, dtype):
    cfg = dict(kind=kind, shape=shape, affine=True, track_running_stats=True,
               momentum=momentum, train_steps=STEPS)  # fmt: skip
    run_case(cfg, dtype)


def test_running_var_is_unbiased_and_output_uses_biased():
    """torch's documented split, checked against a formula written here (not either twin)."""
    x = randn((5, 2, 3, 3), "float64", seed=3) + 1.0
    bn = snn.BatchNorm2d(2, momentum=1.0).double()  # momentum 1: running = this batch
    y = bn(x)
    m = 5 * 3 * 3
    biased = x.var(axis=(0, 2, 3))
    assert np.allclose(bn.running_var, biased * m / (m - 1), rtol=1e-12)
    x_hat = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(biased + 1e-5)[
        None, :, None, None
    ]
    assert np.allclose(y, x_hat, rtol=1e-12, atol=1e-12)


def test_functional_batch_norm():
    for dtype in DTYPES:
        x = randn((4, 3, 2, 2), dtype, seed=5) + 2.0
        w, b = randn((3,), dtype, seed=6), randn((3,), dtype, seed=7)
        rm, rv = np.zeros(3, x.dtype), np.ones(3, x.dtype)
        trm, trv = torch.zeros(3, dtype=getattr(torch, dtype)), torch.ones(3, dtype=getattr(torch, dtype))  # fmt: skip
        tw, tb = torch.from_numpy(w), torch.from_numpy(b)
        for training in (True, False):
            out_s = sf.batch_norm(x, rm, rv, w, b, training, 0.3, 1e-3)
            out_t = tbn.batch_norm(torch.from_numpy(x), trm, trv, tw, tb, training, 0.3, 1e-3)
            assert_close(out_s, out_t, component="batch_norm", tensor=f"output training={training}", dtype=dtype)  # fmt: skip
            assert_close(rm, trm, component="batch_norm", tensor="running_mean", dtype=dtype)
            assert_close(rv, trv, component="batch_norm", tensor="running_var", dtype=dtype)


@pytest.mark.parametrize("momentum", [0.0, 1.5, -0.05, 2])
def test_batchnorm_takes_any_momentum(momentum):
    """torch checks no momentum: outside [0, 1] the running stats extrapolate, in both twins."""
    cfg = dict(kind="BatchNorm1d", shape=(5, 3), affine=True, track_running_stats=True,
               momentum=momentum, train_steps=STEPS)  # fmt: skip
    run_case(cfg, "float64")


@pytest.mark.parametrize("kind,shape", [("BatchNorm1d", (5, 3)), ("BatchNorm2d", (2, 3, 2, 2))])
def test_eps_is_checked_when_used_as_torch_does(kind, shape):
    """eps=0 builds; batch statistics refuse it (÷√(var + 0) is torch's "must be positive
    during training"), the running statistics take it (eps ≥ 0 there)."""
    scratch_bn, torch_bn = KINDS[kind][0](3, eps=0.0), KINDS[kind][1](3, eps=0.0).double()
    scratch_bn.double()
    x = randn(shape, "float64", seed=1, scale=2.0) + 1.0
    with pytest.raises(ValueError, match="eps must be positive during training"):
        torch_bn(torch.from_numpy(x))
    with pytest.raises(ValueError, match="eps must be positive during training"):
        scratch_bn(x)
    scratch_bn.eval()
    torch_bn.eval()
    check_module(f"{kind}(eps=0) eval", scratch_bn, torch_bn, x, dtype="float64")
    compare_buffers(f"{kind}(eps=0)", scratch_bn, torch_bn, "float64")  # both counted the batch


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("momentum,eps", [(float("nan"), 1e-5), (0.1, float("nan")), (-1.0, 1e-5)])
def test_functional_batch_norm_takes_nan_as_torch_does(momentum, eps, training):
    """NaN passes torch's `eps <= 0` test and poisons the output; a NaN momentum the stats."""
    x = randn((4, 3), "float64", seed=5) + 2.0
    rm, rv = np.zeros(3), np.ones(3)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out_s = sf.batch_norm(x, rm, rv, None, None, training, momentum, eps)
    out_t = tbn.batch_norm(torch.from_numpy(x), trm, trv, None, None, training, momentum, eps)
    for tensor, actual, expected in (("output", out_s, out_t), ("running_mean", rm, trm), ("running_var", rv, trv)):  # fmt: skip
        c = measure(actual, expected, rtol=PROFILES["float64"].rtol, atol=PROFILES["float64"].atol)
        assert c.passed, f"batch_norm(momentum={momentum}, eps={eps}) {tensor}: {c}"


def test_batchnorm2d_is_vectorised_on_mnist_sized_batches():
    """A CNN will call it on (64, 32, 28, 28): must stay a handful of array ops (< 1 s)."""
    import time

    x = randn((64, 8, 28, 28), "float32", seed=0)
    bn = snn.BatchNorm2d(8)
    start = time.perf_counter()
    y = bn(x)
    bn.backward(y)
    assert time.perf_counter() - start < 1.0


BAD_INPUT = [
    (lambda: snn.BatchNorm2d(3)(np.ones((2, 4, 2, 2), np.float32)), ValueError, "expected 3 channels"),
    (lambda: snn.BatchNorm1d(3)(np.ones((2, 2), np.float32)), ValueError, "expected 3 channels"),
    (lambda: snn.BatchNorm1d(3)(np.ones((1, 3), np.float32)), ValueError, "Expected more than 1 value per channel when training"),
    (lambda: snn.BatchNorm2d(3)(np.ones((1, 3, 1, 1), np.float32)), ValueError, "Expected more than 1 value per channel"),
    (lambda: snn.BatchNorm2d(3)(np.ones((0, 3, 4, 4), np.float32)), ValueError, "empty batch"),
    (lambda: snn.BatchNorm2d(3)(np.ones((2, 3, 4), np.float32)), ValueError, "expected 4D input"),
    (lambda: snn.BatchNorm1d(3)(np.ones(3, np.float32)), ValueError, "expected 2D or 3D input"),
    (lambda: snn.BatchNorm1d(0), ValueError, "num_features must be a positive integer"),
    (lambda: snn.BatchNorm1d(3, momentum="0.1"), TypeError, "momentum must be a number"),
    (lambda: snn.BatchNorm1d(3, eps=None), TypeError, "eps must be a number"),
    (lambda: snn.BatchNorm1d(3, eps=0.0)(np.ones((2, 3), np.float32)), ValueError, "eps must be positive during training"),
    (lambda: snn.BatchNorm1d(3, eps=-1e-5).eval()(np.ones((2, 3), np.float32)), ValueError, "eps must be non-negative"),
    (lambda: sf.batch_norm(np.ones((2, 3)), np.zeros(3), np.ones(3), eps=-1.0), ValueError, "eps must be non-negative"),
    (lambda: snn.BatchNorm1d(3)(np.ones((2, 3), np.float64)), TypeError, "cast one of them"),
    (lambda: snn.BatchNorm1d(3).backward(np.ones((2, 3))), ValueError, "before forward"),
    (lambda: sf.batch_norm(np.ones((2, 3)), None, None), ValueError, "running_mean and running_var are required"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_batch_of_one_is_fine_in_eval_mode():
    """torch's rule: the >1-value check applies only when batch statistics are used."""
    bn = snn.BatchNorm1d(3).eval()
    t_bn = tbn.BatchNorm1d(3).eval()
    x = randn((1, 3), "float32")
    assert_close(bn(x), t_bn(torch.from_numpy(x)), component="BatchNorm1d", tensor="eval batch of one", dtype="float32")  # fmt: skip
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        t_bn.train()(torch.from_numpy(x))  # the message scratch copies is torch's own


@pytest.mark.parametrize("make", [snn.BatchNorm1d, snn.BatchNorm2d])
def test_device_cpu_is_taken_and_others_refused(make):
    assert make(3, device="cpu", dtype=None).running_mean.dtype == np.float32
    with pytest.raises(ValueError, match="device must be None or 'cpu'"):
        make(3, device="mps")
