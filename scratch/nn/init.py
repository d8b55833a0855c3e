"""Weight initialisation, named and parametrised like ``torch.nn.init``.

Twin: ``torch.nn.init`` (torch_ref/nn/init.py). Each ``*_`` function fills a float ndarray
**in place** and returns it, drawing from ``generator`` (a ``numpy.random.Generator``; a fresh
unseeded one when omitted), as torch's take a ``torch.Generator``. The two twins draw from
different random streams, so parity here is distributional: the same bound/std to the last
bit, and samples that a Kolmogorov-Smirnov test cannot tell apart (parity_tests/test_init.py).

Fans follow torch's ``_calculate_fan_in_and_fan_out``: a weight of shape ``(out, in, *kernel)``
has ``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)`` (the receptive field
multiplies), so Linear (out, in) and Conv2d (out, in/groups, kh, kw) weights both work.

- Xavier/Glorot: std = gain * sqrt(2 / (fan_in + fan_out)); uniform bound = sqrt(3) * std.
- Kaiming/He: std = gain / sqrt(fan), fan = fan_in or fan_out (``mode``), gain from
  ``calculate_gain(nonlinearity, a)``; torch's default nonlinearity is 'leaky_relu' with
  a = 0, i.e. gain sqrt(2), the same as 'relu'.
- LeCun normal (not in torch): defined here as ``kaiming_normal_(mode='fan_in',
  nonlinearity='linear')``, i.e. N(0, 1/fan_in), untruncated. (Some libraries, e.g. JAX/Flax,
  use a truncated normal rescaled to the same variance; this one is not truncated.)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from scratch._checks import as_float_array

__all__ = [
    "calculate_fan_in_and_fan_out",
    "calculate_gain",
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
]

LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")  # fmt: skip
NONLINEARITIES = (*LINEAR_FNS, "sigmoid", "tanh", "relu", "leaky_relu", "selu")
FAN_MODES = ("fan_in", "fan_out")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain torch recommends for ``nonlinearity`` (``param`` = leaky_relu's slope).

    leaky_relu's ``param`` must be None, a Python int (not a bool) or a Python float, as in
    torch (``isinstance(param, int) or isinstance(param, float)``): ``np.float64`` passes (it
    subclasses float), ``np.float32`` and ``np.int64`` raise ValueError, as torch's do.
    """
    if nonlinearity in LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, float) or isinstance(param, int) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param!r} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        # torch's choice (3/4) favours stable gradients; for self-normalising nets torch's
        # docs recommend nonlinearity='linear' (variance 1/N) instead.
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}; expected one of {NONLINEARITIES}")


def _check_tensor(tensor: np.ndarray) -> np.ndarray:
    if not isinstance(tensor, np.ndarray) or not tensor.flags.writeable:
        raise TypeError(
            f"tensor must be a writeable ndarray: it is filled in place, got {type(tensor).__name__}"
        )
    return as_float_array(tensor, "tensor")


def calculate_fan_in_and_fan_out(tensor: np.ndarray) -> tuple[int, int]:
    """torch's ``_calculate_fan_in_and_fan_out``: (in * receptive field, out * receptive field)."""
    shape = np.shape(tensor)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, "
            f"got shape {shape}"
        )
    receptive_field_size = math.prod(shape[2:])
    return shape[1] * receptive_field_size, shape[0] * receptive_field_size


def _calculate_correct_fan(tensor: np.ndarray, mode: str) -> int:
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in FAN_MODES:
        raise ValueError(f"Mode {mode!r} not supported, please use one of {list(FAN_MODES)}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return generator if generator is not None else np.random.default_rng()


def _check_uniform(a: object, b: object, via: str = "") -> None:
    """torch's uniform_: finite bounds with a <= b (NumPy's own errors do not say which)."""
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, numbers.Real):
            raise TypeError(f"uniform_'s {name} must be a number, got {value!r}{via}")
        if not math.isfinite(value):
            raise ValueError(f"uniform_'s {name} must be finite, got {value!r}{via}")
    if a > b:
        raise ValueError(f"uniform_ needs a <= b, got a={a!r}, b={b!r}{via}")


def _check_normal(mean: object, std: object, via: str = "") -> None:
    """torch's normal_: any mean (NaN and inf too), std >= 0 (NaN refused, inf taken)."""
    if not isinstance(mean, numbers.Real) or not isinstance(std, numbers.Real):
        raise TypeError(f"normal_'s mean and std must be numbers, got {mean!r}, {std!r}{via}")
    if not std >= 0.0:
        raise ValueError(f"normal_'s std must be >= 0, got {std!r}{via}")


def uniform_(tensor: np.ndarray, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> np.ndarray:  # fmt: skip
    """Fill ``tensor`` with U(a, b) samples, in place (cast to its dtype)."""
    tensor = _check_tensor(tensor)
    _check_uniform(a, b)
    tensor[...] = _rng(generator).uniform(a, b, size=tensor.shape)
    return tensor


def normal_(tensor: np.ndarray, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> np.ndarray:  # fmt: skip
    """Fill ``tensor`` with N(mean, std²) samples, in place (cast to its dtype)."""
    tensor = _check_tensor(tensor)
    _check_normal(mean, std)
    tensor[...] = _rng(generator).normal(mean, std, size=tensor.shape)
    return tensor


def _xavier_std(tensor: np.ndarray, gain: float) -> float:
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_(tensor: np.ndarray, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> np.ndarray:  # fmt: skip
    """Glorot uniform: U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out))."""
    tensor = _check_tensor(tensor)
    a = math.sqrt(3.0) * _xavier_std(tensor, gain)  # the uniform with this std
    _check_uniform(-a, a, f" (from gain={gain!r})")
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: np.ndarray, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> np.ndarray:  # fmt: skip
    """Glorot normal: N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out))."""
    tensor = _check_tensor(tensor)
    std = _xavier_std(tensor, gain)
    _check_normal(0.0, std, f" (from gain={gain!r})")
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: np.ndarray, a: float, mode: str, nonlinearity: str) -> float:
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: np.ndarray, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> np.ndarray:  # fmt: skip
    """He uniform: U(-bound, bound), bound = gain·sqrt(3 / fan)."""
    tensor = _check_tensor(tensor)
    if tensor.size == 0:
        return tensor  # torch warns and returns the empty tensor unchanged
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    _check_uniform(-bound, bound, f" (from a={a!r}, nonlinearity={nonlinearity!r})")
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: np.ndarray, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> np.ndarray:  # fmt: skip
    """He normal: N(0, std²), std = gain / sqrt(fan)."""
    tensor = _check_tensor(tensor)
    if tensor.size == 0:
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    _check_normal(0.0, std, f" (from a={a!r}, nonlinearity={nonlinearity!r})")
    return normal_(tensor, 0.0, std, generator)


def lecun_normal_(tensor: np.ndarray,
                  generator: np.random.Generator | None = None) -> np.ndarray:  # fmt: skip
    """LeCun normal: N(0, 1/fan_in), i.e. ``kaiming_normal_(mode='fan_in', nonlinearity='linear')``."""
    return kaiming_normal_(tensor, mode="fan_in", nonlinearity="linear", generator=generator)
