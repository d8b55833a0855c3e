"""Every checkable component's spec, by the catalog's short name (``SPECS["BatchNorm2d"]``)."""

from __future__ import annotations

from parity_check.specs import (
    attention,
    conv,
    dropout,
    functions,
    init,
    losses,
    modules,
    optim,
)
from parity_check.specs.base import Case, Result, Spec, Target

FAMILIES = (modules, functions, losses, optim, conv, dropout, attention, init)
SPECS: dict[str, Spec] = {spec.name: spec for family in FAMILIES for spec in family.SPECS}
assert len(SPECS) == sum(len(f.SPECS) for f in FAMILIES), "two specs share a name"

__all__ = ["SPECS", "Case", "Result", "Spec", "Target"]
