"""Parity of scratch/nn/activation.py with torch (torch_ref/nn/activation.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.activation as tnn
from parity_check.core.harness import DTYPES, assert_close, check_function, check_module, randn

SHAPES = [(7,), (4, 5), (2, 3, 4, 5)]

# name, scratch f, torch f, scratch f' (elementwise ops)
FUNCTIONS = [
    ("relu", sf.relu, F.relu, sf.relu_derivative),
    ("leaky_relu", sf.leaky_relu, F.leaky_relu, sf.leaky_relu_derivative),
    ("sigmoid", sf.sigmoid, torch.sigmoid, sf.sigmoid_derivative),
    ("tanh", sf.tanh, torch.tanh, sf.tanh_derivative),
    ("gelu", sf.gelu, F.gelu, sf.gelu_derivative),
    ("gelu_tanh", lambda z: sf.gelu(z, "tanh"), lambda z: F.gelu(z, approximate="tanh"),
     lambda z: sf.gelu_derivative(z, "tanh")),
    ("silu", sf.silu, F.silu, sf.silu_derivative),
]  # fmt: skip

# name, scratch Module, torch Module
MODULES = [
    ("ReLU", lambda: snn.ReLU(), lambda: tnn.ReLU()),
    ("LeakyReLU", lambda: snn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2)),
    ("Sigmoid", lambda: snn.Sigmoid(), lambda: tnn.Sigmoid()),
    ("Tanh", lambda: snn.Tanh(), lambda: tnn.Tanh()),
    ("GELU", lambda: snn.GELU(), lambda: tnn.GELU()),
    ("GELU(tanh)", lambda: snn.GELU("tanh"), lambda: tnn.GELU("tanh")),
    ("SiLU", lambda: snn.SiLU(), lambda: tnn.SiLU()),
    ("Softmax(dim=-1)", lambda: snn.Softmax(dim=-1), lambda: tnn.Softmax(dim=-1)),
    ("Softmax(dim=0)", lambda: snn.Softmax(dim=0), lambda: tnn.Softmax(dim=0)),
    ("LogSoftmax(dim=1)", lambda: snn.LogSoftmax(dim=1), lambda: tnn.LogSoftmax(dim=1)),
    ("LogSoftmax(dim=-1)", lambda: snn.LogSoftmax(dim=-1), lambda: tnn.LogSoftmax(dim=-1)),
    # torch's legacy implicit dim (0 for 0-, 1- and 3-D input, else 1), with its warning
    ("Softmax(dim=None)", lambda: snn.Softmax(), lambda: tnn.Softmax()),
    ("LogSoftmax(dim=None)", lambda: snn.LogSoftmax(), lambda: tnn.LogSoftmax()),
    ("LeakyReLU(-1.5)", lambda: snn.LeakyReLU(-1.5), lambda: tnn.LeakyReLU(-1.5)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name,f,tf,df", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_function_and_derivative(name, f, tf, df, shape, dtype):
    check_function(name, f, tf, randn(shape, dtype, scale=3), dtype=dtype, derivative=df)


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES[1:])
@pytest.mark.parametrize("name,make,make_torch", MODULES, ids=[c[0] for c in MODULES])
def test_module_forward_backward(name, make, make_torch, shape, dtype):
    check_module(name, make(), make_torch(), randn(shape, dtype, scale=3), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_functions(dtype):
    x = randn((3, 4, 5), dtype, scale=4)
    for dim in (0, 1, -1):
        check_function("softmax", lambda z, d=dim: sf.softmax(z, d),
                       lambda z, d=dim: F.softmax(z, d), x, dtype=dtype)  # fmt: skip
        check_function("log_softmax", lambda z, d=dim: sf.log_softmax(z, d),
                       lambda z, d=dim: F.log_softmax(z, d), x, dtype=dtype)  # fmt: skip


EXTREME = [
    ("sigmoid", sf.sigmoid, torch.sigmoid),
    ("silu", sf.silu, F.silu),
    ("softmax", lambda z: sf.softmax(z, -1), lambda z: F.softmax(z, -1)),
    ("log_softmax", lambda z: sf.log_softmax(z, -1), lambda z: F.log_softmax(z, -1)),
    ("tanh", sf.tanh, torch.tanh),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,f,tf", EXTREME, ids=[c[0] for c in EXTREME])
def test_extreme_logits_are_finite_and_equal(name, f, tf, dtype):
    x = np.array([[-1e4, 0.5, 1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow / divide RuntimeWarning fails the test
        out = f(x)
    assert np.isfinite(out).all(), f"{name} gave non-finite values for logits of ±1e4"
    check_function(name, f, tf, x, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_is_kept(dtype):
    x = randn((3, 4), dtype)
    for name, f, _, df in FUNCTIONS:
        assert f(x).dtype == x.dtype and df(x).dtype == x.dtype, name


BAD_INPUT = [
    (lambda: snn.ReLU()(np.arange(3)), TypeError, "input must have dtype float32 or float64"),
    (lambda: snn.Sigmoid()(np.array(["a"], dtype=object)), TypeError, "dtype"),
    (lambda: snn.Tanh()("text"), TypeError, "input must be"),
    (lambda: snn.GELU(approximate="fast"), ValueError, "approximate must be one of"),
    (lambda: sf.gelu(np.ones(2), approximate="erf"), ValueError, "approximate"),
    (lambda: snn.Softmax(dim=3)(np.ones((2, 2))), ValueError, "dim must be"),
    (lambda: snn.Softmax(dim=1.0), TypeError, "dim must be an int or None"),
    (lambda: sf.log_softmax(np.ones((2, 2)), dim=True), TypeError, "dim must be an int or None"),
    (lambda: snn.LeakyReLU("0.1"), TypeError, "negative_slope must be a number"),
    (lambda: snn.ReLU().backward(np.ones(3)), ValueError, "backward\\(\\) called before forward"),
    (lambda: snn.Softmax(dim=0).backward(np.ones(3)), ValueError, "before forward"),
]  # fmt: skip


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)], ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_implicit_dim_warns_and_picks_torchs_axis(name, shape):
    x = np.asarray(np.random.default_rng(2).standard_normal(shape))  # 0-d included
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        ours = getattr(sf, name)(x)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        theirs = getattr(F, name)(torch.from_numpy(x))
    assert_close(ours, theirs, component=f"{name}(dim=None)", tensor=f"output {shape}", dtype="float64")  # fmt: skip


EMPTY = [((5, 0, 0), -1), ((3, 0), 0), ((3, 0), 1), ((0,), 0), ((4, 0, 2), 1), ((4, 0, 2), 2)]


@pytest.mark.parametrize("shape,dim", EMPTY, ids=str)
def test_a_zero_length_dimension_gives_torchs_empty_result(shape, dim):
    """torch returns an empty result; NumPy's max of nothing must never surface."""
    x = np.empty(shape)
    for name in ("softmax", "log_softmax"):
        check_function(name, lambda z, n=name: getattr(sf, n)(z, dim),
                       lambda z, n=name: getattr(F, n)(z, dim), x, dtype="float64")  # fmt: skip
    for make, make_torch in ((snn.Softmax, tnn.Softmax), (snn.LogSoftmax, tnn.LogSoftmax)):
        out = check_module(f"{make.__name__}(empty)", make(dim), make_torch(dim), x, dtype="float64")  # fmt: skip
        assert out.shape == shape


CASTS = [("float32", np.float64, torch.float64), ("float64", np.float32, torch.float32),
         ("int64", "float64", torch.float64), ("float32", np.dtype("float32"), torch.float32),
         ("float32", torch.float64, torch.float64)]  # fmt: skip


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("source,dtype,torch_dtype", CASTS, ids=str)
def test_dtype_casts_the_input_first_as_torch(name, source, dtype, torch_dtype):
    """F.softmax(x, dim, dtype=...) casts x to dtype, then computes (an int input included)."""
    x = (randn((3, 5), "float64", scale=3) * 4).astype(source)
    ours = getattr(sf, name)(x, 1, dtype=dtype)
    theirs = getattr(F, name)(torch.from_numpy(x), 1, dtype=torch_dtype)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert_close(ours, theirs, component=f"{name}(dtype={dtype})", tensor="output",
                 dtype=str(ours.dtype))  # fmt: skip


@pytest.mark.parametrize("dtype", [np.int64, "float16", "bogus"], ids=str)
def test_dtype_other_than_float32_or_64_is_refused(dtype):
    with pytest.raises(TypeError, match="dtype must be"):
        sf.softmax(np.ones((2, 3)), 1, dtype=dtype)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):  # torch: no int softmax
        F.log_softmax(torch.ones(2, 3), 1, dtype=torch.long)


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


INPLACE = [  # scratch, torch: functional with inplace=True, or a Module built with it
    ("relu", lambda z: sf.relu(z, inplace=True), lambda z: F.relu(z, inplace=True)),
    ("leaky_relu", lambda z: sf.leaky_relu(z, 0.2, inplace=True), lambda z: F.leaky_relu(z, 0.2, inplace=True)),
    ("silu", lambda z: sf.silu(z, inplace=True), lambda z: F.silu(z, inplace=True)),
    ("LeakyReLU", snn.LeakyReLU(0.2, inplace=True), tnn.LeakyReLU(0.2, inplace=True)),
    ("SiLU", snn.SiLU(inplace=True), tnn.SiLU(inplace=True)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,f,tf", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_overwrites_the_input_as_torch(name, f, tf, dtype):
    """torch's inplace=True: the result is the input, overwritten; a Module's backward is
    still d(out)/d(original input) (torch's autograd: a clone of a leaf is what gets written)."""
    x = randn((3, 4), dtype, scale=3)
    leaf = torch.tensor(x, requires_grad=True)
    z, z_t = x.copy(), leaf.clone()
    out, out_t = f(z), tf(z_t)
    assert out is z and out_t is z_t
    assert_close(out, out_t, component=f"{name}(inplace=True)", tensor="output", dtype=dtype)
    if isinstance(f, snn.Module):
        g = randn((3, 4), dtype, seed=5)
        out_t.backward(torch.from_numpy(g))
        assert_close(f.backward(g), leaf.grad, component=f"{name}(inplace=True)",
                     tensor="grad of input", dtype=dtype)  # fmt: skip
