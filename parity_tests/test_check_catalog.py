"""Proof that parity-check works: scratch passes, every catalogued mistake fails and is named.

For every spec, the scratch implementation (``spec.reference``) passes its check with no
diagnosis, the cases that sit on kinks and ties included. For every catalogued mistake and
every component it applies to, the wrong variant fails the check *and* the diagnosis names
exactly that mistake: 100 % of the catalog, table driven, so a new mistake is tested the
moment it is listed. A convention at a kink or tie fails those cases and no other, and its
diagnosis says it is a convention.
"""

from __future__ import annotations

import importlib
import math
import re
import textwrap
from pathlib import Path

import pytest

from parity_check.mistakes import MISTAKES
from parity_check.runner import Checker
from parity_check.specs import SPECS, Target


def resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_scratch_passes_its_check(name):
    spec = SPECS[name]
    verdict = Checker(spec).run(Target(resolve(spec.reference), spec.reference))
    assert verdict.passed, f"{name}: scratch fails its own check\n{verdict.failures()[:3]}"
    assert verdict.diagnosis is None


CASES = [(m, c) for m in MISTAKES for c in m.components]
AT_KINK, AT_TIE = re.compile(r"exactly (at )?0"), re.compile(r"ties after a ReLU")
NON_FINITE = {
    "cross-entropy-log-of-softmax",
    "bce-without-log-clamp",
    "bce-with-logits-via-sigmoid",
}
CONVENTIONS = {"relu-derivative-one-at-zero": AT_KINK, "leaky-relu-derivative-one-at-zero": AT_KINK,
               "maxpool-tie-grad-to-every-max": AT_TIE, "maxpool-tie-grad-to-last-max": AT_TIE}  # fmt: skip


@pytest.mark.parametrize("mistake,component", CASES, ids=[f"{c}-{m.key}" for m, c in CASES])
def test_mistake_fails_and_is_diagnosed(mistake, component):
    verdict = Checker(SPECS[component]).run(
        Target(mistake.variant(component), mistake.key, derivative=mistake.derivative)
    )
    assert not verdict.passed, f"{mistake.key} passes the {component} check: the cases miss it"
    assert verdict.diagnosis is not None and verdict.diagnosis.mistake == mistake.key, (
        f"{mistake.key} on {component} diagnosed as: {verdict.diagnosis}"
    )
    if mistake.key in NON_FINITE:  # equal infs/NaNs in the same places count as a match
        assert any(r.yours is not None and not math.isfinite(r.yours) for r in verdict.failures())
    if mistake.key in CONVENTIONS:  # wrong only where torch makes a choice, and said so
        cases = {r.case for r in verdict.failures()}
        assert cases and all(CONVENTIONS[mistake.key].search(c) for c in cases), cases
        assert "convention" in verdict.diagnosis.message


def test_every_mistake_names_a_known_component_and_section():
    from parity_check.core.catalog import SECTIONS

    keys = [m.key for m in MISTAKES]
    assert len(keys) == len(set(keys)), "two mistakes share a key"
    for m in MISTAKES:
        assert m.section in SECTIONS, f"{m.key}: unknown section {m.section!r}"
        assert set(m.components) <= set(SPECS), f"{m.key}: no spec for {set(m.components) - set(SPECS)}"  # fmt: skip
        assert m.explanation and "\n" not in m.explanation


def test_the_catalogue_size_is_what_the_manual_says():
    page = (Path(__file__).resolve().parents[1] / "docs" / "check.md").read_text(encoding="utf-8")
    assert len(MISTAKES) >= 64  # issue 20's floor: the mistakes learners actually make
    assert f"\n{len(MISTAKES)} mistakes, `parity-check --list`" in page


IN_OUT_LINEAR = """
import numpy as np

class Linear:  # the course's layout: W is (in, out), y = x @ W
    def __init__(self, in_features, out_features, bias=True):
        self.W = np.zeros((in_features, out_features))
        self.b = np.zeros(out_features) if bias else None
    def forward(self, x):
        self.x = x
        return x @ self.W + (0 if self.b is None else self.b)
    def backward(self, g):
        x2, g2 = self.x.reshape(-1, self.x.shape[-1]), g.reshape(-1, g.shape[-1])
        self.dW = x2.T @ g2
        if self.b is not None:
            self.db = g2.sum(axis=0)
        return g @ self.W.T
"""


def test_a_square_weight_keeps_the_layout_the_other_cases_showed():
    # the square case cannot tell (in, out) from (out, in) by shape: an (in, out) layer that
    # passes the other cases must pass it too, not fail as if its weight were transposed
    namespace: dict = {}
    exec(textwrap.dedent(IN_OUT_LINEAR), namespace)
    target = Target(namespace["Linear"], "Linear")
    verdict = Checker(SPECS["Linear"]).run(target)
    assert verdict.passed, verdict.failures()[:2]
    assert any("square" in c.label for c in Checker(SPECS["Linear"]).cases)
    assert any("is square: compared as W.T" in n for n in target.notes)
