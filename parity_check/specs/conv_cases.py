"""Inputs and configurations of the convolution and pooling specs (``specs/conv.py``).

The ``--thorough`` configurations are drawn from the spaces parity_tests/test_conv.py's
``conv_configs`` and test_pooling.py's ``pool_configs`` draw from with Hypothesis, here with a
seeded NumPy generator: parity-check runs without Hypothesis (a dev dependency) and always
checks the same configurations.
"""

from __future__ import annotations

import numpy as np

from parity_check.core.harness import PROFILES
from parity_check.specs.base import Case


def distinct(shape: tuple, dtype: str, seed: int = 0) -> np.ndarray:
    """Values with no ties (a shuffled ramp in [-1, 1), steps ≥ 1e-3, exact in float32).

    Max-pooling sends its gradient to the argmax: with a tie, two correct implementations
    may pick different winners, so pooling inputs keep ties out on purpose.
    """
    n = int(np.prod(shape))
    ramp = np.random.default_rng(seed).permutation(n).reshape(shape)
    return ((ramp - n / 2) / max(n, 1000)).astype(PROFILES[dtype].np_dtype)


def tied(shape: tuple, dtype: str, seed: int = 0) -> np.ndarray:
    """Integers 0, 1 and 2 as a ReLU leaves them: zero three times in five, so many windows
    hold several zeros as their max, and others tie at 1 or 2 (exact in both dtypes).

    Ties are common after a ReLU, and torch has a rule for them: max-pooling sends a tied
    window's gradient to its first max in row-major order, and to no other.
    """
    values = np.random.default_rng(seed).integers(-2, 3, shape)
    return np.maximum(values, 0).astype(PROFILES[dtype].np_dtype)


def _pairs(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def conv_terms(config: dict, shape: tuple, transposed: bool = False) -> int:
    """N·OH·OW: how many terms each weight and bias gradient of the convolution sums.

    torch's output size per axis: floor((I + 2P - D(K-1) - 1)/S) + 1 (I with 'same'), and
    (I - 1)S - 2P + D(K-1) + output_padding + 1 for the transposed convolution.
    """
    k, s = _pairs(config["kernel_size"]), _pairs(config.get("stride", 1))
    d, padding = _pairs(config.get("dilation", 1)), config.get("padding", 0)
    p = (0, 0) if padding == "valid" else _pairs(padding)
    op = _pairs(config.get("output_padding", 0))
    out = []
    for i in range(2):
        size = shape[2 + i]
        if transposed:
            out.append((size - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1)
        elif padding == "same":
            out.append(size)
        else:
            out.append((size + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1)
    return shape[0] * out[0] * out[1]


def _draw_conv(rng: np.random.Generator, transposed: bool) -> tuple[dict, tuple]:
    """One point of ``conv_configs``' space: (constructor arguments, input shape)."""
    groups = int(rng.integers(1, 4))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kernel, stride, dilation = (tuple(int(v) for v in rng.integers(1, hi, 2)) for hi in (5, 4, 4))
    choices: list = [int(rng.integers(0, 3)), tuple(int(v) for v in rng.integers(0, 3, 2))]
    if not transposed:
        choices += ["valid"] + (["same"] if stride == (1, 1) else [])
    padding = choices[int(rng.integers(len(choices)))]
    pads = (0, 0) if isinstance(padding, str) else _pairs(padding)
    config = dict(in_channels=c_in, out_channels=c_out, kernel_size=kernel, stride=stride,
                  padding=padding, dilation=dilation, groups=groups, bias=bool(rng.integers(2)))  # fmt: skip
    size = []
    for i in range(2):  # the smallest size with a non-empty output, plus a few
        span = dilation[i] * (kernel[i] - 1) + 1
        low = 1 if transposed or padding == "same" else max(1, span - 2 * pads[i])
        size.append(low + int(rng.integers(0, 6)))
    if transposed:
        config["output_padding"] = tuple(int(rng.integers(0, max(stride[i], dilation[i]))) for i in range(2))  # fmt: skip
        for i in range(2):  # the output (H-1)S - 2P + D(K-1) + output_padding + 1 must be > 0
            out = (size[i] - 1) * stride[i] - 2 * pads[i] + dilation[i] * (kernel[i] - 1)
            size[i] += max(0, -(out + config["output_padding"][i]) // stride[i] + 1)
    return config, (int(rng.integers(1, 4)), c_in, *size)


def conv_draws(count: int, transposed: bool = False, seed: int = 2024) -> list[Case]:
    """``count`` drawn convolution cases, labelled by their arguments."""
    rng = np.random.default_rng(seed + transposed)
    cases = []
    for i in range(count):
        config, shape = _draw_conv(rng, transposed)
        label = f"drawn {i}: " + ", ".join(f"{k}={v}" for k, v in config.items() if k not in ("in_channels", "out_channels"))  # fmt: skip
        cases.append(Case(label, config, dict(shape=shape, terms=conv_terms(config, shape, transposed))))  # fmt: skip
    return cases


def _every_window_sees_input(size, kernel, stride, padding, dilation, ceil_mode) -> bool:
    """Whether no max-pool window lies wholly in the padding (-inf out, gradient anywhere)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # torch: the last window must start inside the input or the left padding
    taps = np.arange(out)[:, None] * stride - padding + np.arange(kernel)[None] * dilation
    return bool(((taps >= 0) & (taps < size)).any(axis=1).all())


def _draw_pool(rng: np.random.Generator, average: bool) -> tuple[dict, tuple] | None:
    """One point of ``pool_configs``' space, or None where a max-pool window sees no input."""
    kernel = tuple(int(v) for v in rng.integers(1, 5, 2))
    stride = None if rng.integers(2) else tuple(int(v) for v in rng.integers(1, 4, 2))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    config = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=bool(rng.integers(2)))  # fmt: skip
    dilation = (1, 1)
    if average:
        config["count_include_pad"] = bool(rng.integers(2))
        config["divisor_override"] = None if rng.integers(2) else int(rng.integers(1, 7))
    else:
        dilation = config["dilation"] = tuple(int(v) for v in rng.integers(1, 3, 2))
    size = [int(rng.integers(max(1, dilation[i] * (kernel[i] - 1) + 1 - 2 * padding[i]), 10)) for i in range(2)]  # fmt: skip
    strides = stride or kernel
    if not average and not all(_every_window_sees_input(size[i], kernel[i], strides[i], padding[i], dilation[i], config["ceil_mode"]) for i in range(2)):  # fmt: skip
        return None
    return config, (int(rng.integers(1, 3)), 2, *size)


def pool_draws(count: int, average: bool, seed: int = 2024) -> list[Case]:
    """``count`` drawn pooling cases (MaxPool2d's, or AvgPool2d's with ``average``)."""
    rng = np.random.default_rng(seed + average)
    cases: list[Case] = []
    while len(cases) < count:
        drawn = _draw_pool(rng, average)
        if drawn is not None:
            config, shape = drawn
            label = f"drawn {len(cases)}: " + ", ".join(f"{k}={v}" for k, v in config.items())
            cases.append(Case(label, config, dict(shape=shape)))
    return cases
