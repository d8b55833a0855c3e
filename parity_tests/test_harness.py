"""The comparison helper itself: NaN and inf are compared, never waved through.

A NaN against a number once passed ``assert_trajectory_close`` (its per-step ratio was NaN,
and NaN > 1 is False); these cases keep that from coming back.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parity_check.core.harness import assert_trajectory_close, measure

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "actual,expected,passes",
    [
        ([1.0, NAN], [1.0, 2.0], False),  # NaN against a number
        ([1.0, 2.0], [1.0, NAN], False),  # a number against NaN
        ([1.0, INF], [1.0, 2.0], False),
        ([1.0, NAN], [1.0, NAN], True),  # the same NaN on both sides agrees
        ([1.0, -INF], [1.0, -INF], True),
        ([1.0, 2.0], [1.0, 2.0 + 1e-9], False),  # float64 rtol is 1e-10
    ],
)
def test_measure_and_trajectories_treat_non_finite_values_strictly(actual, expected, passes):
    c = measure(np.array(actual), np.array(expected), rtol=1e-10, atol=1e-12)
    assert c.passed is passes and (passes or c.index == (1,))
    assert passes or c.headroom > 1 and not math.isnan(c.headroom) and not math.isnan(c.max_rel)
    steps = [np.array([a]) for a in actual], [np.array([e]) for e in expected]
    if passes:
        assert_trajectory_close(*steps, component="c", tensor="t", dtype="float64")
    else:
        with pytest.raises(AssertionError, match="at step 1"):
            assert_trajectory_close(*steps, component="c", tensor="t", dtype="float64")
