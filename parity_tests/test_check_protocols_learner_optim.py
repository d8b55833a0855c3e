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
from parity_check import check
from parity_check.errors import UsageError
from parity_check.mistakes.base import Mistake
from parity_check.runner import Checker
from parity_check.specs import SPECS, Target
from parity_tests.learner_optim_styles import BOOK, CS231N, DLAI, HOLBERTON, NNFS, SCHEDULES

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


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
        from parity_check.target import load_target

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


def test_update_of_one_array_under_other_names(write):
    source = """
    class GD:
        def __init__(self, learning_rate=0.1):
            self.learning_rate = learning_rate

        def update(self, w, dw):
            return w - self.learning_rate * dw
    """
    verdict = check("SGD", f"{write('gd', source)}:GD")
    assert verdict.passed and "update(w, grad) on one flat array" in protocol(verdict)


def test_book_rmsprop_with_its_hard_coded_eps_fails_and_says_the_constant(write):
    verdict = check("RMSprop", f"{write('book', BOOK.replace('+ 1e-8)', '+ 1e-7)'))}:RMSprop")
    assert "RMSprop(lr=0.01)" in failing_cases(verdict)
    assert any("the constant(s) 1e-07 where torch's eps=1e-08 is assumed" in n for n in verdict.notes)  # fmt: skip


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
    two_layers = check("SGD", f"{path}:update_parameters")  # W1, b1, W2, b2 by name
    assert two_layers.passed and "W1, b1, W2, b2" in protocol(two_layers)
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


# -- nnfs's update_params(layer) ----------------------------------------------------------------
def test_nnfs_optimizers_on_one_layer(write):
    path = write("nnfs", NNFS)
    adam = check("Adam", f"{path}:Optimizer_Adam")
    assert adam.passed, adam.failures()[:2]  # its epsilon 1e-7 default is given torch's 1e-8
    assert {"betas passed as beta_1, beta_2", "eps passed as epsilon"} <= set(adam.notes)
    assert "update_params(layer)" in protocol(adam)
    assert any("learning_rate, current_learning_rate" in n for n in adam.notes)
    sgd = check("SGD", f"{path}:Optimizer_SGD")
    assert failing_cases(sgd) == ["SGD(momentum=0.9), warmup+cosine lr"]
    assert sgd.diagnosis.mistake == "momentum-lr-inside-velocity"
    stuck = check("Adam", f"{path}:Optimizer_AdamNoCount")
    assert not stuck.passed and "Adam(lr=0.02)" in failing_cases(stuck)


def test_a_layer_update_named_update_and_a_step_that_hands_back_t(write):
    source = """
    import numpy as np


    class GD:
        def __init__(self, learning_rate=0.1):
            self.learning_rate = learning_rate

        def update(self, layer):
            layer.weights -= self.learning_rate * layer.dweights
            layer.biases -= self.learning_rate * layer.dbiases


    def adam_step(w, dw, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw * dw
        w = w - lr * m / (1 - beta1**t) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return w, m, v, t + 1
    """
    path = write("layer_update", source)
    gd = check("SGD", f"{path}:GD")
    assert gd.passed and "update(layer)" in protocol(gd)
    adam = check("Adam", f"{path}:adam_step")
    assert adam.passed and any("1 more values" in n for n in adam.notes)


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
    from parity_check.protocols import (
        optim_book,
        optim_dlai,
        optim_nnfs,
        optim_rule,
        optim_step,
    )
    from parity_check.protocols.optim_styles import find

    def rule(w, dw, config=None): ...

    class Nnfs:
        def update_params(self, layer): ...

    def update_parameters_with_x(params, grads, learning_rate): ...
    def dl(parameters, grads, v, t, learning_rate): ...
    def step(params, grads, lr): ...  # arrays, not dicts: not deeplearning.ai's

    class Book:
        def update(self, params, grads): ...

    class Course:
        def step(self, params, grads): ...

    assert [find(o) for o in (rule, update_parameters_with_x, dl, step, Book, Nnfs, Course)] == [
        optim_rule, optim_dlai, optim_dlai, optim_step, optim_book, optim_nnfs, None]  # fmt: skip
