"""The catalog of classic mistakes, gathered from one module per family.

``MISTAKES`` lists every one; ``mistakes_for(component)`` those the diagnosis tries for a
component. ``parity_tests/test_check_catalog.py`` proves each is caught and named.
"""

from __future__ import annotations

from parity_check.mistakes import (
    attention,
    backward_lr,
    batchnorm,
    conv,
    cross_entropy,
    dropout,
    functions,
    init,
    kinks,
    layers,
    losses,
    optim,
)
from parity_check.mistakes.base import Mistake

FAMILIES = (
    layers,
    batchnorm,
    functions,
    kinks,
    losses,
    cross_entropy,
    optim,
    conv,
    dropout,
    attention,
    init,
    backward_lr,
)
MISTAKES: list[Mistake] = [m for family in FAMILIES for m in family.MISTAKES]


def mistakes_for(component: str) -> list[Mistake]:
    return [m for m in MISTAKES if component in m.components]


__all__ = ["MISTAKES", "Mistake", "mistakes_for"]
