"""Proof that parity-check works: scratch passes, every catalogued mistake fails and is named.

For every spec, the scratch implementation (``spec.reference``) passes its check with no
diagnosis. For every catalogued mistake and every component it applies to, the wrong variant
fails the check *and* the diagnosis names exactly that mistake: 100 % of the catalog, table
driven, so a new mistake is tested the moment it is listed.
"""

from __future__ import annotations

import importlib

import pytest

from parity_tests.check.mistakes import MISTAKES
from parity_tests.check.runner import Checker
from parity_tests.check.specs import SPECS, Target


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


@pytest.mark.parametrize("mistake,component", CASES, ids=[f"{c}-{m.key}" for m, c in CASES])
def test_mistake_fails_and_is_diagnosed(mistake, component):
    verdict = Checker(SPECS[component]).run(
        Target(mistake.variant(component), mistake.key, derivative=mistake.derivative)
    )
    assert not verdict.passed, f"{mistake.key} passes the {component} check: the cases miss it"
    assert verdict.diagnosis is not None and verdict.diagnosis.mistake == mistake.key, (
        f"{mistake.key} on {component} diagnosed as: {verdict.diagnosis}"
    )


def test_every_mistake_names_a_known_component_and_section():
    from parity_tests.catalog import SECTIONS

    keys = [m.key for m in MISTAKES]
    assert len(keys) == len(set(keys)), "two mistakes share a key"
    for m in MISTAKES:
        assert m.section in SECTIONS, f"{m.key}: unknown section {m.section!r}"
        assert set(m.components) <= set(SPECS), f"{m.key}: no spec for {set(m.components) - set(SPECS)}"  # fmt: skip
        assert m.explanation and "\n" not in m.explanation
