"""parity-check drives optimizers, schedules and initialisers written in any of their styles.

Each test writes a small implementation into a file (as a learner would), points ``check`` at
it, and reads the verdict: which protocol and names were detected, which values torch ran
with, and, for the course's own formulas, that the diagnosis says what the site's pages and
scratch's docstrings say about them (the course's momentum equals torch's at a constant lr
and parts from it when the lr changes; its RMSProp puts ε inside the root).
"""

from __future__ import annotations

import textwrap

import pytest

from parity_check import check
from parity_check.errors import UsageError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

COURSE = '''
import numpy as np


class Momentum:
    """The course's momentum: the velocity carries the lr."""

    def __init__(self, lr=0.01, beta=0.9):
        self.lr, self.beta, self.v = lr, beta, None

    def step(self, params, grads):
        self.v = np.zeros_like(params) if self.v is None else self.v
        self.v = self.beta * self.v + self.lr * grads
        return params - self.v


class RMSProp:
    """The course's RMSProp formula: epsilon under the square root."""

    def __init__(self, lr=0.01, beta=0.99, epsilon=1e-8):
        self.lr, self.beta, self.epsilon, self.s = lr, beta, epsilon, 0.0

    def step(self, params, grads):
        self.s = self.beta * self.s + (1 - self.beta) * grads * grads
        return params - self.lr * grads / np.sqrt(self.s + self.epsilon)


class RMSPropOutside(RMSProp):
    def step(self, params, grads):
        self.s = self.beta * self.s + (1 - self.beta) * grads * grads
        return params - self.lr * grads / (np.sqrt(self.s) + self.epsilon)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t, self.m, self.v = 0, 0.0, 0.0

    def step(self, params, grads):
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grads
        self.v = self.beta2 * self.v + (1 - self.beta2) * grads**2
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        return params - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamNoArgs(Adam):
    """Hyperparameters fixed in the class: the checker must read them back."""

    def __init__(self):
        super().__init__(lr=0.004, beta1=0.85, beta2=0.99)
'''

TORCH_STYLE = '''
import numpy as np


class SGD:
    """torch's protocol: params with .data/.grad, hyperparameters in param_groups."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        self.param_groups = [dict(params=list(params), lr=lr, momentum=momentum,
                                  dampening=dampening, weight_decay=weight_decay,
                                  nesterov=nesterov)]
        self.buffers = {}

    def zero_grad(self):
        for p in self.param_groups[0]["params"]:
            p.grad = None

    def step(self):
        g = self.param_groups[0]
        for i, p in enumerate(g["params"]):
            d = p.grad + g["weight_decay"] * p.data
            if g["momentum"]:
                b = self.buffers.get(i)
                b = d.copy() if b is None else g["momentum"] * b + (1 - g["dampening"]) * d
                self.buffers[i] = b
                d = d + g["momentum"] * b if g["nesterov"] else b
            p.data = p.data - g["lr"] * d


class PlainSGD:
    """No param_groups: the lr lives in an attribute."""

    def __init__(self, params, lr=1e-3):
        self.params, self.lr = list(params), lr

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad
'''

SCHEDULES = '''
import math


def step_decay(epoch, lr0, step_size, gamma=0.1):
    return lr0 * gamma ** (epoch // step_size)


def cosine(epoch, eta_max, T_max, eta_min=0.0):
    return eta_min + (eta_max - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2


def cosine_to_zero(epoch, eta_max, T_max, eta_min=0.0):
    return eta_max * (1 + math.cos(math.pi * epoch / T_max)) / 2


def late_step_decay(epoch, lr0, step_size, gamma=0.1):
    return lr0 * gamma ** (max(epoch - 1, 0) // step_size)


class Exponential:
    """A scheduler without an optimizer: step() and an lr attribute."""

    def __init__(self, lr, gamma):
        self.lr, self.gamma = lr, gamma

    def step(self):
        self.lr *= self.gamma
'''

INIT = '''
import numpy as np


def he_uniform(shape, rng=None):
    """The course's layout, W of shape (n_in, n_out): fan_in is shape[0]."""
    bound = np.sqrt(6.0 / shape[0])
    return (rng or np.random.default_rng()).uniform(-bound, bound, shape)


def kaiming_normal_(w, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
    fan_out = w.shape[0] * int(np.prod(w.shape[2:]))
    slope = a if nonlinearity == "leaky_relu" else 0.0
    gain = {"tanh": 5 / 3, "linear": 1.0}.get(nonlinearity, np.sqrt(2 / (1 + slope**2)))
    w[...] = np.random.normal(0.0, gain / np.sqrt(fan_in if mode == "fan_in" else fan_out), w.shape)
'''


@pytest.fixture
def write(tmp_path):
    def write(name: str, source: str) -> str:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return str(path)

    return write


def skipped(verdict) -> list[str]:
    """The cases the code does not support (one text each)."""
    return verdict.not_covered


# -- optimizers ------------------------------------------------------------------------------
def test_course_momentum_is_torchs_until_the_lr_changes(write):
    verdict = check("SGD", f"{write('course', COURSE)}:Momentum")
    assert "momentum passed as beta" in verdict.notes
    assert any("the course's" in n for n in verdict.notes)
    by_case = {r.case: r.passed for r in verdict.rows if r.compared}
    assert by_case["SGD(momentum=0.9)"] and by_case["SGD(lr=0.05)"], "constant lr: same trajectory"
    failing = [r for r in verdict.failures() if r.dtype == "float64"]
    assert [r.case for r in failing] == ["SGD(momentum=0.9), warmup+cosine lr"]
    assert failing[0].first_step == 1  # the 2nd step: the first at a new lr with a non-empty v
    assert verdict.diagnosis.mistake == "momentum-lr-inside-velocity"
    assert len(skipped(verdict)) == 2  # dampening and nesterov: Momentum does not take them


def test_a_mistake_is_named_with_the_values_read_back_from_the_users_object(write):
    # beta is fixed at 0.8 and not a constructor argument: torch and every catalogued
    # mistake must run with momentum 0.8 too, or nothing would reproduce the user's numbers
    source = COURSE + textwrap.dedent("""
        class FixedBeta(Momentum):
            def __init__(self, lr=0.01):
                super().__init__(lr, beta=0.8)
    """)
    verdict = check("SGD", f"{write('fixed', source)}:FixedBeta")
    assert "momentum=0.8 read back" in " ".join(verdict.notes)
    assert verdict.hyperparameters["SGD(momentum=0.9), warmup+cosine lr"]["momentum"] == 0.8
    assert verdict.diagnosis.mistake == "momentum-lr-inside-velocity"


def test_seed_rules_through_the_checker_agree_with_their_docstrings():
    momentum = check("SGD", "scratch.optim.seed_rules:seed_momentum_step")
    assert [r.case for r in momentum.failures()][:1] == ["SGD(momentum=0.9), warmup+cosine lr"]
    assert momentum.diagnosis.mistake == "momentum-lr-inside-velocity"
    rmsprop = check("RMSprop", "scratch.optim.seed_rules:seed_rmsprop_step")
    assert rmsprop.diagnosis.mistake == "eps-inside-sqrt"
    assert any("step function seed_rmsprop_step" in n for n in rmsprop.notes)

    from scratch.optim.seed_rules import seed_rmsprop_step

    def seed_code(w, s, g, lr, beta, eps):  # the seed's code: ε outside, torch's rule
        return seed_rmsprop_step(w, s, g, lr, beta, eps, eps_inside_root=False)

    assert check("RMSprop", seed_code).passed


def test_course_rmsprop_aliases_and_eps_inside(write):
    path = write("course", COURSE)
    inside = check("RMSprop", f"{path}:RMSProp")
    assert {"alpha passed as beta", "eps passed as epsilon"} <= set(inside.notes)
    assert inside.diagnosis.mistake == "eps-inside-sqrt"
    outside = check("RMSprop", f"{path}:RMSPropOutside")
    assert outside.passed, outside.failures()[:2]
    # beta is alpha here: momentum is not read back from it (torch's default 0 is assumed)
    assert not any(n.startswith("momentum=") for n in outside.notes)


def test_course_adam_passes_with_betas_as_beta1_beta2(write):
    verdict = check("Adam", f"{write('course', COURSE)}:Adam")
    assert verdict.passed, verdict.failures()[:2]
    assert "betas passed as beta1, beta2" in verdict.notes
    assert verdict.hyperparameters["Adam(lr=0.02)"]["lr"] == 0.02


def test_course_adam_defaults_are_read_back_and_torch_runs_with_them(write):
    verdict = check("Adam", f"{write('course', COURSE)}:AdamNoArgs")
    assert verdict.passed, verdict.failures()[:2]  # torch re-ran with lr 0.004, betas (0.85, 0.99)
    used = verdict.hyperparameters["Adam(lr=0.02)"]
    assert used["lr"] == 0.004 and tuple(used["betas"]) == (0.85, 0.99)
    assert any(n.startswith("lr=0.004 read back") for n in verdict.notes)


def test_torch_style_optimizers_pass(write):
    path = write("torch_style", TORCH_STYLE)
    verdict = check("SGD", f"{path}:SGD")
    assert verdict.passed and not skipped(verdict), verdict.failures()[:2]
    assert any("param_groups" in n for n in verdict.notes)
    plain = check("SGD", f"{path}:PlainSGD")
    assert plain.passed, plain.failures()[:2]
    assert len(skipped(plain)) == 4  # every case with momentum: PlainSGD does not take it


def test_an_object_that_is_no_optimizer_is_a_usage_error(write):
    path = write("bad", "class Thing:\n    def step(self, a, b, c):\n        pass\n")
    with pytest.raises(UsageError, match="step"):
        check("Adam", f"{path}:Thing")


# -- schedules -------------------------------------------------------------------------------
def test_schedule_functions_of_the_epoch(write):
    path = write("schedules", SCHEDULES)
    step = check("StepLR", f"{path}:step_decay")
    assert step.passed, step.failures()[:2]
    assert "lr passed as lr0" in step.notes
    cosine = check("CosineAnnealingLR", f"{path}:cosine")
    assert cosine.passed and "lr passed as eta_max" in cosine.notes
    assert check("CosineAnnealingLR", f"{path}:cosine_to_zero").diagnosis.mistake == "cosine-anneals-to-zero"  # fmt: skip
    late = check("StepLR", f"{path}:late_step_decay")
    assert late.diagnosis.mistake == "schedule-one-step-late"
    assert late.failures()[0].first_step == 4  # step_size 4: torch drops at epoch 4, late at 5


def test_standalone_scheduler_object(write):
    verdict = check("ExponentialLR", f"{write('schedules', SCHEDULES)}:Exponential")
    assert verdict.passed and any("without an optimizer" in n for n in verdict.notes)


def test_sequential_lr_with_milestone_zero_is_torchs():
    from parity_check.specs import SPECS

    spec = SPECS["SequentialLR"]
    case = next(c for c in spec.cases(False) if c.config["milestones"] == [0])
    lrs = spec.expected(case, "float64")["lr by step"]
    assert list(lrs[:4]) == [1.0, 0.5, 0.25, 0.125]


# -- initialisers ----------------------------------------------------------------------------
def test_course_he_init_on_n_in_n_out_is_fans_swapped(write):
    verdict = check("kaiming_uniform_", f"{write('init', INIT)}:he_uniform")
    assert any("takes the shape" in n for n in verdict.notes)
    assert len(skipped(verdict)) == 2  # a=√5, mode and nonlinearity: he_uniform takes none
    assert verdict.diagnosis.mistake == "kaiming-fans-swapped"


def test_an_initialiser_on_the_global_rng_passes(write):
    verdict = check("kaiming_normal_", f"{write('init', INIT)}:kaiming_normal_")
    assert verdict.passed, verdict.failures()[:2]
    assert any("fills the array in place" in n for n in verdict.notes)
