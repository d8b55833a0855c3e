"""Parity of scratch.models.ChallengeNet with the MNIST challenge's torch model.

The torch model is mnist_challenge.model.ChallengeNet (twin: torch_ref.models.ChallengeNet);
its state_dict loads into the NumPy twin as is. Random weights: outputs and every gradient
agree in float64, in train mode (batch statistics) and eval mode (running statistics).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.models as sm
import torch_ref.models as tm
from parity_check.core.harness import DTYPES, assert_close, check_module, randn, sync_weights

WIDTHS = (3, 4, 5)  # small widths: the same graph as the default model, a fraction of the cost


def torch_net_with_running_stats(widths=WIDTHS, seed=0):
    """A torch ChallengeNet whose BatchNorm running stats are not the trivial (0, 1)."""
    torch.manual_seed(seed)
    net = tm.ChallengeNet(widths).double().train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(8, 1, 28, 28, dtype=torch.float64) * 2 + 0.5)
    return net


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_random_weights_outputs_and_all_gradients(mode, dtype):
    t_net = torch_net_with_running_stats()
    s_net = sm.ChallengeNet(WIDTHS)
    getattr(t_net, mode)()
    getattr(s_net, mode)()
    check_module(
        f"ChallengeNet ({mode})", s_net, t_net, randn((6, 1, 28, 28), dtype, seed=2), dtype=dtype
    )


def test_running_stats_after_training_steps_match():
    t_net = torch_net_with_running_stats()
    s_net = sm.ChallengeNet(WIDTHS).double()
    sync_weights(s_net, t_net)
    x = randn((8, 1, 28, 28), "float64", seed=4)
    s_net(x)
    t_net(torch.from_numpy(x))
    t_state = t_net.state_dict()
    for key, value in s_net.state_dict().items():
        if "running" in key or "num_batches" in key:
            assert_close(value, t_state[key], component="ChallengeNet", tensor=key, dtype="float64")


def test_state_dict_keys_and_shapes_equal_torch():
    t_net, s_net = tm.ChallengeNet(), sm.ChallengeNet()
    assert [(k, tuple(v.shape)) for k, v in t_net.state_dict().items()] == [
        (k, v.shape) for k, v in s_net.state_dict().items()
    ]


BAD_INPUT = [
    (lambda: sm.ChallengeNet((4, 8)), ValueError, "widths must be three channel counts"),
    (lambda: sm.ChallengeNet((4, 0, 8)), ValueError, "widths must be a positive integer"),
    (lambda: sm.ChallengeNet()(np.zeros((2, 1, 32, 32), np.float32)), ValueError, "x must have shape \\(N, 1, 28, 28\\)"),
    (lambda: sm.ChallengeNet()(np.zeros((2, 1, 28, 28), np.uint8)), TypeError, "x must have dtype float32 or float64"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_for_inference_gives_the_eval_logits(dtype):
    """Each BatchNorm folded into its convolution (scratch.nn.utils.fuse_conv_bn_eval):
    the eval-mode logits of the unfused twin and of torch, within the profile."""
    t_net = torch_net_with_running_stats().eval()
    s_net = sm.ChallengeNet(WIDTHS).double() if dtype == "float64" else sm.ChallengeNet(WIDTHS)
    s_net.load_state_dict({k: v.numpy() for k, v in t_net.state_dict().items()})
    s_net.train()
    fused = s_net.fused_for_inference()
    assert s_net.training and not fused.training  # a copy: the net itself is left as it was
    x = randn((6, 1, 28, 28), dtype, seed=5)
    with torch.no_grad():
        expected = t_net.to(torch.float64 if dtype == "float64" else torch.float32)(
            torch.from_numpy(x)
        )
    assert_close(fused(x), expected, component="ChallengeNet.fused_for_inference",
                 tensor="output", dtype=dtype)  # fmt: skip
    assert not any("bn" in name for name, _ in fused.named_parameters())
