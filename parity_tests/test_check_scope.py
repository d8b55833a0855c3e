"""parity-check judges learner code on its own scope (issue 20, part 1).

Each learner file below is written as a learner would: a 2-D-only Linear, a pool without
padding, a forward that takes ``padding`` and then crashes with it, a Dropout with no eval
mode. The rules: an exception in a case other than the basic one is a row ("not supported by
your code" when the code says or shows it does not take that case, else "error", a FAIL of
that case); a wrong shape, NaN or inf is a FAIL row of its case, never an abort; a mode that
cannot be set is left out with a note; exit 0 PASS (in scope), 1 FAIL (or --strict with a
case not supported), 2 no verdict (an exception in the basic case).
"""

from __future__ import annotations

import json
import textwrap

import pytest

import scratch.nn as snn
from parity_check import check, cli
from parity_check.specs import SPECS


@pytest.fixture(autouse=True)
def _wide_table(monkeypatch):
    """The table as wide as a terminal's, whatever the worker's: a summary never wraps."""
    monkeypatch.setenv("COLUMNS", "200")


LEARNER = '''
import numpy as np


class Linear2D:
    """The course's dense layer: x (N, in) only."""

    def __init__(self, in_features, out_features, bias=True):
        if not bias:
            raise ValueError("this layer always has a bias")
        self.W = np.zeros((in_features, out_features))
        self.b = np.zeros(out_features)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class NaNIn3D(Linear2D):
    """Right in 2-D, NaN for 3-D input (flattened by hand, then divided by a zero count)."""

    def __init__(self, in_features, out_features, bias=True):
        self.W = np.zeros((in_features, out_features))
        self.b = np.zeros(out_features) if bias else 0.0

    def forward(self, x):
        self.x = x
        out = x @ self.W + self.b
        return out * np.nan if x.ndim == 3 else out

    def backward(self, dout):
        g, x = dout.reshape(-1, dout.shape[-1]), self.x.reshape(-1, self.x.shape[-1])
        self.dW = x.T @ g
        if np.ndim(self.b):
            self.db = g.sum(axis=0)
        return dout @ self.W.T


class FlattensTo2D(NaNIn3D):
    """Flattens every input to 2-D and never restores its shape."""

    def forward(self, x):
        self.x = x.reshape(-1, x.shape[-1])
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        if np.ndim(self.b):
            self.db = dout.sum(axis=0)
        return dout @ self.W.T


class RaisesAtOnce(Linear2D):
    def forward(self, x):
        raise RuntimeError("not written yet")


def _pool(x, k, s, reduce):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, c, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(x[:, :, i * s : i * s + k, j * s : j * s + k])
    return out


class AvgPoolNoPadding:
    """Average pooling, square windows, no padding: says so."""

    def __init__(self, kernel_size, stride=None, padding=0):
        if padding:
            raise NotImplementedError("padding is not implemented")
        self.k, self.s = kernel_size, stride or kernel_size

    def forward(self, x):
        self.shape = x.shape
        return _pool(x, self.k, self.s, lambda win: win.mean(axis=(2, 3)))

    def backward(self, dout):
        dx = np.zeros(self.shape, dtype=dout.dtype)
        k, s = self.k, self.s
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dx[:, :, i * s : i * s + k, j * s : j * s + k] += dout[:, :, i, j, None, None] / k**2
        return dx


class AvgPoolTakesPadding(AvgPoolNoPadding):
    """Takes padding, sizes its output with it, then reads windows that do not fit."""

    def __init__(self, kernel_size, stride=None, padding=0):
        self.k, self.s, self.p = kernel_size, stride or kernel_size, padding

    def forward(self, x):
        self.shape = x.shape
        n, c, h, w = x.shape
        k, s, p = self.k, self.s, self.p
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        out = np.zeros((n, c, oh, ow), dtype=x.dtype)
        for i in range(oh):
            for j in range(ow):
                window = x[:, :, i * s : i * s + k, j * s : j * s + k].reshape(n, c, k * k)
                out[:, :, i, j] = window.mean(axis=2)
        return out


class BatchNorm2DOnlyNoEval:
    """The course's batch norm: (N, D) input, training statistics only (no eval mode)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.gamma, self.beta = np.ones(num_features), np.zeros(num_features)
        self.running_mean, self.running_var = np.zeros(num_features), np.ones(num_features)
        self.eps, self.momentum = eps, momentum

    def forward(self, x):
        if x.ndim != 2:
            raise ValueError("expected (N, D) input")
        n, mu, var = x.shape[0], x.mean(axis=0), x.var(axis=0)
        m = self.momentum
        self.running_mean = (1 - m) * self.running_mean + m * mu
        self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        self.inv = 1 / np.sqrt(var + self.eps)
        self.xhat = (x - mu) * self.inv
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma, self.dbeta = (dout * self.xhat).sum(axis=0), dout.sum(axis=0)
        dxhat = dout * self.gamma
        return self.inv * (dxhat - dxhat.mean(axis=0) - self.xhat * (dxhat * self.xhat).mean(axis=0))


class BatchNormBackwardTrainOnly(BatchNorm2DOnlyNoEval):
    """Has eval mode, but its backward works only after a training forward (CS231n's cache)."""

    training = True

    def forward(self, x):
        if self.training:
            out = super().forward(x)
            self.cache = (self.xhat, self.inv)
            return out
        self.cache = None
        return self.gamma * (x - self.running_mean) / np.sqrt(self.running_var + self.eps) + self.beta

    def backward(self, dout):
        self.xhat, self.inv = self.cache
        return super().backward(dout)


class DropoutNoEval:
    """Inverted dropout that is always in training mode: no train()/eval(), no flag."""

    def __init__(self, p=0.5):
        self.p = p

    def forward(self, x):
        self.mask = (np.random.default_rng().random(x.shape) >= self.p) / (1 - self.p)
        return (x * self.mask).astype(x.dtype)

    def backward(self, dout):
        return (dout * self.mask).astype(dout.dtype)
'''


@pytest.fixture
def learner(tmp_path, monkeypatch):
    (tmp_path / "learner.py").write_text(textwrap.dedent(LEARNER))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv) -> tuple[int, dict, str]:
    status = cli.main([*argv, "--json", "-"])
    out, err = capsys.readouterr()
    return status, (json.loads(out[out.index("{") :]) if "{" in out else {}), err


def rows_of(data: dict, case: str) -> list[dict]:
    return [r for r in data["rows"] if r["case"] == case]


def test_every_spec_has_exactly_one_basic_case_and_it_comes_first():
    for name, spec in SPECS.items():
        for thorough in (False, True):
            cases = spec.cases(thorough)
            assert [c.basic for c in cases].count(True) == 1, name
            assert cases[0].basic, f"{name}: the basic case must come first"


def test_a_2d_only_linear_passes_in_scope_and_fails_strict(learner, capsys):
    status, data, err = run(capsys, "Linear", "learner.py:Linear2D")
    assert status == 0 and data["passed"] and data["in_scope"], err
    three_d = rows_of(data, "Linear(5, 3), 3-D input")
    assert {r["status"] for r in three_d} == {"not supported"}
    assert three_d[0]["where"].endswith("learner.py:19")  # self.dW = self.x.T @ dout
    assert "3-D input not supported (ValueError: " in data["not_covered"][0]
    assert data["not_covered"][0].startswith("'Linear(5, 3), 3-D input' (in_features=5, out_features=3)")  # fmt: skip
    # `raise ValueError(...)` in its own constructor: also scope, not an error
    no_bias = rows_of(data, "Linear(4, 6, bias=False)")
    assert {r["status"] for r in no_bias} == {"not supported"}
    assert no_bias[0]["message"] == "ValueError: this layer always has a bias"
    assert no_bias[0]["where"].endswith("learner.py:10")
    assert len(data["not_covered"]) == 2
    status, data, _ = run(capsys, "Linear", "learner.py:Linear2D", "--strict")
    assert status == 1 and not data["passed"] and data["strict"] and data["in_scope"]


def test_the_python_api_carries_scope_and_strict(learner):
    verdict = check("Linear", "learner.py:Linear2D")
    assert verdict.passed and verdict.in_scope and len(verdict.not_covered) == 2
    assert not check("Linear", "learner.py:Linear2D", strict=True).passed


def test_not_implemented_error_for_padding_is_scope(learner, capsys):
    status, data, err = run(capsys, "AvgPool2d", "learner.py:AvgPoolNoPadding")
    assert status == 0 and data["passed"] and data["in_scope"], err
    statuses = {r["case"]: r["status"] for r in data["rows"]}
    assert statuses["2x2"] == "ok"
    padded = rows_of(data, "3x3/2, padding 1 (counted)")
    assert padded[0]["status"] == "not supported"
    assert padded[0]["message"] == "NotImplementedError: padding is not implemented"
    # count_include_pad and ceil_mode: the signature has no way to take them
    assert statuses["ceil_mode, padding 2, count_include_pad=False"] == "not supported"


def test_a_forward_that_crashes_at_padding_1_after_taking_it_is_a_fail(learner, capsys):
    status, data, err = run(capsys, "AvgPool2d", "learner.py:AvgPoolTakesPadding")
    assert status == 1 and not data["passed"] and not data["in_scope"], err
    padded = rows_of(data, "3x3/2, padding 1 (counted)")
    assert [r["status"] for r in padded] == ["error", "error"]
    assert padded[0]["message"].startswith("ValueError: cannot reshape array")
    assert "learner.py:" in padded[0]["where"]
    assert {r["status"] for r in rows_of(data, "2x2")} == {"ok"}
    assert "your code raised in case '3x3/2, padding 1 (counted)'" in data["diagnosis"]["message"]


def test_an_exception_in_the_basic_case_is_no_verdict(learner, capsys):
    status, data, err = run(capsys, "Linear", "learner.py:RaisesAtOnce")
    assert status == 2 and "Traceback" not in err
    assert "RuntimeError: not written yet (while calling forward, case 'Linear(5, 3)'" in err
    assert data == {"error": err.splitlines()[0].removeprefix("parity-check: "), "exit_status": 2}


def test_nan_in_one_case_is_a_fail_with_the_whole_table(learner, capsys):
    status, data, err = run(capsys, "Linear", "learner.py:NaNIn3D")
    assert status == 1 and "Traceback" not in err  # the table goes to stderr with --json -
    whole = len(check("Linear", snn.Linear).rows)  # every case's every tensor, as scratch's
    assert f"FAIL: 2 of {whole} comparisons out of tolerance" in err and "nan vs" in err
    bad = [r for r in data["rows"] if r["status"] != "ok"]
    assert {r["case"] for r in bad} == {"Linear(5, 3), 3-D input"}
    assert {r["tensor"] for r in bad} == {"output"} and bad[0]["yours"] == "nan"
    assert len(data["rows"]) == whole  # every case's every tensor is still in the table


def test_a_wrong_shape_in_one_case_is_a_fail_that_names_the_case(learner, capsys):
    status, data, err = run(capsys, "Linear", "learner.py:FlattensTo2D")
    whole = len(check("Linear", snn.Linear).rows)
    assert status == 1 and f"FAIL: 4 of {whole} comparisons" in err
    bad = [r for r in data["rows"] if r["status"] != "ok"]
    assert {(r["case"], r["tensor"]) for r in bad} == {
        ("Linear(5, 3), 3-D input", "output"),
        ("Linear(5, 3), 3-D input", "grad of input"),
    }
    assert bad[0]["message"] == "output has shape (6, 3), torch's (2, 3, 3), in case 'Linear(5, 3), 3-D input' (in_features=5, out_features=3)"  # fmt: skip
    assert bad[0]["yours"] is None


def test_an_eval_mode_that_cannot_be_set_is_left_out_with_a_note(learner, capsys):
    status, data, err = run(capsys, "Dropout", "learner.py:DropoutNoEval")
    assert status == 0 and data["passed"], err
    assert not rows_of(data, "p=0.5, eval") and rows_of(data, "p=0.2, train")
    assert any(n.startswith("case 'p=0.5, eval' is not compared: eval mode asked for") for n in data["notes"])  # fmt: skip


def test_a_trajectory_without_eval_mode_compares_its_training_steps(learner, capsys):
    status, data, err = run(capsys, "BatchNorm1d", "learner.py:BatchNorm2DOnlyNoEval")
    assert status == 0 and data["passed"] and data["in_scope"], err
    basic = rows_of(data, "BatchNorm1d(3)")
    assert basic and {r["status"] for r in basic} == {"ok"}
    assert any(n.startswith("case 'BatchNorm1d(3)': its eval steps are not compared, eval mode asked for") for n in data["notes"])  # fmt: skip
    assert "3-D input not supported (ValueError: expected (N, D) input)" in data["not_covered"][0]


class StepWrongShape:
    """The course's optimizer protocol, returning the parameters as a row vector."""

    def __init__(self, lr=0.001):
        self.lr = lr

    def step(self, params, grads):
        return (params - self.lr * grads)[None]


def test_a_wrong_shape_that_the_run_cannot_go_on_with_is_a_fail_even_in_the_basic_case():
    verdict = check("SGD", StepWrongShape)
    assert not verdict.passed and not verdict.in_scope
    first = verdict.failures()[0]
    assert first.case == "SGD(lr=0.05)" and first.yours is None
    assert first.message.startswith("step's return (the new parameters) has shape (1, ")
    assert first.message.endswith(", in case 'SGD(lr=0.05)' (lr=0.05)")


def test_a_backward_that_works_in_training_mode_only_is_scope(learner, capsys):
    status, data, err = run(capsys, "BatchNorm1d", "learner.py:BatchNormBackwardTrainOnly")
    assert status == 0 and data["passed"] and data["in_scope"], err
    basic = rows_of(data, "BatchNorm1d(3)")
    assert {r["status"] for r in basic if r["tensor"] != "eval steps"} == {"ok"}
    eval_rows = [r for r in basic if r["tensor"] == "eval steps"]
    assert [r["status"] for r in eval_rows] == ["not supported"] * 2
    assert eval_rows[0]["message"].startswith("TypeError: cannot unpack non-iterable NoneType")
    assert data["not_covered"][0].startswith("'BatchNorm1d(3)' (num_features=3): eval mode not supported (TypeError")  # fmt: skip
