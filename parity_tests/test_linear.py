"""Parity of scratch/nn/linear.py and scratch/nn/module.py (Linear, Sequential, Module) with torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import scratch.nn as snn
from parity_check.core.harness import DTYPES, assert_close, check_module, randn, sync_weights


def mlp_pair(sizes=(5, 8, 6, 3), act=(snn.ReLU, nn.ReLU)):
    """The same MLP in both twins, as Sequential(Linear, act, Linear, act, Linear)."""
    s_layers, t_layers = [], []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        s_layers.append(snn.Linear(a, b))
        t_layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            s_layers.append(act[0]())
            t_layers.append(act[1]())
    return snn.Sequential(*s_layers), nn.Sequential(*t_layers)


CASES = [
    ("Linear", lambda: (snn.Linear(4, 3), nn.Linear(4, 3)), (6, 4)),
    ("Linear(no bias)", lambda: (snn.Linear(4, 3, bias=False), nn.Linear(4, 3, bias=False)), (6, 4)),
    ("Linear(3-D input)", lambda: (snn.Linear(4, 2), nn.Linear(4, 2)), (2, 5, 4)),
    ("Linear(1-D input)", lambda: (snn.Linear(4, 2), nn.Linear(4, 2)), (4,)),
    # a size of 0 works in torch: no inputs leaves the bias, no outputs an empty output
    ("Linear(in_features=0)", lambda: (snn.Linear(0, 3), nn.Linear(0, 3)), (6, 0)),
    ("Linear(out_features=0)", lambda: (snn.Linear(4, 0), nn.Linear(4, 0)), (6, 4)),
    ("Sequential MLP relu", lambda: mlp_pair(), (7, 5)),
    ("Sequential MLP tanh", lambda: mlp_pair(act=(snn.Tanh, nn.Tanh)), (7, 5)),
    ("Sequential MLP gelu", lambda: mlp_pair((3, 16, 2), act=(snn.GELU, nn.GELU)), (4, 3)),
]  # fmt: skip


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")  # torch, Linear(0, n)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_forward_and_all_gradients(name, make, shape, dtype):
    s, t = make()
    check_module(name, s, t, randn(shape, dtype, seed=3), dtype=dtype)


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_zero_in_features_gives_a_zero_bias_as_torch():
    """torch's bias bound is 1/√fan_in, or 0 when fan_in is 0: the output is all zeros."""
    layer = snn.Linear(0, 3, dtype=np.float64)
    assert (layer.bias.data == 0).all() and (nn.Linear(0, 3).bias == 0).all()
    assert (layer(np.ones((2, 0))) == 0).all()


def test_state_dict_has_torch_keys_and_shapes():
    s, t = mlp_pair()
    assert [(k, v.shape) for k, v in s.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t.state_dict().items()
    ]


def test_backward_accumulates_like_autograd_and_zero_grad_resets():
    s, t = snn.Linear(3, 2).double(), nn.Linear(3, 2).double()
    sync_weights(s, t)
    x = randn((4, 3), "float64")
    g = randn((4, 2), "float64", seed=9)
    for _ in range(2):  # two backward passes without zero_grad: gradients add up
        s(x)
        s.backward(g)
        t(torch.from_numpy(x)).backward(torch.from_numpy(g))
    assert_close(
        s.weight.grad, t.weight.grad, component="Linear", tensor="accumulated grad", dtype="float64"
    )
    s.zero_grad()
    assert all(p.grad is None for p in s.parameters())


def test_load_state_dict_accepts_torch_tensors_and_keeps_dtype():
    s, t = snn.Linear(3, 2), nn.Linear(3, 2).double()
    s.load_state_dict(t.state_dict())
    assert s.weight.dtype == np.float32
    np.testing.assert_allclose(s.weight.data, t.weight.detach().numpy().astype(np.float32))


def test_train_eval_propagates_to_children():
    s, _ = mlp_pair()
    assert all(m.training for m in s.modules())
    s.eval()
    assert not any(m.training for m in s.modules())


BAD_INPUT = [
    (lambda: snn.Linear(3, 2)(np.ones((4, 5), np.float32)), ValueError, "input must have shape \\(..., 3\\)"),
    (lambda: snn.Linear(3, 2)(np.ones((4, 3), np.int64)), TypeError, "input must have dtype"),
    (lambda: snn.Linear(3, 2)(np.ones((4, 3), np.float64)), TypeError, "input has dtype float64 but Linear.s parameters are float32"),
    (lambda: snn.Linear(-1, 2), ValueError, "in_features must be an integer >= 0"),
    (lambda: snn.Linear(3, 2.5), ValueError, "out_features"),
    (lambda: snn.Linear(3, 2).backward(np.ones((1, 2))), ValueError, "backward\\(\\) called before forward"),
    (lambda: snn.Linear(3, 2).load_state_dict({"weight": np.ones((2, 3))}), ValueError, "missing \\['bias'\\]"),
    (lambda: snn.Linear(3, 2).load_state_dict({"weight": np.ones((3, 2)), "bias": np.ones(2)}), ValueError, "has shape"),
    (lambda: snn.Sequential(snn.ReLU(), "relu"), TypeError, "Sequential argument 1 must be a Module"),
    (lambda: snn.Parameter(np.arange(3)), TypeError, "float32 or float64"),
    (lambda: snn.Linear(3, 2).to(np.int32), TypeError, "dtype must be float32 or float64"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_module_list_registers_children_under_torch_keys():
    s = snn.ModuleList([snn.Linear(2, 3), snn.ReLU()]).append(snn.Linear(3, 1))
    t = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()]).append(nn.Linear(3, 1))
    assert list(s.state_dict()) == list(t.state_dict()) and len(s) == 3
    with pytest.raises(TypeError, match="ModuleList items must be Modules"):
        s.append(np.ones(3))


def test_device_cpu_is_taken_and_others_refused():
    """torch's device=: 'cpu' (or None) only, as NumPy computes on the CPU; dtype=None is
    torch's default, float32."""
    assert snn.Linear(3, 2, device="cpu", dtype=None).weight.dtype == np.float32
    assert snn.Linear(3, 2, device=torch.device("cpu"), dtype=np.float64).weight.dtype == np.float64
    with pytest.raises(ValueError, match="device must be None or 'cpu'"):
        snn.Linear(3, 2, device="cuda:0")
