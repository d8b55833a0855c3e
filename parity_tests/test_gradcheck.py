"""scratch/gradcheck.py agrees with torch.autograd.gradcheck (torch_ref/gradcheck.py).

Both must pass on correct backward passes and both must fail on the same wrong one.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import scratch.nn as snn
import torch_ref.gradcheck as tg
from parity_check.core.harness import randn, sync_weights
from scratch.gradcheck import GradcheckError, gradcheck, numerical_gradient, relative_error


class WrongTanh(snn.Tanh):
    """A classic bug: 1 - tanh(z) instead of 1 - tanh(z)²."""

    def _df(self, z):
        return 1 - np.tanh(z)


class WrongTanhFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return torch.tanh(z)

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        return grad * (1 - torch.tanh(z))


class TorchWrongTanh(nn.Module):
    def forward(self, z):
        return WrongTanhFn.apply(z)


# name, scratch module, torch module, input shape, the answer both must give
CASES = [
    ("Linear", lambda: snn.Linear(3, 2), lambda: nn.Linear(3, 2), (4, 3), True),
    ("Tanh", lambda: snn.Tanh(), lambda: nn.Tanh(), (3, 4), True),
    ("Softmax", lambda: snn.Softmax(dim=1), lambda: nn.Softmax(dim=1), (3, 4), True),
    ("GELU", lambda: snn.GELU(), lambda: nn.GELU(), (3, 4), True),
    ("MLP", lambda: snn.Sequential(snn.Linear(3, 4), snn.Sigmoid(), snn.Linear(4, 2)),
     lambda: nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)), (5, 3), True),
    ("wrong Tanh derivative", lambda: WrongTanh(), lambda: TorchWrongTanh(), (3, 4), False),
]  # fmt: skip


@pytest.mark.parametrize("name,make,make_torch,shape,expected", CASES, ids=[c[0] for c in CASES])
def test_scratch_and_torch_gradcheck_agree(name, make, make_torch, shape, expected):
    s, t = make().double(), make_torch().double()
    sync_weights(s, t)
    x = randn(shape, "float64", seed=5)
    assert gradcheck(s, x, raise_exception=False) is expected
    assert tg.gradcheck(t, torch.from_numpy(x), raise_exception=False) is expected


@pytest.mark.parametrize(
    "name,make,make_torch,shape,expected", CASES[::2], ids=[c[0] for c in CASES[::2]]
)
def test_float32_is_checked_in_float64_as_the_twin_does(name, make, make_torch, shape, expected):
    """The twin casts input and parameters to float64 copies; scratch's gradcheck does too,
    and leaves the float32 module it was given as it was."""
    s, t = make(), make_torch()
    sync_weights(s, t)
    before = {k: v.copy() for k, v in s.state_dict().items()}
    x = randn(shape, "float32", seed=5)
    assert gradcheck(s, x, raise_exception=False) is expected
    assert tg.gradcheck(t, torch.from_numpy(x), raise_exception=False) is expected
    after = s.state_dict()
    assert all(after[k].dtype == v.dtype and (after[k] == v).all() for k, v in before.items())


def test_wrong_backward_raises_and_names_the_tensor():
    with pytest.raises(GradcheckError, match="gradient of input"):
        gradcheck(WrongTanh().double(), randn((2, 3), "float64"))


def test_numerical_gradient_of_a_known_function():
    x = randn((3, 2), "float64")
    upstream = randn((3, 2), "float64", seed=7)
    grad = numerical_gradient(lambda: x**3, x, upstream)
    assert relative_error(grad, 3 * x**2 * upstream) < 1e-8  # d/dx Σ x³·u = 3x²·u


def test_relative_error_is_cs231n_definition():
    assert relative_error(np.array([1.0]), np.array([1.0])) == 0
    assert relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert relative_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)  # 1e-8 floor


BAD_INPUT = [
    (lambda: numerical_gradient(lambda: 0, np.ones(2, np.float32), np.ones(2)), TypeError, "x must be float64"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
