"""mnist_challenge.model: the parameter budget, the required layers, and twin-friendly names."""

from __future__ import annotations

import operator

import torch
from torch import fx, nn

from mnist_challenge.model import ChallengeNet, count_parameters

# Layers that have NumPy twins in scratch.nn; the model may use nothing else.
TWINNED = (
    nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
    nn.Flatten, nn.Linear, nn.Dropout,
)  # fmt: skip


def test_default_model_fits_the_parameter_budget():
    n = count_parameters(ChallengeNet())
    assert n <= 20_000, f"default ChallengeNet has {n} parameters, the budget is 20,000"
    assert n <= 50_000  # the challenge's hard limit


def test_model_has_conv_batchnorm_and_uses_only_twinned_layers():
    model = ChallengeNet()
    leaves = [m for m in model.modules() if not list(m.children())]
    assert any(isinstance(m, nn.Conv2d) for m in leaves)
    assert any(isinstance(m, nn.BatchNorm2d) for m in leaves)
    assert any(isinstance(m, (nn.AdaptiveAvgPool2d, nn.AvgPool2d)) for m in leaves)
    assert isinstance(leaves[-1], nn.Linear)
    assert all(isinstance(m, TWINNED) for m in leaves), [type(m) for m in leaves]


def test_model_has_a_residual_add():
    graph = fx.symbolic_trace(ChallengeNet()).graph
    adds = [n for n in graph.nodes if n.target in (operator.add, torch.add)]
    assert adds, "no residual addition in ChallengeNet.forward"
    # a skip connection: one operand of the add also feeds the branch (it has two users)
    assert any(len(a.users) > 1 for n in adds for a in n.args if isinstance(a, fx.Node))


def test_forward_shape_and_channels_last_agree():
    torch.manual_seed(0)
    model = ChallengeNet().eval()
    x = torch.randn(4, 1, 28, 28)
    logits = model(x)
    assert logits.shape == (4, 10)
    cl = model.to(memory_format=torch.channels_last)(
        x.contiguous(memory_format=torch.channels_last)
    )
    torch.testing.assert_close(cl, logits, rtol=1e-5, atol=1e-5)


def test_state_dict_names_are_the_twins_map():
    keys = list(ChallengeNet().state_dict())
    expected_prefixes = [
        "stem.conv",
        "stem.bn",
        "down1.conv",
        "down1.bn",
        "block1.conv1",
        "block1.bn1",
        "block1.conv2",
        "block1.bn2",
        "down2.conv",
        "down2.bn",
        "block2.conv1",
        "block2.bn1",
        "block2.conv2",
        "block2.bn2",
        "fc",
    ]
    assert sorted({k.rsplit(".", 1)[0] for k in keys}) == sorted(expected_prefixes)
    assert "block2.bn2.running_var" in keys and "fc.bias" in keys
    assert not any(k.endswith("conv.bias") or k.endswith("conv1.bias") for k in keys)


def test_widths_change_the_model():
    assert count_parameters(ChallengeNet((4, 8, 8))) < count_parameters(ChallengeNet())
    assert ChallengeNet((4, 8, 8))(torch.randn(2, 1, 28, 28)).shape == (2, 10)
