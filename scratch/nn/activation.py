"""Activations: each function, its elementwise derivative right below it, then the Modules.

Twin: ``torch.nn.ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``, ``GELU``, ``SiLU``, ``Softmax``,
``LogSoftmax`` (torch_ref/nn/activation.py). Derivatives are written in terms of the input
``z`` (``*_derivative(z)`` = da/dz) so a learner can plot them next to the function.

Numerical stability: ``exp`` is only ever taken of non-positive numbers, so logits of ±1e4
give finite, exact results and no overflow warnings.

Kinks: ReLU and LeakyReLU have one, at z = 0, and follow torch's choice there (derivative 0
for ReLU, ``negative_slope`` for LeakyReLU; see their derivatives). Sigmoid, Tanh, GELU,
SiLU, Softmax and LogSoftmax are smooth everywhere: no kink, so nothing to choose; tied
logits only give equal probabilities. parity_tests/test_ties_and_kinks.py compares all of
them at 0, on integers and on ties.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from scratch._checks import FLOAT_DTYPES, as_float_array
from scratch.nn.module import Module

GELU_APPROXIMATIONS = ("none", "tanh")


def _in_place(z: np.ndarray, out: np.ndarray, inplace: bool) -> np.ndarray:
    """torch's ``inplace=True``: the result is written into the input, which is returned."""
    if not inplace:
        return out
    if not isinstance(z, np.ndarray) or not z.flags.writeable or z.dtype != out.dtype:
        raise TypeError("inplace=True needs a writeable ndarray of the result's dtype")
    z[...] = out
    return z


def relu(z: np.ndarray, inplace: bool = False) -> np.ndarray:
    return _in_place(z, np.maximum(z, 0), inplace)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """0 where z ≤ 0, 1 elsewhere: 0 at the kink z = 0 (and -0.0), 1 at NaN.

    torch's rule: tools/autograd/derivatives.yaml gives relu the backward
    ``threshold_backward(grad, result, 0)``, whose kernel (aten/src/ATen/native/cpu/
    Activation.cpp, ``threshold_kernel``) computes ``x <= threshold ? 0 : grad``. At 0 the
    gradient is dropped; at NaN the comparison is false, so the gradient passes unchanged.
    """
    return (~(z <= 0)).astype(z.dtype)


def leaky_relu(z: np.ndarray, negative_slope: float = 0.01, inplace: bool = False) -> np.ndarray:
    return _in_place(z, np.where(z > 0, z, z * negative_slope).astype(z.dtype), inplace)


def leaky_relu_derivative(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """1 where z > 0, ``negative_slope`` elsewhere: the slope at the kink z = 0 (and at NaN).

    torch's rule: derivatives.yaml gives leaky_relu ``leaky_relu_backward(grad, self,
    negative_slope, false)``, whose kernel (aten/src/ATen/native/cpu/Activation.cpp) computes
    ``x > 0 ? grad : grad * negative_slope``.
    """
    return np.where(z > 0, 1.0, negative_slope).astype(z.dtype)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1+e^(-z)), computed from ``e^(-|z|)`` ≤ 1 so it never overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - np.tanh(z) ** 2


# NumPy has no erf; math.erf is correctly rounded double precision, applied elementwise.
_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715


def _check_approximate(approximate: str) -> None:
    if approximate not in GELU_APPROXIMATIONS:
        raise ValueError(f"approximate must be one of {GELU_APPROXIMATIONS}, got {approximate!r}")


def gelu(z: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU(z) = z Φ(z); ``'tanh'`` is the seed's (and GPT-2's) approximation of Φ."""
    _check_approximate(approximate)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (z + _GELU_CUBIC * z**3)
        return (0.5 * z * (1 + np.tanh(inner))).astype(z.dtype)
    return (0.5 * z * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype)


def gelu_derivative(z: np.ndarray, approximate: str = "none") -> np.ndarray:
    _check_approximate(approximate)
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (z + _GELU_CUBIC * z**3))
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * z**2)
        return (0.5 * (1 + t) + 0.5 * z * (1 - t**2) * d_inner).astype(z.dtype)
    Phi = 0.5 * (1 + _erf(z / math.sqrt(2)))
    phi = np.exp(-0.5 * z.astype(np.float64) ** 2) / math.sqrt(2 * math.pi)
    return (Phi + z * phi).astype(z.dtype)  # d/dz [z Φ(z)] = Φ(z) + z φ(z)


def silu(z: np.ndarray, inplace: bool = False) -> np.ndarray:
    """SiLU, the seed's *swish*: z σ(z)."""
    return _in_place(z, z * sigmoid(z), inplace)


def silu_derivative(z: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return s * (1 + z * (1 - s))


def _check_dim(z: np.ndarray, dim: int | None, name: str = "softmax") -> int:
    """``dim``, or torch's legacy implicit choice for None (0 for 0-, 1- and 3-D input, else
    1) with torch's deprecation warning."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", stacklevel=3)  # fmt: skip
        return 0 if z.ndim in (0, 1, 3) else 1
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"dim must be an int or None, got {dim!r}")
    if not -max(z.ndim, 1) <= dim < max(z.ndim, 1):
        raise ValueError(f"dim must be an int in [-{max(z.ndim, 1)}, {max(z.ndim, 1)}), got {dim!r}")  # fmt: skip
    return int(dim) if z.ndim else None  # a 0-d array: NumPy reduces over all (no) axes


def _as_dtype(z: np.ndarray, dtype: object) -> np.ndarray:
    """torch's ``dtype=`` of softmax and log_softmax: the input is cast to it before the op
    (so an integer input is taken too). float32 and float64 only, as everywhere in scratch;
    torch.float32/torch.float64 are taken by name (scratch never imports torch)."""
    if dtype is None:
        return z
    if str(dtype) in ("torch.float32", "torch.float64"):  # torch's own dtype, named
        dtype = str(dtype).removeprefix("torch.")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy float dtype (np.float32 or np.float64), "
                        f"got {dtype!r}") from None  # fmt: skip
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    return np.asarray(z).astype(dtype, copy=False)


def softmax(z: np.ndarray, dim: int | None = None, _stacklevel: int = 3,
            dtype: object = None) -> np.ndarray:  # fmt: skip
    """e^(z - max) / Σ e^(z - max): subtracting the max keeps every exponent ≤ 0.

    torch's signature (``_stacklevel`` is taken and unused). ``dtype``: cast first. A
    zero-length dimension gives an empty result, as torch's (NumPy has no max of nothing).
    """
    z = _as_dtype(z, dtype)
    dim = _check_dim(z, dim)
    if z.size == 0:
        return z.copy()
    with np.errstate(invalid="ignore"):  # a row of all -inf: -inf - (-inf) = NaN, as torch's
        e = np.exp(z - z.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(z: np.ndarray, dim: int | None = None, _stacklevel: int = 3,
                dtype: object = None) -> np.ndarray:  # fmt: skip
    """z - logsumexp(z), with the max shifted out so it is exact for logits of ±1e4.

    ``_stacklevel``, ``dtype`` and an empty dimension: as ``softmax``.
    """
    z = _as_dtype(z, dtype)
    dim = _check_dim(z, dim, "log_softmax")
    if z.size == 0:
        return z.copy()
    with np.errstate(invalid="ignore"):  # a row of all -inf: NaN, as torch's
        shifted = z - z.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


class _Elementwise(Module):
    """a = f(z), backward: dz = da · f'(z). Subclasses name f and f'."""

    def _f(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _df(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    inplace = False  # LeakyReLU and SiLU take torch's inplace=True (ReLU has its own)

    def forward(self, z: np.ndarray) -> np.ndarray:
        z = as_float_array(z, "input")
        if self.inplace:  # the input is overwritten: the backward reads a copy of it
            self._cache = z.copy()
            return _in_place(z, self._f(self._cache), True)
        self._cache = z
        return self._f(z)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output * self._df(self.saved())


class ReLU(_Elementwise):
    """``torch.nn.ReLU(inplace=False)``. With ``inplace=True`` the input is overwritten by the
    output (no new array: 0.42 → 0.29 ms at (256, 6, 28, 28) float32), so the output is
    cached instead: relu'(relu(z)) = relu'(z) everywhere, NaN and ±0 included, which is why
    torch's backward, ``threshold_backward(grad, result, 0)``, reads the result too."""

    _f, _df = staticmethod(relu), staticmethod(relu_derivative)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, z: np.ndarray) -> np.ndarray:
        if not self.inplace:
            return super().forward(z)
        z = as_float_array(z, "input")
        self._cache = np.maximum(z, 0, out=z) if z.flags.writeable else self._f(z)
        return self._cache

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(_Elementwise):
    _f, _df = staticmethod(sigmoid), staticmethod(sigmoid_derivative)


class Tanh(_Elementwise):
    _f, _df = staticmethod(tanh), staticmethod(tanh_derivative)


class SiLU(_Elementwise):
    _f, _df = staticmethod(silu), staticmethod(silu_derivative)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)


class LeakyReLU(_Elementwise):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(negative_slope, numbers.Real):  # torch: "must be Number", at forward
            raise TypeError(f"negative_slope must be a number, got {negative_slope!r}")
        self.negative_slope = negative_slope
        self.inplace = bool(inplace)

    def _f(self, z):
        return leaky_relu(z, self.negative_slope)

    def _df(self, z):
        return leaky_relu_derivative(z, self.negative_slope)


class GELU(_Elementwise):
    """``approximate='none'`` (torch's default, exact erf) or ``'tanh'`` (the seed's formula).

    The two differ by up to ~5e-4 near z ≈ ±2; the parity tests compare each with its own twin.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        _check_approximate(approximate)
        self.approximate = approximate

    def _f(self, z):
        return gelu(z, self.approximate)

    def _df(self, z):
        return gelu_derivative(z, self.approximate)


def _module_dim(dim: object) -> int | None:
    """nn.Softmax's own test: a Python int or None (its default, torch's implicit choice)."""
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
        raise TypeError(f"dim must be an int or None, got {dim!r}")
    return dim


class Softmax(Module):
    """s = softmax(z); backward: dz = s ⊙ (ds - Σ ds ⊙ s), the Jacobian-vector product."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = _module_dim(dim)

    def forward(self, z: np.ndarray) -> np.ndarray:
        z = as_float_array(z, "input")
        dim = _check_dim(z, self.dim)
        s = softmax(z, dim if z.ndim else 0)
        self._cache = (s, dim)
        return s

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        s, dim = self.saved()
        return s * (grad_output - (grad_output * s).sum(axis=dim, keepdims=True))


class LogSoftmax(Module):
    """y = log_softmax(z); backward: dz = dy - softmax(z) Σ dy."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = _module_dim(dim)

    def forward(self, z: np.ndarray) -> np.ndarray:
        z = as_float_array(z, "input")
        dim = _check_dim(z, self.dim, "log_softmax")
        y = log_softmax(z, dim if z.ndim else 0)
        self._cache = (y, dim)
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        y, dim = self.saved()
        return grad_output - np.exp(y) * grad_output.sum(axis=dim, keepdims=True)
