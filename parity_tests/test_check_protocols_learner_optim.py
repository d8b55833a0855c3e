"""parity-check drives the optimizers and schedules learners write, as they write them.

Each style (CS231n's update rules with a config dict, the "from Scratch" book's
``update(params, grads)``, deeplearning.ai's ``update_parameters_with_*`` with its initialiser,
Holberton-style step functions naming the lr ``alpha``, a blog's ``step_decay`` with
``initAlpha``/``factor``/``dropEvery``) is written here from its description, right and wrong.
The right ones must PASS as written; each wrong one must FAIL, and where its mistake is
catalogued (or, for mistakes another branch catalogues, given here as a one-off catalogue
entry) the diagnosis must name it: that proves the adapter hands the diagnosis the learner's
real numbers.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import scratch.optim as so
from parity_tests.check import check
from parity_tests.check.errors import UsageError
from parity_tests.check.mistakes.base import Mistake
from parity_tests.check.runner import Checker
from parity_tests.check.specs import SPECS, Target

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

CS231N = '''
import numpy as np


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    c = config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    return w - config["learning_rate"] * dw / (np.sqrt(c) + config["epsilon"]), config


def rmsprop_eps_inside(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    c = config.get("cache", 0.0)
    c = config["cache"] = config["decay_rate"] * c + (1 - config["decay_rate"]) * dw * dw
    return w - config["learning_rate"] * dw / np.sqrt(c + config["epsilon"]), config


def adam(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999),
                       ("epsilon", 1e-8), ("m", np.zeros_like(w)), ("v", np.zeros_like(w)),
                       ("t", 0)):
        config.setdefault(key, value)
    config["t"] += 1
    b1, b2 = config["beta1"], config["beta2"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = config["m"] / (1 - b1 ** config["t"])
    v_hat = config["v"] / (1 - b2 ** config["t"])
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def adam_uncorrected(w, dw, config=None):
    config = config or {}
    config.setdefault("learning_rate", 1e-3)
    b1, b2 = config.setdefault("beta1", 0.9), config.setdefault("beta2", 0.999)
    m = config["m"] = b1 * config.get("m", 0.0) + (1 - b1) * dw
    v = config["v"] = b2 * config.get("v", 0.0) + (1 - b2) * dw * dw
    return w - config["learning_rate"] * m / (np.sqrt(v) + config.get("epsilon", 1e-8)), config


def adam_own_eps(w, dw, config=None):
    """Overwrites the epsilon it is given: the checker must compare it with what it used."""
    config = {} if config is None else config
    config["epsilon"] = 1e-4
    return adam(w, dw, config)
'''

BOOK = '''
import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params.keys():
            params[key] -= self.lr * grads[key]


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr, self.decay_rate, self.h = lr, decay_rate, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-8)


class Adam:
    """The textbook form, rebinding params[key] rather than changing it in place."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, {}, {}

    def update(self, params, grads):
        self.iter += 1
        for key in params:
            self.m[key] = self.beta1 * self.m.get(key, 0) + (1 - self.beta1) * grads[key]
            self.v[key] = self.beta2 * self.v.get(key, 0) + (1 - self.beta2) * grads[key] ** 2
            m_hat = self.m[key] / (1 - self.beta1**self.iter)
            v_hat = self.v[key] / (1 - self.beta2**self.iter)
            params[key] = params[key] - self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


class AdamEfficient(Adam):
    """The "efficient version": the bias correction folded into the lr, eps added to sqrt(v)."""

    def update(self, params, grads):
        if not self.m:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-8)
'''

DLAI = """
import numpy as np


def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        v["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
    return v


def initialize_adam(parameters):
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_gd(parameters, grads, learning_rate):
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * grads["d" + p + str(l)]
    return parameters


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            v[k] = beta * v[k] + (1 - beta) * grads[k]
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v[k]
    return parameters, v


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8, squared=False):
    v_corrected, s_corrected = {}, {}
    for l in range(1, len(parameters) // 2 + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
            s[k] = beta2 * s[k] + (1 - beta2) * np.square(grads[k])
            v_corrected[k] = v[k] / (1 - beta1**t)
            s_corrected[k] = s[k] / (1 - beta2 ** (2 if squared else t))
            step = v_corrected[k] / (np.sqrt(s_corrected[k]) + epsilon)
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * step
    return parameters, v, s, v_corrected, s_corrected
"""

HOLBERTON = """
import numpy as np


def update_variables_momentum(alpha, beta1, var, grad, v):
    v = beta1 * v + (1 - beta1) * grad
    return var - alpha * v, v


def update_variables_RMSProp(alpha, beta2, epsilon, var, grad, s):
    s = beta2 * s + (1 - beta2) * grad**2
    return var - alpha * grad / (np.sqrt(s) + epsilon), s


def update_variables_Adam(alpha, beta1, beta2, epsilon, var, grad, v, s, t):
    v = beta1 * v + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad**2
    v_hat, s_hat = v / (1 - beta1**t), s / (1 - beta2**t)
    return var - alpha * v_hat / (np.sqrt(s_hat) + epsilon), v, s


def adam_beta2_squared(alpha, beta1, beta2, epsilon, var, grad, v, s, t):
    v = beta1 * v + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad**2
    v_hat, s_hat = v / (1 - beta1**t), s / (1 - beta2**2)
    return var - alpha * v_hat / (np.sqrt(s_hat) + epsilon), v, s


def gd(eta, dx, x):
    return x - eta * dx


def rmsprop_lr_and_alpha(x, dx, cache, learning_rate, alpha, eps):
    cache = alpha * cache + (1 - alpha) * dx * dx
    return x - learning_rate * dx / (np.sqrt(cache) + eps), cache
"""

SCHEDULES = '''
import numpy as np


def step_decay(epoch, initAlpha=0.01, factor=0.25, dropEvery=10):
    """The blog's form: floor((1 + epoch) / dropEvery)."""
    return float(initAlpha * factor ** np.floor((1 + epoch) / dropEvery))


def step_decay_right(epoch, initAlpha=0.01, factor=0.25, dropEvery=10):
    return float(initAlpha * factor ** np.floor(epoch / dropEvery))


class StepDecay:
    def __init__(self, initAlpha=0.01, factor=0.25, dropEvery=10):
        self.initAlpha, self.factor, self.dropEvery = initAlpha, factor, dropEvery

    def __call__(self, epoch):
        return float(self.initAlpha * self.factor ** np.floor(epoch / self.dropEvery))
'''


@pytest.fixture
def write(tmp_path):
    def write(name: str, source: str) -> str:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return str(path)

    return write


def not_supported(verdict) -> int:
    """How many cases the code could not take (runner's not_covered, else the skip notes)."""
    covered = getattr(verdict, "not_covered", None)
    return len(covered) if covered is not None else sum("skipped" in n for n in verdict.notes)


def failing_cases(verdict) -> list[str]:
    return sorted({r.case for r in verdict.failures() if r.dtype == "float64"})


def protocol(verdict) -> str:
    return next(n for n in verdict.notes if n.startswith("protocol:"))


# one-off catalogue entries for mistakes the catalogue gains on another branch: the point here
# is that the learner's numbers reach the diagnosis, not the catalogue itself
class AdamEpsHat(so.Adam):
    """Adam's "efficient version": lr·√(1 - β₂ᵗ)/(1 - β₁ᵗ) · m / (√v + ε)."""

    def _update(self, p, grad, state, group):
        if not state:
            state.update(step=0, m=np.zeros_like(p.data), v=np.zeros_like(p.data))
        state["step"] += 1
        t, (b1, b2) = state["step"], group["betas"]
        state["m"] = b1 * state["m"] + (1 - b1) * grad
        state["v"] = b2 * state["v"] + (1 - b2) * grad * grad
        lr_t = group["lr"] * np.sqrt(1 - b2**t) / (1 - b1**t)
        p.data -= lr_t * state["m"] / (np.sqrt(state["v"]) + group["eps"])


class SGDAsEMA(so.SGD):
    """Momentum as an average from zero, v = βv + (1 - β)g: dampening β, first step included."""

    def _update(self, p, grad, state, group):
        if group["momentum"] and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(p.data)
        super()._update(p, grad, state, {**group, "dampening": group["momentum"]})


EPS_HAT = Mistake("adam-eps-hat", ("Adam",), "Optimizers and schedules", "ε̂", AdamEpsHat)
EMA = Mistake("momentum-as-ema", ("SGD",), "Optimizers and schedules", "EMA", SGDAsEMA)


def diagnose(component: str, target, mistake: Mistake):
    obj = target if not isinstance(target, str) else None
    if obj is None:
        from parity_tests.check.target import load_target

        obj = load_target(target)
    return Checker(SPECS[component], mistakes=[mistake]).run(Target(obj, "yours"))


# -- 1, 5: CS231n's update rules -------------------------------------------------------------
def test_cs231n_rules_pass_with_torchs_settings_under_the_configs_names(write):
    path = write("optim", CS231N)
    plain = check("SGD", f"{path}:sgd")
    assert plain.passed and "update rule sgd(w, dw, config)" in protocol(plain)
    assert not_supported(plain) == 4  # every case with momentum: sgd has no momentum key
    rms = check("RMSprop", f"{path}:rmsprop")
    assert rms.passed, rms.failures()[:2]
    assert {"alpha passed as decay_rate", "eps passed as epsilon"} <= set(rms.notes)
    assert "state kept in your config: cache (square_avg)" in rms.notes
    adam = check("Adam", f"{path}:adam")
    assert adam.passed, adam.failures()[:2]
    assert "betas passed as beta1, beta2" in adam.notes
    assert "its own defaults: learning_rate=0.001, beta1=0.9" in protocol(adam)


def test_cs231n_momentum_is_torchs_at_a_constant_lr_only(write):
    verdict = check("SGD", f"{write('optim', CS231N)}:sgd_momentum")
    assert "state kept in your config: velocity (momentum_buffer)" in verdict.notes
    assert failing_cases(verdict) == ["SGD(momentum=0.9), warmup+cosine lr"]
    assert verdict.diagnosis.mistake == "momentum-lr-inside-velocity"


def test_cs231n_wrong_rules_fail_and_are_named(write):
    path = write("optim", CS231N)
    assert check("RMSprop", f"{path}:rmsprop_eps_inside").diagnosis.mistake == "eps-inside-sqrt"
    uncorrected = check("Adam", f"{path}:adam_uncorrected")
    assert not uncorrected.passed
    assert uncorrected.diagnosis.mistake == "adam-no-bias-correction"


def test_a_setting_the_rule_overwrites_is_read_back_and_torch_runs_with_it(write):
    verdict = check("Adam", f"{write('optim', CS231N)}:adam_own_eps")
    assert verdict.passed, verdict.failures()[:2]  # torch ran with eps 1e-4, the rule's
    assert verdict.hyperparameters["Adam(lr=0.02)"]["eps"] == 1e-4
    assert any(n.startswith("eps=0.0001 read back from your config") for n in verdict.notes)


# -- 2: the book's update(params, grads) ---------------------------------------------------------
def test_book_optimizers_update_the_dicts_in_place(write):
    path = write("book", BOOK)
    sgd = check("SGD", f"{path}:SGD")
    assert sgd.passed and "update(params, grads)" in protocol(sgd)
    rms = check("RMSprop", f"{path}:RMSprop")
    assert rms.passed and "alpha passed as decay_rate" in rms.notes
    adam = check("Adam", f"{path}:Adam")  # rebinds params[key]: read back from the dict
    assert adam.passed and "betas passed as beta1, beta2" in adam.notes
    assert any("lr changed between steps through the attribute lr" in n for n in adam.notes)
    momentum = check("SGD", f"{path}:Momentum")
    assert failing_cases(momentum) == ["SGD(momentum=0.9), warmup+cosine lr"]
    assert momentum.diagnosis.mistake == "momentum-lr-inside-velocity"


def test_book_efficient_adam_fails_and_its_numbers_reach_the_diagnosis(write):
    target = f"{write('book', BOOK)}:AdamEfficient"
    verdict = check("Adam", target)
    assert not verdict.passed and verdict.diagnosis is not None
    assert failing_cases(verdict) == ["Adam(lr=0.02)", "Adam, warmup+cosine lr"]
    assert diagnose("Adam", target, EPS_HAT).diagnosis.mistake == "adam-eps-hat"
    # and the one-off entry is no catch-all: the right Adam is not it
    assert diagnose("Adam", f"{target[: -len('AdamEfficient')]}Adam", EPS_HAT).passed


# -- 3: deeplearning.ai's update_parameters_with_* -----------------------------------------------
def test_dlai_adam_with_its_initialiser_passes(write):
    verdict = check("Adam", f"{write('dlai', DLAI)}:update_parameters_with_adam")
    assert verdict.passed, verdict.failures()[:2]
    assert "state v, s from initialize_adam(parameters)" in protocol(verdict)
    assert "step=t from 1" in protocol(verdict)
    assert any("2 more values" in n for n in verdict.notes)  # v_corrected, s_corrected


def test_dlai_gd_and_momentum(write):
    path = write("dlai", DLAI)
    gd = check("SGD", f"{path}:update_parameters_with_gd")
    assert gd.passed and not_supported(gd) == 4
    momentum = check("SGD", f"{path}:update_parameters_with_momentum")
    assert "from initialize_velocity(parameters)" in protocol(momentum)
    assert "momentum passed as beta" in momentum.notes
    assert "SGD(momentum=0.9)" in failing_cases(momentum)
    assert diagnose("SGD", f"{path}:update_parameters_with_momentum", EMA).diagnosis.mistake == "momentum-as-ema"  # fmt: skip


def test_dlai_adam_with_beta2_squared_fails(write):
    wrong = write("dlai_wrong", DLAI.replace("squared=False", "squared=True"))
    verdict = check("Adam", f"{wrong}:update_parameters_with_adam")
    assert not verdict.passed and "Adam(lr=0.02)" in failing_cases(verdict)


# -- 4: step functions with alpha / eta / learning_rate, in any order ----------------------------
def test_holberton_step_functions(write):
    path = write("holberton", HOLBERTON)
    adam = check("Adam", f"{path}:update_variables_Adam")
    assert adam.passed, adam.failures()[:2]
    assert "lr=alpha, gradient=grad, step=t from 1" in protocol(adam)
    assert "-> (var, v, s)" in protocol(adam)
    rms = check("RMSprop", f"{path}:update_variables_RMSProp")
    assert rms.passed and {"alpha passed as beta2", "eps passed as epsilon"} <= set(rms.notes)
    momentum = check("SGD", f"{path}:update_variables_momentum")
    assert "momentum passed as beta1" in momentum.notes
    assert "SGD(momentum=0.9)" in failing_cases(momentum)
    assert diagnose("SGD", f"{path}:update_variables_momentum", EMA).diagnosis.mistake == "momentum-as-ema"  # fmt: skip
    squared = check("Adam", f"{path}:adam_beta2_squared")
    assert not squared.passed and "Adam(lr=0.02)" in failing_cases(squared)


def test_step_function_roles_by_name_in_any_order(write):
    path = write("holberton", HOLBERTON)
    gd = check("SGD", f"{path}:gd")
    assert gd.passed and "lr=eta, gradient=dx" in protocol(gd) and "-> (x)" in protocol(gd)
    # with learning_rate present, alpha is RMSprop's smoothing constant, not the lr
    rms = check("RMSprop", f"{path}:rmsprop_lr_and_alpha")
    assert rms.passed and "lr=learning_rate" in protocol(rms)


def test_a_function_without_a_gradient_argument_is_a_usage_error(write):
    path = write("bad", "def f(alpha, var, foo):\n    return var\n")
    with pytest.raises(UsageError, match="named like a gradient"):
        check("SGD", f"{path}:f")


# -- 6: schedules named initAlpha / factor / dropEvery -------------------------------------------
def test_blog_step_decay_is_one_step_early(write):
    path = write("schedules", SCHEDULES)
    early = check("StepLR", f"{path}:step_decay")
    assert {"lr passed as initAlpha", "gamma passed as factor", "step_size passed as dropEvery"} <= set(early.notes)  # fmt: skip
    assert early.diagnosis.mistake == "schedule-one-step-early"
    assert early.failures()[0].first_step == 3  # step_size 4: torch drops at epoch 4, it at 3
    right = check("StepLR", f"{path}:step_decay_right")
    assert right.passed, right.failures()[:2]
    # StepLR(step_size=7) leaves gamma at torch's 0.1: given as factor, not the blog's 0.25
    assert any("torch's defaults given too" in n and "gamma=0.1" in n for n in right.notes)


def test_a_schedule_class_of_its_own_with_the_blogs_names(write):
    verdict = check("StepLR", f"{write('schedules', SCHEDULES)}:StepDecay")
    assert verdict.passed, verdict.failures()[:2]
    assert "lr = obj(epoch)" in " ".join(verdict.notes)


# -- the order styles are tried in ---------------------------------------------------------------
def test_detection_order():
    from parity_tests.check.protocols import optim_book, optim_dlai, optim_rule, optim_step
    from parity_tests.check.protocols.optim_styles import find

    def rule(w, dw, config=None): ...
    def update_parameters_with_x(params, grads, learning_rate): ...
    def dl(parameters, grads, v, t, learning_rate): ...
    def step(params, grads, lr): ...  # arrays, not dicts: not deeplearning.ai's

    class Book:
        def update(self, params, grads): ...

    class Course:
        def step(self, params, grads): ...

    assert [find(o) for o in (rule, update_parameters_with_x, dl, step, Book, Course)] == [
        optim_rule, optim_dlai, optim_dlai, optim_step, optim_book, None]  # fmt: skip
