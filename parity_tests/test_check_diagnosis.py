"""The diagnosis when no catalogued mistake matches: the relation the numbers show, and which
disagreement is cited first.

Each relation is shown on a small learner-style implementation (``diagnosis_learners.py``),
checked with no catalogued mistake (``mistakes=[]``: the catalogue grows, and a mistake that
matches is named instead of the relation, which a test here shows).
"""

from __future__ import annotations

import inspect

import torch

from parity_check.diagnosis import citation_key, cite
from parity_check.mistakes.base import Mistake
from parity_check.relations import find, misshapen
from parity_check.runner import Checker
from parity_check.settings import SETTINGS
from parity_check.specs import SPECS, Case, Result, Target
from parity_check.specs.module_spec import ModuleSpec
from parity_check.verdict import Row
from parity_tests.diagnosis_learners import (
    AdamEps7,
    BatchNorm1d,
    CrossEntropyAxis0,
    CrossEntropyLogEps,
    CrossEntropyLoss,
    DropoutKeep,
    LinearBiasTwice,
    LinearDWTransposed,
    SoftmaxAxis0,
    StepLREarly,
    StepLRLate,
    attention_over_queries,
)


def check(component: str, obj, *, spec=None, mistakes=()):
    verdict = Checker(spec or SPECS[component], mistakes=list(mistakes)).run(Target(obj, "yours"))
    assert not verdict.passed, "the learner's code was meant to fail"
    return verdict, verdict.diagnosis


# -- the relations -------------------------------------------------------------------------
def test_bias_gradient_twice_torchs_is_scaled_by_2():
    verdict, d = check("Linear", LinearBiasTwice)
    assert (d.relation, d.detail) == ("scaled", "k = 2"), d
    assert d.mistake is None and "grad of bias" in d.message
    assert "first disagreement: grad of bias" in d.message


def test_cross_entropy_gradient_without_1_over_n_is_scaled_by_n():
    verdict, d = check("CrossEntropyLoss", CrossEntropyLoss)
    assert (d.relation, d.detail) == ("scaled", "k = N"), d
    assert "N = 7, the batch size" in d.message  # the first case's (7, 4) logits


def test_softmax_over_axis_0_is_another_axis():
    verdict, d = check("Softmax", SoftmaxAxis0)
    assert (d.relation, d.detail) == ("other-axis", "dim=0"), d


def test_cross_entropy_over_the_batch_axis_is_another_axis():
    verdict, d = check("CrossEntropyLoss", CrossEntropyAxis0)
    assert (d.relation, d.detail) == ("other-axis", "dim=0"), d
    assert "where torch runs dim=1" in d.message


def test_attention_softmax_over_the_queries_is_another_axis():
    verdict, d = check("scaled_dot_product_attention", attention_over_queries)
    assert (d.relation, d.detail) == ("other-axis", "dim=-2"), d
    assert "over the queries" in d.message


def test_adam_with_eps_1e7_is_torch_with_another_setting():
    verdict, d = check("Adam", AdamEps7)
    assert (d.relation, d.detail) == ("setting", "eps=1e-07"), d
    assert "yours equals torch with eps=1e-07 (torch's default is 1e-08)" in d.message


def test_batchnorm_momentum_meaning_one_minus_torchs():
    verdict, d = check("BatchNorm1d", BatchNorm1d)
    # torch's default momentum=0.1 is passed to a constructor whose own default differs, and
    # runs there as torch's 0.9 (the case with momentum=0.3 runs as torch's 0.7)
    assert (d.relation, d.detail) == ("setting", "momentum=0.9"), d
    assert "where torch runs momentum=0.1" in d.message


def test_dropout_p_as_keep_probability():
    verdict, d = check("Dropout", DropoutKeep)
    assert (d.relation, d.detail) == ("setting", "p=0.8"), d
    assert "keep probability" in d.message


def test_steplr_one_step_late():
    verdict, d = check("StepLR", StepLRLate)
    assert (d.relation, d.detail) == ("step-late", "one step late"), d


def test_steplr_one_step_early():
    verdict, d = check("StepLR", StepLREarly)
    assert (d.relation, d.detail) == ("step-early", "one step early"), d


def test_transposed_weight_gradient_on_a_square_case():
    square = ModuleSpec("Linear", torch.nn.Linear, "scratch.nn.Linear", [
        Case("Linear(4, 4)", dict(in_features=4, out_features=4), dict(shape=(3, 4))),
    ], positional=("in_features", "out_features"))  # fmt: skip
    verdict, d = check("Linear", LinearDWTransposed, spec=square)
    assert (d.relation, d.detail) == ("transposed", "grad of weight"), d
    assert "square" in d.message


def test_transposed_weight_gradient_of_the_reversed_shape():
    """The relation itself, on results whose dW has torch's shape reversed (the runner keeps
    such an array in the result and makes its row a FAIL)."""
    checker = Checker(SPECS["Linear"], mistakes=[])
    case = checker.cases[0]
    torch_result = checker.expected(case, "float64")
    yours = Result()
    for name, value in torch_result.items():
        yours.add(name, value.T if name == "grad of weight" else value)
    found = find(checker, [(case, yours)], None)
    assert found is not None and (found.relation, found.detail) == ("transposed", "grad of weight")  # fmt: skip
    assert "shape (5, 3), torch's (3, 5)" in found.text
    assert "in_features=5, out_features=3" in found.text


def test_a_shape_mismatch_names_its_case_and_settings():
    checker = Checker(SPECS["Conv2d"], mistakes=[])
    case = next(c for c in checker.cases if c.label == "3x3, padding 1")
    yours = Result()
    for name, value in checker.expected(case, "float64").items():
        yours.add(name, value[..., 1:-1, 1:-1] if name == "output" else value)  # padding lost
    said = misshapen(checker, [(case, yours)])
    n, c, h, w = checker.expected(case, "float64")["output"].shape
    assert said.startswith(f"your output has shape {(n, c, h - 2, w - 2)} in case {case.label!r}")
    assert "padding=1" in said and f"torch's {(n, c, h, w)}" in said
    assert find(checker, [(case, yours)], None) is None


def test_transposed_weight_gradient_end_to_end_on_a_non_square_case():
    verdict, d = check("Linear", LinearDWTransposed)  # a wrong shape is a FAIL row, kept
    assert (d.relation, d.detail) == ("transposed", "grad of weight"), d


def test_no_relation_says_none_and_cites_the_first_disagreement():
    class Cubed(SoftmaxAxis0):  # nothing simple: softmax of x³
        def forward(self, x):
            return super().forward(x**3)

    verdict, d = check("Softmax", Cubed)
    assert d.relation is None and d.detail == ""
    assert d.message.startswith("no catalogued mistake reproduces your numbers")


def test_a_catalogued_mistake_wins_over_a_relation():
    planted = Mistake("linear-bias-grad-doubled", ("Linear",), "Backpropagation",
                      "your bias gradient is twice torch's", LinearBiasTwice)  # fmt: skip
    verdict, d = check("Linear", LinearBiasTwice, mistakes=[planted])
    assert d.mistake == "linear-bias-grad-doubled" and d.relation is None


def test_the_settings_defaults_are_torchs():
    owners = (torch.nn, torch.optim, torch.nn.functional)
    builtin = {"gelu": torch.nn.GELU}  # F.gelu is a builtin without a signature; GELU's is its
    for component, all_settings in SETTINGS.items():
        # a twin's dim is not torch's argument but the axis torch works along (doc of twin)
        settings = [s for s in all_settings if s.twin is None]
        if not settings:
            continue
        name = component.removesuffix("_derivative")
        twin = builtin.get(name) or next(getattr(o, name) for o in owners if hasattr(o, name))
        params = inspect.signature(twin).parameters
        for s in settings:
            assert s.name in params, f"{component}: torch has no {s.name}"
            assert params[s.name].default == s.default, f"{component}.{s.name}"


# -- which disagreement is cited -------------------------------------------------------------
def row(tensor, headroom, step=None, dtype="float64", passed=False, **kw):
    return Row("case", dtype, tensor, 1.0, 1.0, 1e-10, 1e-12, headroom, passed, (0,),
               yours=1.0, torch=2.0, first_step=step, **kw)  # fmt: skip


def test_citation_order_earliest_step_then_state_then_headroom():
    eval_output = row("output", 1e12, step=3)
    running_mean = row("running_mean", 10.0, step=0)
    grad_step0 = row("grad of input", 1e9, step=0)
    assert cite([eval_output, grad_step0, running_mean]) is running_mean
    loss, grad = row("loss", 2e4), row("grad of input", 7e9)
    assert cite([loss, grad]) is grad
    assert citation_key(running_mean) < citation_key(grad_step0) < citation_key(eval_output)


def test_citation_skips_rows_without_numbers_and_prefers_float64():
    no_numbers = row("output", 1e30)
    no_numbers.yours = no_numbers.torch = None
    f32 = row("grad of input", 1e9, dtype="float32")
    f64 = row("loss", 2.0)
    assert cite([no_numbers, f32, f64]) is f64
    assert cite([no_numbers]) is None


def test_batchnorm_cites_the_running_statistics_at_step_0_not_the_eval_output():
    verdict, d = check("BatchNorm1d", BatchNorm1d)
    cited = cite(verdict.rows)
    assert cited.tensor in ("running_mean", "running_var") and cited.first_step == 0
    assert verdict.failures()[0].tensor == "output"  # the table's first row is not cited
    assert f"first disagreement: {cited.tensor} (step 0 (train))" in d.message


def test_a_loss_cites_the_gradient_off_by_a_factor_not_the_loss_value():
    verdict, d = check("CrossEntropyLoss", CrossEntropyLogEps)
    failing = {r.tensor for r in verdict.failures() if r.dtype == "float64"}
    assert failing == {"loss", "grad of input"}  # the 1e-7 in the log moves the loss too
    assert "first disagreement: grad of input" in d.message
