"""Parity of scratch/models.py (the seed's Neuron and MLP) with torch_ref/models.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.models as sm
import torch_ref.models as tm
from parity_check.core.harness import (
    DTYPES,
    assert_trajectory_close,
    check_module,
    randn,
    sync_weights,
)
from scratch.datasets import spiral, xor

NEURONS = ["relu", "sigmoid", "identity"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", NEURONS)
@pytest.mark.parametrize("shape", [(6, 3), (3,)])
def test_neuron(activation, shape, dtype):
    check_module(f"Neuron({activation})", sm.Neuron(3, activation), tm.Neuron(3, activation),
                 randn(shape, dtype, seed=4), dtype=dtype)  # fmt: skip


NETS = [
    ("spiral MLP 2-64-32-3", dict(layer_sizes=[2, 64, 32, 3]), (10, 2)),
    ("XOR net 2-4-1 tanh", dict(layer_sizes=[2, 4, 1], hidden_activation="tanh", output="sigmoid"), (4, 2)),
    ("MLP sigmoid hidden", dict(layer_sizes=[3, 5, 5, 2], hidden_activation="sigmoid"), (6, 3)),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs,shape", NETS, ids=[c[0] for c in NETS])
def test_network_forward_and_gradients(name, kwargs, shape, dtype):
    check_module(
        name,
        sm.NeuralNetwork(**kwargs),
        tm.NeuralNetwork(**kwargs),
        randn(shape, dtype),
        dtype=dtype,
    )


def train_both(kwargs, X, y, epochs, lr):
    """Train the scratch MLP and its torch twin from the same initial weights, in float64."""
    torch.manual_seed(0)
    t_net = tm.NeuralNetwork(**kwargs).double()
    s_net = sm.NeuralNetwork(**kwargs)
    sync_weights(s_net, t_net)
    s_hist = s_net.fit(X, y, epochs, lr)
    t_hist = t_net.fit(torch.from_numpy(X), torch.from_numpy(y), epochs, lr)
    return s_net, t_net, s_hist, t_hist


def test_spiral_training_loss_equal_at_every_epoch():
    X, y = spiral()
    s_net, t_net, s_hist, t_hist = train_both(
        dict(layer_sizes=[2, 64, 32, 3]), X, y, epochs=200, lr=0.5
    )
    assert_trajectory_close(s_hist, t_hist, component="NeuralNetwork (spiral)", tensor="loss per epoch",
                            dtype="float64")  # fmt: skip
    assert s_hist[-1] < 0.2 * s_hist[0], "the spiral MLP did not learn"
    assert (s_net.predict(X) == y).mean() > 0.95


def test_xor_training_loss_equal_and_both_solve_xor():
    X, y = xor()
    kwargs = dict(layer_sizes=[2, 4, 1], hidden_activation="tanh", output="sigmoid")
    s_net, t_net, s_hist, t_hist = train_both(kwargs, X, y, epochs=10_000, lr=0.5)
    assert_trajectory_close(s_hist, t_hist, component="NeuralNetwork (XOR)", tensor="loss per epoch",
                            dtype="float64")  # fmt: skip
    np.testing.assert_array_equal(s_net.predict(X), y)
    t_pred = (torch.sigmoid(t_net(torch.from_numpy(X))) > 0.5).int().numpy()
    np.testing.assert_array_equal(t_pred, y)


def test_relu_xor_net_can_die_which_is_why_xor_uses_tanh():
    """The lesson behind the choice: a 2-4-1 ReLU net stalls at a plateau (dead units)."""
    X, y = xor()
    stuck = sm.NeuralNetwork([2, 4, 1], "relu", "sigmoid", seed=0).fit(X, y, 2000, 0.5)
    solved = sm.NeuralNetwork([2, 4, 1], "tanh", "sigmoid", seed=0).fit(X, y, 2000, 0.5)
    assert stuck[-1] > 0.4 and solved[-1] < 0.05


@pytest.mark.parametrize("epochs,lr", [(0, 0.5), (3, 0.0)])
def test_fit_takes_what_its_torch_twin_takes(epochs, lr):
    """The twin runs torch.optim.SGD(lr) for range(epochs): lr 0 and 0 epochs are fine."""
    X, y = spiral()
    _, _, s_hist, t_hist = train_both(dict(layer_sizes=[2, 8, 3]), X, y, epochs=epochs, lr=lr)
    assert len(s_hist) == len(t_hist) == epochs
    if epochs:
        assert_trajectory_close(s_hist, t_hist, component=f"NeuralNetwork.fit(lr={lr})",
                                tensor="loss per epoch", dtype="float64")  # fmt: skip
        assert s_hist[0] == s_hist[-1]  # lr 0: nothing moves


BAD_INPUT = [
    (lambda: sm.Neuron(3, "softplus"), ValueError, "activation must be one of"),
    (lambda: sm.Neuron(3)(np.ones((2, 4))), ValueError, "x must have shape \\(..., 3\\)"),
    (lambda: sm.NeuralNetwork([2]), ValueError, "layer_sizes needs at least"),
    (lambda: sm.NeuralNetwork([2, 0, 1]), ValueError, "layer_sizes must be a positive integer"),
    (lambda: sm.NeuralNetwork([2, 3], hidden_activation="elu"), ValueError, "hidden_activation"),
    (lambda: sm.NeuralNetwork([2, 3], output="sigmoid"), ValueError, "needs one output unit"),
    (lambda: sm.NeuralNetwork([2, 3]).fit(*spiral(5), epochs=-1, lr=0.1), ValueError, "epochs"),
    (lambda: sm.NeuralNetwork([2, 3]).fit(*spiral(5), epochs=1, lr=-0.1), ValueError, "lr must be >= 0"),
    (lambda: sm.NeuralNetwork([2, 3]).fit(*spiral(5), epochs=1, lr="0.1"), TypeError, "lr must be a number"),
    (lambda: sm.NeuralNetwork([2, 3]).fit(*spiral(5, classes=4), epochs=1, lr=0.1), ValueError, "class indices"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
