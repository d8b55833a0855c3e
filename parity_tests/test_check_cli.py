"""parity-check's command line: exit statuses, the JSON verdict, and every kind of bad input.

Bad input gets one clear line and exit status 2, never a traceback of the checker's; an
exception inside the user's code in the basic case shows the user's frame. In any other case
it is a row: "not supported" (scope: exit 0 unless --strict) or "error" (exit 1), as a wrong
shape, NaN or inf is a FAIL of its case (exit 1, with the whole table); see
``test_check_scope.py``. Most cases call ``cli.main`` in process (fast); one runs the
installed console script, as a user would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import scratch.nn as snn
from parity_check import check, cli
from parity_check.mistakes import mistakes_for

GOOD_LINEAR = """
import numpy as np

class Linear:
    def __init__(self, in_features, out_features, bias=True):
        rng = np.random.default_rng(0)
        self.W = rng.standard_normal((out_features, in_features))
        self.b = np.zeros(out_features) if bias else None
    def forward(self, x):
        self.x = x
        return x @ self.W.T + (0 if self.b is None else self.b)
    def backward(self, g):
        self.dW = (g.reshape(-1, g.shape[-1]).T @ self.x.reshape(-1, self.x.shape[-1]))
        if self.b is not None:
            self.db = g.reshape(-1, g.shape[-1]).sum(axis=0)
        return g @ self.W
"""

BAD_CLASSES = """
import numpy as np

def helper():
    pass

class NoMethods:
    def __init__(self, in_features, out_features, bias=True):
        self.weight = np.zeros((out_features, in_features))

class TakesOneSize:
    def __init__(self, n):
        self.weight = np.zeros((n, n)); self.bias = np.zeros(n)
    def forward(self, x): return x @ self.weight.T + self.bias
    def backward(self, g): return g @ self.weight

class WrongShape:
    def __init__(self, in_features, out_features, bias=True):
        self.weight = np.zeros((out_features, in_features))
        self.bias = np.zeros(out_features) if bias else np.float32(0)
    def forward(self, x): return x
    def backward(self, g): return g

class WrongDtype(WrongShape):
    def forward(self, x): return (x @ self.weight.T + self.bias).astype(np.float32)

class NaNs(WrongShape):
    def forward(self, x):
        self.x = x
        with np.errstate(all="ignore"):
            return x @ self.weight.T + self.bias / 0.0 * 0.0
    def backward(self, g):
        g2, x2 = g.reshape(-1, g.shape[-1]), self.x.reshape(-1, self.x.shape[-1])
        self.dweight = g2.T @ x2; self.dbias = g2.sum(0)
        return g @ self.weight

class Raises(WrongShape):
    def forward(self, x):
        return self.compute(x)
    def compute(self, x):
        raise RuntimeError("oops in user code")

class Exits(WrongShape):
    def forward(self, x):
        import sys
        sys.exit(0)

class ReturnsList(WrongShape):
    def forward(self, x):
        return (x @ self.weight.T + self.bias).tolist()

class TwoDOnly(WrongShape):
    def forward(self, x):
        self.x = x
        return x @ self.weight.T + self.bias
    def backward(self, g):
        self.dweight = g.T @ self.x  # (4, 3)ᵀ @ (4, 5) works; 3-D input does not
        self.dbias = g.sum(0)
        return g @ self.weight

def mse(input, target):
    return ((input - target) ** 2).mean()

def mse_grad_unfinished(input, target):
    pass

class Ambiguous:
    def __init__(self, in_features, out_features, bias=True):
        self.A = np.zeros((out_features, in_features)); self.B = np.zeros((out_features, in_features))
        self.c = np.zeros(out_features)
    def forward(self, x): return x @ self.A.T + self.c
    def backward(self, g): return g @ self.A
"""


@pytest.fixture(autouse=True)
def _wide_table(monkeypatch):
    """The table as wide as a terminal's, whatever the worker's: a summary never wraps."""
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    (tmp_path / "good.py").write_text(textwrap.dedent(GOOD_LINEAR))
    (tmp_path / "bad.py").write_text(textwrap.dedent(BAD_CLASSES))
    (tmp_path / "broken.py").write_text("def f(:\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys, *argv) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_correct_implementation_exits_0_and_says_which_mapping_was_used(user_dir, capsys):
    status, out, err = run(capsys, "Linear", "good.py:Linear")
    assert status == 0, err
    assert "PASS" in out and "weight=W" in out and "bias=b" in out


def test_json_verdict_holds_every_row(user_dir, capsys):
    status, _, _ = run(capsys, "Linear", "good.py:Linear", "--json", "verdict.json")
    data = json.loads((user_dir / "verdict.json").read_text())
    assert status == 0 and data["passed"] is True and data["component"] == "Linear"
    assert {r["dtype"] for r in data["rows"]} == {"float64", "float32"}
    assert all({"max_abs", "max_rel", "rtol", "atol", "headroom", "passed"} <= set(r) for r in data["rows"])  # fmt: skip


def test_a_mismatch_exits_1_with_a_diagnosis(user_dir, capsys):
    (user_dir / "mean_bias.py").write_text(
        textwrap.dedent(GOOD_LINEAR).replace(".sum(axis=0)", ".mean(axis=0)")
    )
    status, out, _ = run(capsys, "Linear", "mean_bias.py:Linear", "--json", "-")
    assert status == 1
    data = json.loads(out[out.index("{") :])
    assert data["diagnosis"]["mistake"] == "linear-bias-grad-averaged"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_profile_alone_still_diagnoses_in_float64(user_dir, capsys, dtype):
    # a bias gradient averaged is named; a weight gradient doubled is not (no such mistake),
    # even with --dtype float32, where the diagnosis once had no float64 numbers to compare
    good = textwrap.dedent(GOOD_LINEAR)
    (user_dir / "mean_bias.py").write_text(good.replace(".sum(axis=0)", ".mean(axis=0)"))
    (user_dir / "double_w.py").write_text(good.replace("self.dW = (", "self.dW = 2 * ("))
    status, out, _ = run(capsys, "Linear", "double_w.py:Linear", "--dtype", dtype, "--json", "-")
    data = json.loads(out[out.index("{") :])
    assert status == 1 and data["diagnosis"]["mistake"] is None
    tried = len(mistakes_for("Linear"))  # every Linear mistake is tried, whatever the count
    assert (
        f"no catalogued mistake reproduces your numbers ({tried} tried)"
        in data["diagnosis"]["message"]
    )
    status, out, _ = run(capsys, "Linear", "mean_bias.py:Linear", "--dtype", dtype, "--json", "-")
    assert json.loads(out[out.index("{") :])["diagnosis"]["mistake"] == "linear-bias-grad-averaged"


BAD_INPUT = [
    # argv, what the one line must say
    (["Linear", "missing.py:Linear"], "file not found: missing.py"),
    (["Linear", "bad.py:Nope"], "it defines: Ambiguous, Exits, NaNs, NoMethods, Raises, ReturnsList, TakesOneSize, TwoDOnly, WrongDtype, WrongShape, helper, mse, mse_grad_unfinished"),
    (["Linear", "bad.py"], "TARGET must be path/to/file.py:Name"),
    (["Linear", "no_such_package.layers:Linear"], "module not found: no_such_package.layers"),
    (["Linear", "bad.py:NoMethods"], "no forward(x) (or __call__) and no backward(grad_output)"),
    (["Linear", "bad.py:TakesOneSize"], "cannot be constructed as torch's Linear(5, 3): too many positional arguments"),
    (["Linear", "bad.py:WrongDtype"], "has dtype float32, expected float64"),
    (["Linear", "bad.py:Ambiguous"], "ambiguous parameter mapping: torch's weight (3, 5) could be your A or B; say which with --map weight=A"),
    (["Linear", "bad.py:Ambiguous", "--map", "weight"], "--map takes torch_name=your_name pairs"),
    (["Linear", "bad.py:Ambiguous", "--map", "weight=nope"], "--map weight=nope: your object has no 'nope' (it has A, B, c)"),
    (["Linear", "bad.py:Ambiguous", "--map", "A=weight"], "--map names A, which torch's module does not have (its parameters and buffers: weight, bias)"),
    (["Linear", "bad.py:Ambiguous", "--map", ""], "--map is empty"),
    (["relu", "bad.py:helper", "--map", "weight=W"], "--map names a module's parameters; relu is a function"),
    (["Linear", "good.py:Linear", "--derivative", "good.py:Linear"], "--derivative is for a function's derivative or a loss's gradient; Linear is a module"),
    (["Adam", "good.py:Linear", "--target-first"], "--target-first is for a loss; Adam is an optimizer"),
    (["Linear", "bad.py:Exits"], "your code called sys.exit(0) (while calling forward, case 'Linear(5, 3)'"),
    (["Linear", "bad.py:ReturnsList"], "your forward's output is a list, expected an ndarray of float64 with shape (4, 3)"),
    (["MSELoss", "bad.py:mse", "--grad", "bad.py:mse_grad_unfinished"], "your gradient function returned None"),
    (["Linear", "good.py:Linear", "--json", "."], "--json '.' is not a file path"),
    (["Linear", "good.py:Linear", "--json", "no_such_dir/v.json"], "cannot write --json no_such_dir/v.json: no_such_dir is not a writable folder"),
    (["Linear", "broken.py:f"], "SyntaxError"),
    (["Lineer", "good.py:Linear"], "unknown component 'Lineer'"),
    (["Module", "good.py:Linear"], "is in the catalog but is not something parity-check can run"),
    (["Linear"], "give TARGET after Linear"),
    (["Linear", "good.py:Linear", "--dtype", "float16"], "invalid choice: 'float16'"),
]  # fmt: skip


@pytest.mark.parametrize("argv,message", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_clear_line_and_exit_2(user_dir, capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert message in err, err
    assert err.startswith("parity-check: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 or "SyntaxError" in err or "while calling" in err
    assert out == "" or "PASS" not in out  # a bad --json path is refused before the check runs


def test_a_setting_the_signature_cannot_take_is_a_visible_not_supported_row(user_dir, capsys):
    # Linear's first two cases need no bias argument: they run, and the third is not supported
    (user_dir / "always_bias.py").write_text(
        textwrap.dedent(GOOD_LINEAR).replace(", bias=True", "").replace("if bias else None", "")
    )
    status, out, _ = run(capsys, "Linear", "always_bias.py:Linear", "--json", "-")
    data = json.loads(out[out.index("{") :])
    assert status == 0 and data["passed"] and data["in_scope"]
    rows = [r for r in data["rows"] if r["case"] == "Linear(4, 6, bias=False)"]
    assert {r["status"] for r in rows} == {"not supported"} and len(rows) == 2  # each dtype
    assert "does not take bias=False" in rows[0]["message"]
    assert rows[0]["where"].endswith("always_bias.py:5")  # the constructor's signature
    assert data["not_covered"] == [f"'Linear(4, 6, bias=False)' (in_features=4, out_features=6, bias=False): {rows[0]['message']}"]  # fmt: skip


def test_nan_in_an_output_is_a_fail_of_the_whole_table_not_an_abort(user_dir, capsys):
    status, out, err = run(capsys, "Linear", "bad.py:NaNs")
    assert status == 1 and err == ""
    verdict = check("Linear", snn.Linear)  # scratch's: every case's every tensor
    outputs = sum(r.tensor == "output" for r in verdict.rows)
    assert f"FAIL: {outputs} of {len(verdict.rows)} comparisons out of tolerance" in out
    assert "yours nan" in out  # every output


def test_an_exception_in_user_code_shows_the_users_frames_not_ours(user_dir, capsys):
    status, _, err = run(capsys, "Linear", "bad.py:Raises")
    assert status == 2
    assert (
        "your code raised RuntimeError: oops in user code (while calling forward, case 'Linear(5, 3)'"
        in err
    )
    assert "bad.py" in err and 'raise RuntimeError("oops in user code")' in err
    assert "parity_tests" not in err


def test_console_script_runs_as_a_user_would(user_dir):
    proc = subprocess.run([sys.executable, "-m", "parity_check", "Linear", "bad.py:ReturnsList"],
                          capture_output=True, text=True, cwd=user_dir)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "parity-check: your forward's output is a list, expected an ndarray of float64 with shape (4, 3)"
    ]
