"""Figures whose components are not merged yet, as stubs: each says what it will show.

Replace a ``stub(...)`` by a ``@figure`` function once its scratch API is settled.
"""

from __future__ import annotations

from parity_tests.figures.registry import stub

stub(
    "receptive_field_growth", "Receptive fields", "Receptive-field growth with depth",
    "receptive-field size vs depth for stacks of 3×3 convs (plain, stride 2, dilation 2): "
    "scratch.receptive_field's analytic size (solid) against the torch twin's measured size "
    "(dashed: the support of d out[centre] / d input by autograd through torch's Conv2d "
    "stack). Waits for scratch.receptive_field (its API is not settled on this branch).",
)  # fmt: skip
