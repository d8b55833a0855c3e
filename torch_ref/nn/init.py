"""Twin of scratch/nn/init.py: ``torch.nn.init`` itself, plus LeCun normal written with it.

``requested_distribution`` runs one of torch's initialisers while recording the
``Tensor.uniform_``/``Tensor.normal_`` call it makes, so a test can read the exact bound or std
torch computed instead of re-deriving torch's formula by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from unittest.mock import patch

import torch
from torch.nn.init import (
    _calculate_fan_in_and_fan_out,
    calculate_gain,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
)

__all__ = [
    "calculate_fan_in_and_fan_out",
    "calculate_gain",
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "normal_",
    "requested_distribution",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
]

calculate_fan_in_and_fan_out = _calculate_fan_in_and_fan_out


def lecun_normal_(tensor: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """N(0, 1/fan_in), untruncated: He normal with the 'linear' gain of 1."""
    return kaiming_normal_(tensor, mode="fan_in", nonlinearity="linear", generator=generator)


def requested_distribution(
    init: Callable, shape: tuple[int, ...], **kwargs
) -> tuple[str, float, float]:
    """("uniform", low, high) or ("normal", mean, std) that ``init`` asked torch to sample.

    Every torch initialiser ends in ``tensor.uniform_(a, b)`` or ``tensor.normal_(mean, std)``;
    those two methods are wrapped for the duration of the call to record their arguments.
    """
    calls: list[tuple[str, float, float]] = []

    def recording(name: str, method: Callable, defaults: tuple[float, float]) -> Callable:
        def wrapper(tensor, first=defaults[0], second=defaults[1], *, generator=None):
            calls.append((name, float(first), float(second)))
            return method(tensor, first, second, generator=generator)

        return wrapper

    tensor = torch.empty(shape, dtype=torch.float64)
    with (
        patch.object(
            torch.Tensor, "uniform_", recording("uniform", torch.Tensor.uniform_, (0.0, 1.0))
        ),
        patch.object(
            torch.Tensor, "normal_", recording("normal", torch.Tensor.normal_, (0.0, 1.0))
        ),
    ):
        init(tensor, **kwargs)
    if len(calls) != 1:
        raise RuntimeError(f"expected one sampling call from {init.__name__}, saw {calls}")
    return calls[0]
