"""Argument checks shared by every scratch component.

Bad input must fail early with a message that names the argument and says what was expected,
never as a NumPy traceback from deep inside a forward pass. No twin: torch does its own checks.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)
REDUCTIONS = ("none", "mean", "sum")


def as_float_array(x: object, name: str) -> np.ndarray:
    """Return ``x`` as a float32/float64 ndarray, or raise TypeError naming ``name``."""
    if not isinstance(x, np.ndarray):
        if isinstance(x, (list, tuple, numbers.Real)) or hasattr(x, "__array__"):
            x = np.asarray(x)
        else:
            raise TypeError(f"{name} must be a float32 or float64 ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must have dtype float32 or float64, got dtype {x.dtype}")
    return x


def check_same_dtype(x: np.ndarray, name: str, dtype: np.dtype, owner: str) -> None:
    """Raise TypeError when ``x`` and a module's parameters disagree on dtype, as torch does."""
    if x.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {x.dtype} but {owner}'s parameters are {np.dtype(dtype)}; "
            f"cast one of them (module.double() / module.float())"
        )


def check_ndim(x: np.ndarray, name: str, allowed: tuple[int, ...]) -> None:
    if x.ndim not in allowed:
        want = " or ".join(f"{n}-D" for n in allowed)
        raise ValueError(f"{name} must be {want}, got shape {x.shape}")


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def check_positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """An integer ≥ ``minimum`` (1 unless a size of 0 works in torch, as Linear's does)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def check_probability(value: object, name: str, *, inclusive_high: bool = True) -> float:
    ok = isinstance(value, numbers.Real) and not np.isnan(value)
    ok = ok and 0.0 <= value and (value <= 1.0 if inclusive_high else value < 1.0)
    if not ok:
        interval = "[0, 1]" if inclusive_high else "[0, 1)"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


def factory_dtype(device: object, dtype: object) -> type:
    """torch's ``device=``/``dtype=`` of a module's constructor. NumPy computes on the CPU:
    ``device`` must be None or the CPU ('cpu', or torch.device('cpu'), whose str is 'cpu').
    ``dtype`` None is torch's default, float32; else float32 or float64 (TypeError)."""
    if device is not None and str(device) != "cpu":
        raise ValueError(f"device must be None or 'cpu' (scratch computes with NumPy on the "
                         f"CPU), got {device!r}")  # fmt: skip
    if dtype is None:
        return np.float32
    if str(dtype) in ("torch.float32", "torch.float64"):  # torch's own dtype, named
        dtype = str(dtype).removeprefix("torch.")
    if np.dtype(dtype) not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}")
    return np.dtype(dtype).type
