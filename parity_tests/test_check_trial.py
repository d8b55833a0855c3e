"""What a fresh-eyes trial of parity-check found, each fixed and held here.

A tester who had not seen the checker wrote 31 learner implementations in the usual styles
and ran them as the README says. These are the ways it went wrong: a function given for a
module's name (``Sigmoid`` for a plain ``sigmoid``), a class for a function's (``relu`` for a
``Relu`` class), a notebook as TARGET, a learner's file that prints at import (``--json -``),
a book-style Dropout whose backward only works after a training forward, and log(softmax(z))
passing because no logits were far enough apart.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from parity_check import check, cli

LEARNER = '''
import numpy as np

print("testing my layers ...")  # a learner's own check at import


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def cosine_annealing(epoch, lr_max=0.1, lr_min=0.0, T_max=10):
    return lr_min + 0.5 * (lr_max - lr_min) * (1 + np.cos(np.pi * epoch / T_max))


def leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, -negative_slope * x)  # the slope's sign flipped


def mse(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2)


def mse_prime(y_true, y_pred):
    return (y_pred - y_true) / y_true.size  # the 2 is missing


def batchnorm_forward(x, gamma, beta, bn_param):
    """CS231n's form, torch's momentum meaning; test mode leaves no cache (cache = None)."""
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.1)
    rm = bn_param.get("running_mean", np.zeros(x.shape[1], dtype=x.dtype))
    rv = bn_param.get("running_var", np.ones(x.shape[1], dtype=x.dtype))
    cache = None
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        out = gamma * x_hat + beta
        n = x.shape[0]
        rm = (1 - momentum) * rm + momentum * mu
        rv = (1 - momentum) * rv + momentum * var * n / (n - 1)
        cache = (x_hat, gamma, var, eps)
    else:
        out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
    bn_param["running_mean"], bn_param["running_var"] = rm, rv
    return out, cache


def batchnorm_backward(dout, cache):
    x_hat, gamma, var, eps = cache
    n = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx / (n * np.sqrt(var + eps)), dgamma, dbeta


def log_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return np.log(e / e.sum(axis=axis, keepdims=True))


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class Dropout:
    """The book's: forward(x, train_flg); backward needs the training mask."""

    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio, self.mask = dropout_ratio, None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask / (1.0 - self.dropout_ratio)
        self.mask = None
        return x

    def backward(self, dout):
        return dout * self.mask / (1.0 - self.dropout_ratio)


class Adam:
    """The book's "efficient version", eps 1e-7 hard-coded: two causes at once."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for k in params:
            self.m[k] += (1 - self.beta1) * (grads[k] - self.m[k])
            self.v[k] += (1 - self.beta2) * (grads[k] ** 2 - self.v[k])
            params[k] -= lr_t * self.m[k] / (np.sqrt(self.v[k]) + 1e-7)


class Activation_Softmax:
    """nnfs style, normalised over axis 0; the backward is the per-row Jacobian."""

    def forward(self, inputs):
        e = np.exp(inputs - inputs.max(axis=0, keepdims=True))
        self.output = e / e.sum(axis=0, keepdims=True)

    def backward(self, dvalues):
        self.dinputs = np.empty_like(dvalues)
        for i, (out, d) in enumerate(zip(self.output, dvalues)):
            out = out.reshape(-1, 1)
            self.dinputs[i] = (np.diagflat(out) - out @ out.T) @ d
'''


@pytest.fixture(autouse=True)
def learner(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "mine.py").write_text(textwrap.dedent(LEARNER))
    (tmp_path / "mine.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_function_given_for_a_modules_name_is_checked_as_its_function_twin():
    verdict = check("Sigmoid", "mine.py:sigmoid")
    assert verdict.component == "sigmoid" and verdict.passed
    assert any("checked as sigmoid, the function twin of Sigmoid" in n for n in verdict.notes)


def test_a_class_given_for_a_functions_name_is_checked_as_its_module_twin():
    verdict = check("relu", "mine.py:Relu")
    assert verdict.component == "ReLU" and verdict.passed, verdict.summary()
    assert any("checked as ReLU, the module twin of relu" in n for n in verdict.notes)


def test_a_notebook_as_target_is_one_line_not_an_internal_error(capsys):
    status, out, err = run(capsys, "relu", "mine.ipynb:relu")
    assert status == 2 and "Traceback" not in err and "internal error" not in err
    assert "TARGET must be a Python file (.py), got mine.ipynb" in err and "nbconvert" in err


def test_with_json_on_stdout_the_learners_prints_go_to_stderr(capsys):
    status, out, err = run(capsys, "sigmoid", "mine.py:sigmoid", "--json", "-")
    assert status == 0
    assert json.loads(out)["passed"] is True  # stdout is the JSON alone
    assert "testing my layers" in err


def test_a_backward_that_needs_the_training_forward_is_out_of_scope_in_eval(capsys):
    status, out, err = run(capsys, "Dropout", "mine.py:Dropout", "--json", "-")
    data = json.loads(out)
    assert status == 0 and data["passed"] and data["in_scope"], err
    eval_rows = [r for r in data["rows"] if "eval" in r["case"]]
    assert eval_rows and {r["status"] for r in eval_rows} == {"not supported"}
    assert "eval mode not supported" in eval_rows[0]["reason"]


def test_log_of_softmax_fails_where_the_logits_are_hundreds_apart():
    verdict = check("log_softmax", "mine.py:log_softmax")
    assert not verdict.passed
    bad = {r.case for r in verdict.failures()}
    assert bad == {"dim=-1, logits hundreds apart"}, bad
    assert verdict.diagnosis.mistake == "log-softmax-as-log-of-softmax"


def test_a_mistake_with_another_constant_is_named_with_both_causes():
    verdict = check("Adam", "mine.py:Adam", dtypes=("float64",))
    d = verdict.diagnosis
    assert (d.mistake, d.relation, d.detail) == ("adam-eps-hat", "setting", "eps=1e-07"), d
    assert "only with it" in d.message


def test_an_output_along_another_axis_is_named_though_the_gradient_differs_too():
    verdict = check("Softmax", "mine.py:Activation_Softmax", dtypes=("float64",))
    d = verdict.diagnosis
    assert d.mistake is None and (d.relation, d.detail) == ("other-axis", "dim=0"), d
    assert "the gradients differ from that too" in d.message


def test_a_gradient_defined_beside_a_loss_function_is_found_and_checked():
    verdict = check("MSELoss", "mine.py:mse")
    assert not verdict.passed and verdict.diagnosis.mistake == "mse-grad-missing-2"
    assert any("your mse_prime, found beside mse" in n for n in verdict.notes)


def test_a_cs231n_backward_that_has_no_test_mode_cache_is_out_of_scope_in_eval():
    verdict = check("BatchNorm1d", "mine.py:batchnorm_forward", dtypes=("float64",))
    assert verdict.passed and verdict.in_scope, verdict.summary()
    assert any("eval mode not supported" in text for text in verdict.not_covered)


def test_a_blog_cosine_schedule_with_lr_max_and_lr_min_is_checked():
    verdict = check("CosineAnnealingLR", "mine.py:cosine_annealing")
    assert verdict.passed, verdict.summary()


def test_a_leaky_relu_slope_with_the_other_sign_is_named_as_that_setting():
    verdict = check("leaky_relu", "mine.py:leaky_relu", dtypes=("float64",))
    d = verdict.diagnosis
    assert (d.relation, d.detail) == ("setting", "negative_slope=-0.2"), d


@pytest.mark.parametrize(
    "argv, said",
    [(["mine.py:sigmoid", "sigmoid"], "COMPONENT comes first, then TARGET: parity-check sigmoid mine.py:sigmoid"),
     (["nope_dir/"], "folder not found: nope_dir/"),
     (["--list", "--json", "-"], "--list prints plain text, one line per component")],
)  # fmt: skip
def test_a_new_users_slips_are_one_line_that_says_what_to_do(capsys, argv, said):
    status, out, err = run(capsys, *argv)
    assert status == 2 and said in (out + err) and "Traceback" not in err


def test_one_dtype_may_be_given_as_a_string():
    assert check("sigmoid", "mine.py:sigmoid", dtypes="float32").passed
