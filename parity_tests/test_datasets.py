"""Parity of scratch/datasets.py with torch_ref/datasets.py (spiral, XOR, Beale's function)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.datasets as sd
import torch_ref.datasets as td
from parity_check.core.harness import assert_close


def test_spiral_geometry_matches_without_noise():
    (Xs, ys), (Xt, yt) = sd.spiral(50, 4, noise=0.0), td.spiral(50, 4, noise=0.0)
    assert_close(Xs, Xt, component="spiral", tensor="points (noise=0)", dtype="float64")
    np.testing.assert_array_equal(ys, yt.numpy())


def test_spiral_noise_has_the_requested_spread_in_both_twins():
    """The RNGs differ, so compare the law: angle residuals ~ N(0, noise²) in both twins."""
    for X in (sd.spiral(2000, 1, noise=0.2)[0], td.spiral(2000, 1, noise=0.2)[0].numpy()):
        theta = np.arctan2(X[:, 0], X[:, 1])
        residual = np.angle(np.exp(1j * (theta - np.linspace(0, 4, 2000))))[1:]  # skip r = 0
        assert abs(residual.mean()) < 0.02 and abs(residual.std() - 0.2) < 0.02


def test_xor_matches():
    (Xs, ys), (Xt, yt) = sd.xor(), td.xor()
    assert_close(Xs, Xt, component="xor", tensor="inputs", dtype="float64")
    assert_close(ys, yt, component="xor", tensor="targets", dtype="float64")


@pytest.mark.parametrize(
    "point", [sd.BEALE_START, (1.0, 1.0), (-2.0, 0.7), (3.5, -0.3), (4.0, 4.0)]
)
def test_beale_gradient_matches_autograd(point):
    dx, dy = sd.beale_grad(*point)
    tdx, tdy = td.beale_grad(*point)
    assert_close(
        np.array([dx, dy]),
        torch.stack([tdx, tdy]),
        component="beale_grad",
        tensor=f"gradient at {point}",
        dtype="float64",
    )
    value = td.beale(
        torch.tensor(point[0], dtype=torch.float64), torch.tensor(point[1], dtype=torch.float64)
    )
    assert_close(
        np.array(sd.beale(*point)),
        value,
        component="beale",
        tensor=f"value at {point}",
        dtype="float64",
    )


def test_beale_minimum():
    assert sd.beale(*sd.BEALE_MINIMUM) == 0
    assert sd.beale_grad(*sd.BEALE_MINIMUM) == (0, 0)


BAD_INPUT = [
    (lambda: sd.spiral(0), ValueError, "points_per_class must be a positive integer"),
    (lambda: sd.spiral(10, classes=-1), ValueError, "classes"),
    (lambda: sd.spiral(10, noise=-0.1), ValueError, "noise must be >= 0"),
    (lambda: sd.spiral(10, noise=float("nan")), ValueError, "noise"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
