"""Checks leave the process as they found it, and odd but legal user code is still checked.

Regression tests for a review of parity-check: neighbours of a user's file imported afresh
for each file (two learners' ``helper.py`` once shared one module), torch's and NumPy's
random states and torch's thread count given back, a Parameter never read back as a
setting, ``named_parameters()`` yielding plain arrays, a loss returning ``(loss, cache)``,
a Softmax class taking ``axis`` (or nothing), and a user's ``zero_grad`` that raises.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

from parity_check import UserCodeError, check


@pytest.fixture
def write(tmp_path):
    def write(relative: str, source: str) -> str:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return str(path)

    return write


def test_each_file_imports_its_own_neighbours_now_and_later(write):
    act = "from helper import f\ndef relu(x):\n    return f(x)\ndef lazy(x):\n    import helper\n    return helper.f(x)\n"  # fmt: skip
    paths = {}
    for folder, factor in (("a", 1), ("b", 2)):
        write(f"{folder}/helper.py", f"import numpy as np\ndef f(x):\n    return np.maximum(x, 0) * {factor}\n")  # fmt: skip
        paths[folder] = write(f"{folder}/act.py", act)
    a, b = paths["a"], paths["b"]
    assert check("relu", f"{a}:relu").passed
    assert not check("relu", f"{b}:relu").passed  # b's helper doubles: it must not be a's
    assert check("relu", f"{a}:lazy").passed  # imports at call time, after the load


def test_random_states_and_threads_are_given_back():
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    threads = torch.get_num_threads()
    for component, target in [("Linear", "scratch.nn:Linear"), ("Dropout", "scratch.nn:Dropout"),
                              ("kaiming_normal_", "scratch.nn.init:kaiming_normal_")]:  # fmt: skip
        assert check(component, target).passed
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert (np.random.get_state()[1] == numpy_state).all()
    assert torch.get_num_threads() == threads


LINEARS = """
import numpy as np
from scratch.nn import Parameter

class ParameterBias:
    # bias is a Parameter attribute: never read back as Linear's bias=True/False setting
    def __init__(self, in_features, out_features):
        self.weight = Parameter(np.zeros((out_features, in_features)))
        self.bias = Parameter(np.zeros(out_features))
    def named_parameters(self):
        return [("weight", self.weight), ("bias", self.bias)]
    def forward(self, x):
        self.x = x
        return x @ self.weight.data.T + self.bias.data
    def backward(self, g):
        g2, x2 = g.reshape(-1, g.shape[-1]), self.x.reshape(-1, self.x.shape[-1])
        self.weight.grad, self.bias.grad = g2.T @ x2, g2.sum(0)
        return g @ self.weight.data

class ArrayParameters(ParameterBias):
    # named_parameters() yields the arrays themselves, gradients kept beside them
    def __init__(self, in_features, out_features, bias=True):
        self.W, self.b = np.zeros((out_features, in_features)), np.zeros(out_features)
    def named_parameters(self):
        return [("W", self.W), ("b", self.b)]
    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b
    def backward(self, g):
        g2, x2 = g.reshape(-1, g.shape[-1]), self.x.reshape(-1, self.x.shape[-1])
        self.dW, self.db = g2.T @ x2, g2.sum(0)
        return g @ self.W

class BadZeroGrad(ArrayParameters):
    def zero_grad(self):
        raise RuntimeError("bug in my zero_grad")
"""


def test_a_parameter_is_never_read_back_as_a_setting_and_the_json_is_plain(write):
    verdict = check("Linear", f"{write('lin.py', LINEARS)}:ParameterBias")
    assert verdict.passed and "bias=False" in " ".join(verdict.not_covered)  # not read back
    assert all(isinstance(v, (bool, int, float, str, type(None))) for h in verdict.to_dict()["hyperparameters"].values() for v in h.values())  # fmt: skip


def test_named_parameters_yielding_arrays_is_read_as_attributes(write):
    verdict = check("Linear", f"{write('lin.py', LINEARS)}:ArrayParameters")
    assert verdict.passed, verdict.failures()[:1]


def test_a_users_zero_grad_that_raises_shows_the_users_frame(write):
    with pytest.raises(UserCodeError, match="bug in my zero_grad .while calling zero_grad"):
        check("Linear", f"{write('lin.py', LINEARS)}:BadZeroGrad")


def test_a_loss_returning_loss_and_cache_is_not_taken_for_a_gradient(write):
    source = """
    import numpy as np
    def cross_entropy(logits, target):
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -logp[np.arange(len(target)), target].mean(), (logp, target)
    """
    verdict = check("CrossEntropyLoss", f"{write('ce.py', source)}:cross_entropy")
    assert [r.tensor for r in verdict.rows if r.passed] and "grad of input" not in {r.tensor for r in verdict.rows if r.compared}  # fmt: skip


@pytest.mark.parametrize("name", ["SoftmaxAxis", "SoftmaxLast"])
def test_a_softmax_class_with_axis_or_without_dim_is_checked(write, name):
    source = """
    import numpy as np
    class SoftmaxAxis:
        def __init__(self, axis=-1):
            self.axis = axis
        def forward(self, z):
            e = np.exp(z - z.max(self.axis, keepdims=True))
            self.s = e / e.sum(self.axis, keepdims=True)
            return self.s
        def backward(self, g):
            return self.s * (g - (g * self.s).sum(self.axis, keepdims=True))
    class SoftmaxLast(SoftmaxAxis):
        def __init__(self):
            self.axis = -1
    """
    verdict = check("Softmax", f"{write('sm.py', source)}:{name}")
    assert verdict.passed
    assert {r.case for r in verdict.rows if r.compared} >= {
        "Softmax(dim=-1)",
        "Softmax(dim=-1), logits near 800",
    }


def test_the_courses_transposed_weight_is_compared_transposed(write):
    source = """
    import numpy as np
    class Linear:  # the course's layout: W (n_in, n_out), X @ W
        def __init__(self, n_in, n_out):
            self.W, self.b = np.zeros((n_in, n_out)), np.zeros(n_out)
        def forward(self, X):
            self.X = X
            return X @ self.W + self.b
        def backward(self, dZ):
            X2, d2 = self.X.reshape(-1, self.X.shape[-1]), dZ.reshape(-1, dZ.shape[-1])
            self.dW, self.db = X2.T @ d2, d2.mean(0)  # the bias gradient averaged
            return dZ @ self.W.T
    """
    verdict = check("Linear", f"{write('lin.py', source)}:Linear")
    assert "your W is (5, 3), torch's weight transposed: compared as W.T" in verdict.notes
    assert {r.tensor for r in verdict.failures()} == {"grad of bias"}
    assert verdict.diagnosis.mistake == "linear-bias-grad-averaged"


def test_a_mode_argument_of_forward_is_passed_beside_the_attribute(write):
    # `training` attribute AND forward(x, training=True): both must say eval in eval mode
    source = """
    import numpy as np
    class Dropout:
        def __init__(self, p=0.5):
            self.p, self.training, self.rng = p, True, np.random.default_rng(0)
        def forward(self, x, training=True):
            if not training:
                self.mask = np.ones_like(x)
                return x
            self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
            return x * self.mask
        def backward(self, g):
            return g * self.mask
    """
    verdict = check("Dropout", f"{write('drop.py', source)}:Dropout")
    assert verdict.passed, verdict.diagnosis
    assert any("forward's training argument" in n for n in verdict.notes)
