"""The catalog of classic mistakes, gathered from one module per family.

``MISTAKES`` lists every one; ``mistakes_for(component)`` those the diagnosis tries for a
component. ``parity_tests/test_check_mistakes.py`` proves each is caught and named.
"""

from __future__ import annotations

import importlib

from parity_tests.check.mistakes.base import Mistake

FAMILIES = ("layers", "functions", "losses", "optim", "conv", "dropout", "attention", "init")


def _gather() -> list[Mistake]:
    found: list[Mistake] = []
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"parity_tests.check.mistakes.{family}")
        except ModuleNotFoundError as err:
            if err.name != f"parity_tests.check.mistakes.{family}":
                raise
            continue
        found += module.MISTAKES
    return found


MISTAKES: list[Mistake] = _gather()


def mistakes_for(component: str) -> list[Mistake]:
    return [m for m in MISTAKES if component in m.components]


__all__ = ["MISTAKES", "Mistake", "mistakes_for"]
