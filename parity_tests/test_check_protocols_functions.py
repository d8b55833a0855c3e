"""parity-check drives functions and losses written the way learners write them.

Each test writes a small user file (the course's style, CS231n's, a class with a no-argument
backward) and checks it by ``file.py:name``, as the command line does: the right protocol and
argument order are found, right code passes, and wrong code fails with the right diagnosis.
"""

from __future__ import annotations

import textwrap

import pytest

from parity_check import check

COURSE = """
import numpy as np

def mse(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2)

def mse_grad(y_true, y_pred):
    return 2 * (y_pred - y_true) / y_true.size

def mse_unnamed(u, v):          # target first, but the names do not say so
    return np.mean((u - v) ** 2)

def mse_unnamed_grad(u, v):
    return 2 * (v - u) / u.size

def binary_cross_entropy(y_true, y_pred):
    y_pred = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))

def focal_loss(y_true, y_pred, gamma=2.0, alpha=0.25):
    y_pred = np.clip(y_pred, 1e-7, 1 - 1e-7)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    return -np.mean(alpha * (1 - p_t) ** gamma * np.log(p_t))

def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))

def relu(x):
    return np.maximum(0, x)

def relu_deriv(x):
    return (x > 0).astype(x.dtype)

def sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))  # = 1 / (1 + e^-x), without overflow

def sigmoid_deriv_wrong(x):
    return sigmoid(x)               # forgot the (1 - s)

class MSE:
    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def forward(self, pred, target):
        self.diff = pred - target
        sq = self.diff ** 2
        return sq if self.reduction == "none" else sq.sum() if self.reduction == "sum" else sq.mean()

    def backward(self):             # no upstream gradient: d(loss)/d(pred) only
        d = 2 * self.diff
        return d / d.size if self.reduction == "mean" else d

def softmax_loss(x, y):             # CS231n: returns (loss, dx)
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    dx = np.exp(log_p)
    dx[np.arange(n), y] -= 1
    return -log_p[np.arange(n), y].mean(), dx / n
"""


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    path = tmp_path_factory.mktemp("user") / "course.py"
    path.write_text(textwrap.dedent(COURSE))
    return lambda name: f"{path}:{name}"


def test_course_mse_passes_target_first_detected(user):
    verdict = check("MSELoss", user("mse"), derivative=user("mse_grad"))
    assert verdict.passed
    assert any("(target, input): read from its parameter names (y_true, y_pred)" in n for n in verdict.notes)  # fmt: skip
    assert any(
        t.startswith("'sum' (reduction='sum')") for t in verdict.not_covered
    )  # no reduction argument


def test_target_first_given_explicitly(user):
    verdict = check("MSELoss", user("mse_unnamed"), derivative=user("mse_unnamed_grad"), target_first=True)  # fmt: skip
    assert verdict.passed
    assert any("as you said" in n for n in verdict.notes)
    # without it, torch's order is assumed: the gradient comes out with its sign flipped
    wrong = check("MSELoss", user("mse_unnamed"), derivative=user("mse_unnamed_grad"))
    assert not wrong.passed and wrong.diagnosis.mistake == "mse-grad-sign-flipped"


def test_loss_class_with_argumentless_backward_passes(user):
    verdict = check("MSELoss", user("MSE"))
    assert verdict.passed
    assert len(verdict.hyperparameters) == 3  # mean, sum and none all ran
    assert any("backward() (no argument" in n for n in verdict.notes)


def test_function_returning_loss_and_gradient_passes(user):
    verdict = check("CrossEntropyLoss", user("softmax_loss"))
    assert verdict.passed
    assert any("second value" in n for n in verdict.notes)
    assert any(r.tensor == "grad of input" for r in verdict.rows if r.compared)


def test_function_with_its_derivative_passes(user):
    verdict = check("relu", user("relu"), derivative=user("relu_deriv"))
    assert verdict.passed
    assert {r.tensor for r in verdict.rows if r.compared} == {"output", "derivative"}


def test_wrong_derivative_fails(user):
    verdict = check("sigmoid", user("sigmoid"), derivative=user("sigmoid_deriv_wrong"), dtypes=("float64",))  # fmt: skip
    assert not verdict.passed
    assert {r.tensor for r in verdict.failures()} == {"derivative"}
    assert verdict.diagnosis.mistake is None


def test_course_gelu_skips_tanh_case_and_is_diagnosed(user):
    verdict = check("gelu", user("gelu"))
    # the 'tanh' case cannot be asked for: not supported by that code, and listed as such
    assert {r.case for r in verdict.rows if r.compared} == {"gelu(x)"}
    # and its float32 profile neither: np.sqrt(2 / np.pi) promotes the output to float64
    assert [t.split(" (")[0] for t in verdict.not_covered] == ["'gelu(x)'", "\"gelu(x, 'tanh')\""]
    assert (
        "float32): your function's output is float64 for a float32 input" in verdict.not_covered[0]
    )
    assert verdict.diagnosis.mistake == "gelu-tanh-approximation"


@pytest.mark.parametrize("component,name,mistake", [
    ("BCELoss", "binary_cross_entropy", "bce-clip-instead-of-log-clamp"),
    ("FocalLoss", "focal_loss", "focal-alpha-on-every-example"),  # the parity contract's note, checked
])  # fmt: skip
def test_course_losses_are_diagnosed(user, component, name, mistake):
    verdict = check(component, user(name))
    assert not verdict.passed and verdict.diagnosis.mistake == mistake
