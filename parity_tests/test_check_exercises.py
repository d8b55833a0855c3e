"""``parity-check exercises/``: the stubs read "not started", scratch's implementations in their
place pass every check, and a wrong solution is named.

The solutions are thin: each exercise file re-exports scratch's implementation (or, for the
exercises scratch has no single function for, a few lines on top of scratch), so this file
proves the scoreboard, the stubs' protocols and the exercises' own checks together.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from parity_check.cli import main
from parity_check.exercises import EXERCISES, FILES, gradients, scoreboard, xor
from parity_check.exercises.architecture import check_build_model

EXERCISES_DIR = Path(__file__).resolve().parents[1] / "exercises"
NO_TRAINING = {"architecture": {"train_images": 0}}  # the MNIST run has its own test

SOLUTIONS = {
    "activations.py": "from scratch.functional import relu, relu_derivative, sigmoid, sigmoid_derivative, tanh, tanh_derivative  # noqa: F401\n",  # fmt: skip
    "linear.py": "from scratch.nn import Linear  # noqa: F401\n",
    "xor.py": """
from scratch.models import NeuralNetwork


def train_xor(W1, b1, W2, b2, X, Y, lr, epochs):
    net = NeuralNetwork([2, 4, 1], "tanh", "sigmoid")
    names = ("layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias")
    net.load_state_dict(dict(zip(names, (W1, b1, W2, b2))))
    losses = net.fit(X, Y, epochs, lr)
    return (losses, *(net.state_dict()[n] for n in names))
""",
    "gradient_check.py": """
import numpy as np

from scratch.gradcheck import numerical_gradient as scratch_numerical_gradient


def numerical_gradient(f, x, eps=1e-5):
    return scratch_numerical_gradient(lambda: np.asarray(f(x)), x, np.ones(()), eps)
""",
    "softmax_cross_entropy.py": "from scratch.functional import softmax  # noqa: F401\nfrom scratch.nn import CrossEntropyLoss  # noqa: F401\n",  # fmt: skip
    "optimizers.py": "from scratch.optim import SGD, Adam  # noqa: F401\n",
    "adamw.py": "from scratch.optim import AdamW  # noqa: F401\n",
    "batchnorm.py": "from scratch.nn import BatchNorm2d  # noqa: F401\n",
    "dropout.py": "from scratch.nn import Dropout  # noqa: F401\n",
    "conv.py": "from scratch.nn import Conv2d  # noqa: F401\n",
    "pooling.py": "from scratch.nn import MaxPool2d  # noqa: F401\n",
    "attention.py": """
from scratch.functional import scaled_dot_product_attention  # noqa: F401
from scratch.functional import scaled_dot_product_attention_backward as backward
from scratch.functional import scaled_dot_product_attention_forward as forward


def scaled_dot_product_attention_backward(grad_output, query, key, value, **settings):
    return backward(grad_output, forward(query, key, value, **settings)[1])
""",
    "architecture.py": "from mnist_challenge.model import ChallengeNet as build_model  # noqa: F401\n",
}

# A learner's Linear, right but for one thing: the bias gradient averaged over the batch.
WRONG_LINEAR = """
import numpy as np

from scratch.nn import Module, Parameter


class Linear(Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.weight = Parameter(np.zeros((out_features, in_features)))
        self.bias = Parameter(np.zeros(out_features)) if bias else None

    def forward(self, x):
        self.x = x
        z = x @ self.weight.data.T
        return z if self.bias is None else z + self.bias.data

    def backward(self, grad_output):
        g = grad_output.reshape(-1, grad_output.shape[-1])
        self.weight.accumulate(g.T @ self.x.reshape(-1, self.x.shape[-1]))
        if self.bias is not None:
            self.bias.accumulate(g.mean(axis=0))
        return grad_output @ self.weight.data
"""


def copy_with(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "exercises"
    shutil.copytree(EXERCISES_DIR, folder)
    for name, text in files.items():
        (folder / name).write_text(text.lstrip(), encoding="utf-8")
    return folder


def statuses(board) -> dict[str, str]:
    return {r.exercise.title: r.status for r in board.rows}


def test_the_manifest_and_the_folder_agree():
    assert sorted(FILES) == sorted(p.name for p in EXERCISES_DIR.glob("*.py"))
    assert set(SOLUTIONS) == set(FILES)


def test_the_stubs_as_committed_are_not_started(capsys):
    assert main([str(EXERCISES_DIR)]) == 1
    out, err = capsys.readouterr()
    assert err == "" and "Traceback" not in out
    assert f"0 of {len(EXERCISES)} done" in out
    rows = scoreboard(EXERCISES_DIR).rows
    assert [r.status for r in rows] == ["not started"] * len(EXERCISES)
    details = {r.exercise.name: r.detail for r in rows}
    assert details["Linear"] == "Linear.__init__ still raises NotImplementedError"
    assert details["relu"] == "relu still raises NotImplementedError"


def test_scratch_in_the_stubs_place_passes_every_check(tmp_path):
    folder = copy_with(tmp_path, SOLUTIONS)
    board = scoreboard(folder, options=NO_TRAINING)
    bad = {r.exercise.title: (r.status, r.detail) for r in board.rows if r.status != "done"}
    assert not bad
    assert board.exit_status() == 0
    xor = next(r for r in board.rows if r.exercise.name == "train_xor")
    assert "solves XOR: yes (4 of 4 points right)" in xor.detail
    arch = next(r for r in board.rows if r.exercise.name == "build_model")
    assert "residual add: " in arch.detail and "training run skipped" in arch.detail


MLP = "from torch import nn\n\n\ndef build_model():\n    return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))\n"


def test_a_wrong_solution_is_named_and_a_missing_file_listed(tmp_path, capsys):
    files = {"linear.py": WRONG_LINEAR, "xor.py": SOLUTIONS["xor.py"], "architecture.py": MLP}
    folder = copy_with(tmp_path, files)
    (folder / "conv.py").unlink()
    board = scoreboard(folder, options=NO_TRAINING)
    rows = {r.exercise.title: r for r in board.rows}
    assert rows["Linear layer"].status == "wrong"
    assert "[linear-bias-grad-averaged; course section: MLP and backprop]" in rows["Linear layer"].detail  # fmt: skip
    assert rows["Exercise 1: XOR from scratch"].status == "done"
    assert rows["Convolution"].status == "missing"
    arch = rows["Exercise 4: architecture design"]
    assert arch.status == "wrong" and arch.detail.startswith("50,890 parameters")
    assert "0 Conv2d; 0 BatchNorm2d; no residual add" in arch.detail
    assert board.exit_status() == 1
    assert main([str(folder), "--json", str(tmp_path / "board.json")]) == 1
    data = json.loads((tmp_path / "board.json").read_text())
    assert data["counts"]["wrong"] == 2 and data["counts"]["missing"] == 1
    out = capsys.readouterr().out
    assert f"parity-check Linear {folder / 'linear.py'}:Linear" in out


# A learner's Linear as the course writes it: right, for 2-D input only (x.T of a 3-D x is
# not the batch's transpose); the stub promises 3-D input too.
LINEAR_2D = """
import numpy as np

from scratch.nn import Module, Parameter


class Linear(Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.weight = Parameter(np.zeros((out_features, in_features)))
        self.bias = Parameter(np.zeros(out_features)) if bias else None

    def forward(self, x):
        self.x = x
        z = x @ self.weight.data.T
        return z if self.bias is None else z + self.bias.data

    def backward(self, grad_output):
        self.weight.accumulate(grad_output.T @ self.x)
        if self.bias is not None:
            self.bias.accumulate(grad_output.sum(axis=0))
        return grad_output @ self.weight.data
"""

# scratch's Conv2d refusing a string padding, which the stub leaves optional.
CONV_NO_SAME = """
from scratch.nn import Conv2d as _Conv2d


class Conv2d(_Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True):
        if isinstance(padding, str):
            raise ValueError("padding must be a number")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)
"""


def test_each_exercise_is_judged_on_the_scope_its_stub_promises(tmp_path):
    folder = copy_with(tmp_path, {"linear.py": LINEAR_2D, "conv.py": CONV_NO_SAME})
    rows = {r.exercise.title: r for r in scoreboard(folder, options=NO_TRAINING).rows}
    linear = rows["Linear layer"]
    assert linear.status == "wrong"
    assert linear.detail.startswith("case 'Linear(5, 3), 3-D input': 3-D input not supported (ValueError: ")  # fmt: skip
    conv = rows["Convolution"]
    assert conv.status == "done", conv.detail
    assert "1 case(s) your code does not support, which the exercise leaves optional" in conv.detail  # fmt: skip


@pytest.mark.parametrize(
    "check,mistakes",
    [(xor.check_train_xor, xor.MISTAKES), (gradients.check_numerical_gradient, gradients.MISTAKES)],
    ids=["XOR", "gradient checking"],
)
def test_each_exercise_mistake_is_caught_and_named(check, mistakes):
    for m in mistakes:
        outcome = check(m.obj, m.key)
        assert not outcome.passed and f"[{m.key}; course section: Exercises]" in outcome.detail


def test_a_folder_with_no_exercise_file_is_a_usage_error(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "holds none of the exercise files" in capsys.readouterr().err


def test_an_error_is_one_line_and_the_others_still_run(tmp_path):
    folder = copy_with(tmp_path, {
        "activations.py": "def relu(z):\n    return z.nonexistent\n\n\nrelu_derivative = relu\n",
        "optimizers.py": "raise ImportError('broken file')\n",
        "dropout.py": "import sys\nsys.exit(0)\n",  # must not end the scoreboard with status 0
    })  # fmt: skip
    rows = {r.exercise.title: r for r in scoreboard(folder, options=NO_TRAINING).rows}
    assert rows["ReLU"].status == "error" and "AttributeError" in rows["ReLU"].detail
    assert rows["Sigmoid"].status == "error" and "defines no sigmoid" in rows["Sigmoid"].detail
    assert rows["Adam"].status == "error" and "broken file" in rows["Adam"].detail
    assert rows["Softmax"].status == "not started"
    assert rows["Dropout"].status == "error" and "sys.exit(0)" in rows["Dropout"].detail


@pytest.mark.skipif(not os.environ.get("MNIST_ROOT"), reason="MNIST_ROOT is not set")
def test_the_short_mnist_run_trains_the_challenge_model():
    from mnist_challenge.model import ChallengeNet

    # 2,000 images in batches of 16 (125 steps, ~2 s): 87.5-88 % measured, against the 60 % bar
    outcome = check_build_model(ChallengeNet, train_images=2000, test_images=1000, batch_size=16)
    assert outcome.passed, outcome.detail
    assert "short run: " in outcome.detail and outcome.data["accuracy"] >= 0.6
