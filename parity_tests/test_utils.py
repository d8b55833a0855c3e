"""Parity of scratch/nn/utils.py (gradient clipping) with torch.nn.utils (torch_ref/nn/utils.py),
and the vanishing-gradient experiment of scratch/experiments.py (torch_ref/experiments.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.experiments as sx
import scratch.nn as snn
import scratch.nn.utils as su
import torch_ref.nn.utils as tu
from course.figures.regularization import layer_gradient_norms
from parity_check.core.harness import DTYPES, PROFILES, assert_close, measure, randn

SHAPES = [(4, 3), (3,), (2, 3, 2, 2)]  # a Linear weight, a bias, a conv weight


def twin_params(dtype: str, scale: float, seed: int = 0, with_grad=(True, True, True)):
    """Scratch Parameters and torch leaf tensors holding the same gradients (some None)."""
    params, tensors = [], []
    for i, (shape, has_grad) in enumerate(zip(SHAPES, with_grad, strict=True)):
        p = snn.Parameter(randn(shape, dtype, seed=seed + i))
        t = torch.tensor(p.data, requires_grad=True)
        if has_grad:
            p.grad = randn(shape, dtype, seed=seed + 10 + i, scale=scale)
            t.grad = torch.tensor(p.grad)
        params.append(p)
        tensors.append(t)
    return params, tensors


def compare_grads(name, params, tensors, dtype):
    for i, (p, t) in enumerate(zip(params, tensors, strict=True)):
        if t.grad is None:
            assert p.grad is None, f"{name}: a parameter without grad got one"
        else:
            assert_close(p.grad, t.grad, component=name, tensor=f"grad {i} after clipping", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", [2.0, "inf", float("inf"), 1.0, 3.0])
@pytest.mark.parametrize(
    "max_norm,scale", [(0.5, 1.0), (1e3, 1.0), (1.0, 1e4)]
)  # clip / no clip / explode
def test_clip_grad_norm(max_norm, scale, norm_type, dtype):
    params, tensors = twin_params(dtype, scale)
    name = f"clip_grad_norm_(max_norm={max_norm}, norm_type={norm_type})"
    total = su.clip_grad_norm_(params, max_norm, norm_type)
    t_total = tu.clip_grad_norm_(tensors, max_norm, norm_type)
    assert_close(total, t_total, component=name, tensor="total norm", dtype=dtype)
    compare_grads(name, params, tensors, dtype)
    new_total = su.clip_grad_norm_(params, max_norm, norm_type)  # clipping is idempotent-ish:
    assert new_total <= max_norm * (1 + 1e-5), f"{name}: norm after clipping {new_total}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_norm_skips_missing_grads_and_takes_one_parameter(dtype):
    params, tensors = twin_params(dtype, 3.0, with_grad=(True, False, True))
    total = su.clip_grad_norm_(iter(params), 1.0)  # a generator, as model.parameters() is
    assert_close(total, tu.clip_grad_norm_(iter(tensors), 1.0), component="clip_grad_norm_",
                 tensor="total norm (one grad missing)", dtype=dtype)  # fmt: skip
    compare_grads("clip_grad_norm_", params, tensors, dtype)
    one = su.clip_grad_norm_(params[0], 0.1)
    assert_close(one, tu.clip_grad_norm_(tensors[0], 0.1), component="clip_grad_norm_",
                 tensor="total norm (single parameter)", dtype=dtype)  # fmt: skip
    compare_grads("clip_grad_norm_", params, tensors, dtype)
    assert float(su.clip_grad_norm_([snn.Parameter(np.ones(2))], 1.0)) == float(
        tu.clip_grad_norm_([torch.ones(2, requires_grad=True)], 1.0)
    )  # no gradient at all: total norm 0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("clip_value", [0.1, 0.7, 100.0])
def test_clip_grad_value(clip_value, dtype):
    params, tensors = twin_params(dtype, 1.0, with_grad=(True, True, False))
    assert su.clip_grad_value_(params, clip_value) is None
    tu.clip_grad_value_(tensors, clip_value)
    compare_grads(f"clip_grad_value_({clip_value})", params, tensors, dtype)


def compare_as_torch(name, params, tensors, dtype, total=None, t_total=None):
    """``compare_grads`` where everything is finite; where torch's answer holds NaN or inf,
    ``measure`` (same profile), which requires them at the same places."""
    pairs = [(p.grad, t.grad, f"grad {i} after clipping") for i, (p, t) in enumerate(zip(params, tensors, strict=True)) if t.grad is not None]  # fmt: skip
    if total is not None:
        pairs.append((total, t_total, "total norm"))
    for actual, expected, tensor in pairs:
        expected = expected.numpy()
        if np.isfinite(expected).all():
            assert_close(actual, expected, component=name, tensor=tensor, dtype=dtype)
        else:
            c = measure(actual, expected, rtol=PROFILES[dtype].rtol, atol=PROFILES[dtype].atol)
            assert c.passed, f"[{name}] {tensor} ({dtype}): scratch != torch, {c}"


nan, inf = float("nan"), float("inf")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "max_norm,norm_type",
    [(0.0, 2.0), (0, "inf"), (-1.0, 2.0), (nan, 2.0), ("0.5", 2.0), (True, 1.0), (1.0, 0),
     (0.1, -1.0), (0.1, -inf), (0.1, "-inf"), (1.0, nan), (1.0, 0.5), (1.0, "2")],
)  # fmt: skip
def test_clip_grad_norm_takes_what_torch_takes(max_norm, norm_type, dtype):
    """torch passes max_norm and norm_type through float() and checks nothing: 0 zeroes the
    gradients, a negative max_norm flips them, norm_type 0 counts non-zeros, -inf is the
    smallest magnitude, NaN gives NaN."""
    params, tensors = twin_params(dtype, 3.0)
    name = f"clip_grad_norm_(max_norm={max_norm!r}, norm_type={norm_type!r})"
    total = su.clip_grad_norm_(params, max_norm, norm_type)
    t_total = tu.clip_grad_norm_(tensors, max_norm, norm_type)
    compare_as_torch(name, params, tensors, dtype, total, t_total)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("clip_value", [0, 0.0, -0.5, nan, inf, True, "0.3"])
def test_clip_grad_value_takes_what_torch_takes(clip_value, dtype):
    """float(clip_value), then clamp below at -c and above at c: 0 zeroes every component,
    a negative c sets every one to c, NaN gives NaN."""
    params, tensors = twin_params(dtype, 1.0)
    su.clip_grad_value_(params, clip_value)
    tu.clip_grad_value_(tensors, clip_value)
    compare_as_torch(f"clip_grad_value_({clip_value!r})", params, tensors, dtype)


def test_an_empty_generator_warns_as_torch_does():
    for module in (su, tu):
        with pytest.warns(UserWarning, match="empty generator"):
            assert float(module.clip_grad_norm_((p for p in []), 1.0)) == 0.0


# -- vanishing gradients: 20 layers, He-normal weights, three activations ---------------------
DEPTH, WIDTH = 20, 32


def gradient_norms(activation: str):
    """Per-layer weight-gradient norms from scratch's backprop and torch's autograd, same weights
    (the experiment the report's figure and course/06 draw, from the same function)."""
    return layer_gradient_norms(activation, depth=DEPTH, width=WIDTH)


@pytest.mark.parametrize("activation", sorted(sx.ACTIVATIONS))
def test_layer_gradient_norms_parity(activation):
    norms, t_norms = gradient_norms(activation)
    # the norms span ~10 orders of magnitude (sigmoid); atol=0 keeps the test relative at
    # every layer instead of letting atol=1e-12 excuse the tiny early-layer gradients
    assert_close(norms, t_norms, component=f"deep {activation} MLP", tensor="per-layer grad norms",
                 dtype="float64", atol=0.0)  # fmt: skip


def test_sigmoid_gradients_vanish_relu_gradients_do_not():
    norms = {act: gradient_norms(act) for act in sx.ACTIVATIONS}
    for twin in (0, 1):  # both twins tell the same story
        sigmoid, tanh, relu = (float(norms[a][twin][0]) for a in ("sigmoid", "tanh", "relu"))
        assert sigmoid < 1e-4 * relu, f"sigmoid first-layer grad {sigmoid:.2e} vs relu {relu:.2e}"
        assert sigmoid < 1e-4 * tanh
        last = {a: float(norms[a][twin][-1]) for a in norms}
        assert sigmoid / last["sigmoid"] < 1e-6, "sigmoid's gradient must shrink going back"
        assert 0.1 < relu / last["relu"] < 10, "He-initialised ReLU keeps the gradient's scale"


def test_clipping_tames_an_exploding_gradient():
    """N(0, 1) weights (std 1, not 1/sqrt(fan_in)) blow the ReLU net's gradient up; clip it."""
    model = sx.deep_mlp("relu", depth=10, width=WIDTH, generator=np.random.default_rng(2))
    for p in model.parameters():
        p.data = np.random.default_rng(3).standard_normal(p.shape)
    rng = np.random.default_rng(4)
    norms = sx.layer_gradient_norms(model, rng.standard_normal((8, WIDTH)), rng.standard_normal((8, WIDTH)))  # fmt: skip
    assert norms[0] > 1e6
    total = su.clip_grad_norm_(model.parameters(), 1.0)
    assert total == pytest.approx(np.linalg.norm(norms), rel=1e-12)
    assert np.sqrt(sum((p.grad**2).sum() for p in model.parameters())) == pytest.approx(
        1.0, rel=1e-5
    )


BAD_INPUT = [
    (lambda: su.clip_grad_norm_([], "one"), ValueError, r"max_norm must be a number \(float\(\) of it\), got 'one'"),
    (lambda: su.clip_grad_norm_([], None), TypeError, "max_norm must be a number"),
    (lambda: su.clip_grad_norm_([], 1.0, norm_type="fro"), ValueError, "norm_type must be a number"),
    (lambda: su.clip_grad_value_([], None), TypeError, "clip_value must be a number"),
    (lambda: su.clip_grad_norm_([np.ones(3)], 1.0), TypeError, "parameters must be Parameters"),
    (lambda: sx.deep_mlp("softplus"), ValueError, "activation must be one of"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nonfinite_norm_is_refused_on_request():
    p = snn.Parameter(np.ones(3))
    p.grad = np.array([1.0, np.inf, 0.0])
    with pytest.raises(ValueError, match="non-finite"):
        su.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    t = torch.ones(3, requires_grad=True)
    t.grad = torch.tensor([1.0, float("inf"), 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        tu.clip_grad_norm_([t], 1.0, error_if_nonfinite=True)


# -- fuse_conv_bn_eval: a BatchNorm folded into the convolution before it, for inference --


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("conv_bias, affine", [(False, True), (True, True), (True, False)])
def test_fuse_conv_bn_eval_matches_torchs_fusion_and_the_two_modules(dtype, conv_bias, affine):
    from torch.nn.utils.fusion import fuse_conv_bn_eval as torch_fuse

    torch.manual_seed(0)
    tdtype = PROFILES[dtype].torch_dtype
    t_conv = torch.nn.Conv2d(3, 5, 3, padding=1, bias=conv_bias).to(tdtype).eval()
    t_bn = torch.nn.BatchNorm2d(5, affine=affine).to(tdtype).eval()
    with torch.no_grad():  # running statistics and an affine map that are not the trivial ones
        t_bn.running_mean.uniform_(-1, 1), t_bn.running_var.uniform_(0.5, 2)
        if affine:
            t_bn.weight.uniform_(0.5, 1.5), t_bn.bias.uniform_(-1, 1)
    s_conv = snn.Conv2d(3, 5, 3, padding=1, bias=conv_bias, dtype=PROFILES[dtype].np_dtype)
    s_bn = snn.BatchNorm2d(5, affine=affine, dtype=PROFILES[dtype].np_dtype)
    s_conv.load_state_dict({k: v.numpy() for k, v in t_conv.state_dict().items()})
    s_bn.load_state_dict({k: v.numpy() for k, v in t_bn.state_dict().items()})
    s_conv.eval(), s_bn.eval()
    fused, t_fused = su.fuse_conv_bn_eval(s_conv, s_bn), torch_fuse(t_conv, t_bn)
    for name in ("weight", "bias"):
        assert_close(getattr(fused, name).data, getattr(t_fused, name).detach(),
                     component="fuse_conv_bn_eval", tensor=name, dtype=dtype)  # fmt: skip
    x = randn((2, 3, 6, 6), dtype, seed=3)
    assert_close(fused(x), s_bn(s_conv(x)), component="fuse_conv_bn_eval", tensor="output",
                 dtype=dtype)  # fmt: skip
    assert (s_conv.bias is None) == (not conv_bias)  # the modules given are left as they were


def test_fuse_conv_bn_eval_refuses_training_modules_and_missing_statistics():
    conv, bn = snn.Conv2d(2, 3, 3), snn.BatchNorm2d(3)
    with pytest.raises(ValueError, match="must both be in eval mode"):
        su.fuse_conv_bn_eval(conv, bn.eval())
    with pytest.raises(ValueError, match="no running statistics"):
        su.fuse_conv_bn_eval(conv.eval(), snn.BatchNorm2d(3, track_running_stats=False).eval())


def test_identity_passes_input_and_gradient_through():
    x = randn((2, 3), "float64", seed=1)
    identity = snn.Identity(54, unused="argument")  # torch.nn.Identity ignores its arguments
    assert identity(x) is x and identity.backward(x) is x
    assert list(identity.named_parameters()) == [] and identity.state_dict() == {}
    assert torch.equal(torch.nn.Identity(54)(torch.from_numpy(x)), torch.from_numpy(x))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 0.0, 0.5, inf, -inf, -1.0])
def test_an_empty_gradient_as_torch(norm_type):
    """torch sums an empty gradient into the norm as 0, but refuses the ±inf and negative
    norms of it (a max or min of nothing)."""
    p, q = snn.Parameter(np.ones(0)), snn.Parameter(np.ones(2))
    p.grad, q.grad = np.zeros(0), np.array([3.0, -4.0])
    tp, tq = torch.nn.Parameter(torch.ones(0, dtype=torch.float64)), torch.nn.Parameter(torch.ones(2, dtype=torch.float64))  # fmt: skip
    tp.grad, tq.grad = torch.zeros(0, dtype=torch.float64), torch.tensor([3.0, -4.0], dtype=torch.float64)  # fmt: skip
    try:
        t_total = tu.clip_grad_norm_([tp, tq], 1.0, norm_type)
    except RuntimeError as error:
        assert "on an empty tensor" in str(error)
        with pytest.raises(ValueError, match="norm of an empty gradient is undefined"):
            su.clip_grad_norm_([p, q], 1.0, norm_type)
    else:
        total = su.clip_grad_norm_([p, q], 1.0, norm_type)
        assert_close(total, t_total, component="clip_grad_norm_(empty)", tensor="total", dtype="float64")  # fmt: skip
        assert_close(q.grad, tq.grad, component="clip_grad_norm_(empty)", tensor="grad", dtype="float64")  # fmt: skip


@pytest.mark.parametrize("foreach", [None, True, False])
def test_foreach_is_taken_and_changes_nothing(foreach):
    params, tensors = twin_params("float64", 3.0)
    total = su.clip_grad_norm_(params, 0.5, foreach=foreach)
    assert_close(total, tu.clip_grad_norm_(tensors, 0.5, foreach=foreach), component="clip_grad_norm_(foreach)", tensor="total", dtype="float64")  # fmt: skip
    su.clip_grad_value_(params, 0.1, foreach=foreach)
    tu.clip_grad_value_(tensors, 0.1, foreach=foreach)
    compare_grads("clip_grad_value_(foreach)", params, tensors, "float64")
