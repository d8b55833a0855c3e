"""Every checkable component's spec, by the catalog's short name (``SPECS["BatchNorm2d"]``)."""

from __future__ import annotations

import importlib

from parity_tests.check.specs.base import Case, Result, Spec, Target

FAMILIES = ("modules", "functions", "losses", "optim", "conv", "dropout", "attention", "init")


def _gather() -> dict[str, Spec]:
    found: dict[str, Spec] = {}
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"parity_tests.check.specs.{family}")
        except ModuleNotFoundError as err:
            if err.name != f"parity_tests.check.specs.{family}":
                raise
            continue
        for spec in module.SPECS:
            assert spec.name not in found, f"two specs named {spec.name}"
            found[spec.name] = spec
    return found


SPECS: dict[str, Spec] = _gather()

__all__ = ["SPECS", "Case", "Result", "Spec", "Target"]
