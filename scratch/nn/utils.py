"""Gradient clipping, the standard cure for exploding gradients (the seed's section 3.4), and
folding a BatchNorm into the convolution before it, for inference.

Twin: ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` (torch_ref/nn/utils.py) and
``torch.nn.utils.fusion.fuse_conv_bn_eval``.

``clip_grad_norm_`` treats all gradients as one long vector g: ``total = ‖g‖_p`` (the p-norm of
the per-parameter p-norms, which is the same thing), then scales every gradient in place by
``min(1, max_norm / (total + 1e-6))``. The 1e-6 is torch's: it keeps the division finite when
every gradient is zero, and means a norm exactly equal to max_norm is scaled by a hair under 1.
Direction is kept, only the length changes. ``clip_grad_value_`` clamps each component to
[-clip_value, clip_value] instead, which can change the direction.

At the bounds (torch/nn/utils/clip_grad.py): ``clip_grad_norm_`` always multiplies by the
clamped coefficient, so a total norm exactly at ``max_norm`` still shrinks every gradient by
max_norm / (max_norm + 1e-6), and an all-zero gradient is multiplied by 1; a rule that
scales "only when the norm exceeds max_norm" differs from torch's at exactly max_norm.
``clip_grad_value_`` is ``clamp_min_(-c)`` then ``clamp_max_(c)`` (``torch._foreach_clamp_*``):
a component equal to ±c is left as it is, NaN stays NaN.

Arguments are taken as torch takes them, through ``float()``: ``max_norm`` 0 zeroes every
gradient and a negative one flips their sign; ``clip_value`` 0 zeroes them and a negative
one sets every component to ``clip_value`` (torch clamps below at -c, then above at c);
``norm_type`` may be any p, 0 (a count of non-zeros), negative or -inf (the smallest
magnitude) included; NaN gives NaN. With ``error_if_nonfinite`` torch raises RuntimeError;
scratch raises ValueError (the project's convention for bad values).
"""

from __future__ import annotations

import copy
import math
import types
import warnings
from collections.abc import Iterable

import numpy as np

from scratch.nn.module import Module, Parameter

__all__ = ["clip_grad_norm_", "clip_grad_value_", "fuse_conv_bn_eval"]


def _grads(parameters: Parameter | Iterable[Parameter]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Parameter) else list(parameters)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"parameters must be Parameters, got {type(p).__name__}")
    return [p.grad for p in params if p.grad is not None]


def _float(value: object, name: str) -> float:
    """torch's ``float(value)``, with the argument's name in the error."""
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{name} must be a number (float() of it), got {value!r}") from None


def clip_grad_norm_(
    parameters: Parameter | Iterable[Parameter],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> np.ndarray:
    """Scale all gradients in place so their joint ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm *before* clipping (0-d array in the gradients' dtype), as torch does.
    ``foreach`` (torch's choice of kernel) changes no number here. The ±inf and negative
    norms of an empty gradient are refused, as torch refuses them (no max or min of nothing).
    """
    _check_foreach(foreach)
    if isinstance(parameters, types.GeneratorType):
        parameters = list(parameters)
        if not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)  # fmt: skip
    p = _float(norm_type, "norm_type")  # 'inf', 0, negative: torch's vector_norm orders
    grads = _grads(parameters)
    max_norm = _float(max_norm, "max_norm")
    if not grads:
        return np.asarray(0.0, np.float32)  # torch returns tensor(0.) when nothing has a grad
    dtype = grads[0].dtype
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # |0|^p for p < 0
        if (p == math.inf or p < 0) and any(g.size == 0 for g in grads):
            # torch's vector_norm: "cannot compute the {p} norm on an empty tensor"
            raise ValueError(f"the {p} norm of an empty gradient is undefined (torch refuses "
                             "it too): give that parameter no .grad")  # fmt: skip
        if p == math.inf:
            norms = np.array([np.abs(g).max(initial=0) for g in grads], dtype)
            total = norms.max()
        else:
            norms = np.array([np.linalg.norm(g.ravel(), p) for g in grads], dtype)
            total = np.linalg.norm(norms, p)
    total = np.asarray(total, dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise ValueError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped; pass error_if_nonfinite=False to scale by it anyway"
        )
    clip_coef = dtype.type(max_norm) / (total + dtype.type(1e-6))
    clip_coef = np.minimum(clip_coef, dtype.type(1.0))  # only ever shrink
    for g in grads:
        g *= clip_coef
    return total


def _check_foreach(foreach: object) -> None:
    if foreach is not None and not isinstance(foreach, (bool, np.bool_)):
        raise TypeError(f"foreach must be None or a bool, got {foreach!r}")


def clip_grad_value_(parameters: Parameter | Iterable[Parameter], clip_value: float,
                     foreach: bool | None = None) -> None:  # fmt: skip
    """Clamp every gradient component in place to ``[-clip_value, clip_value]``; ``foreach``
    as in ``clip_grad_norm_``."""
    _check_foreach(foreach)
    clip_value = _float(clip_value, "clip_value")
    for g in _grads(parameters):
        np.maximum(g, -clip_value, out=g)  # torch's order: clamp_min(-c), then clamp_max(c)
        np.minimum(g, clip_value, out=g)


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A new convolution that computes ``bn(conv(x))`` of two modules in eval mode, in one pass.

    In eval mode BatchNorm is a fixed affine map per channel: y = (z - μ)·s + β with
    s = γ / √(running_var + eps). Folded into the convolution's output channel o:
    W'[o] = W[o]·s[o] and b'[o] = (b[o] - μ[o])·s[o] + β[o] (b = 0 without a bias). Torch's
    ``torch.nn.utils.fusion.fuse_conv_bn_eval`` / ``fuse_conv_bn_weights`` does the same, in
    the same order; ``transpose=True`` is for ConvTranspose2d, whose weight has its output
    channels on axis 1. ``conv`` and ``bn`` are left unchanged. The fused module is for
    inference: the BatchNorm's own parameters get no gradient through it.

    Raises ValueError if either module is training (torch: AssertionError "Fusion only for
    eval!") or the BatchNorm tracks no running statistics.
    """
    if conv.training or bn.training:
        raise ValueError("fuse_conv_bn_eval: conv and bn must both be in eval mode (call .eval())")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("fuse_conv_bn_eval: bn has no running statistics to fold")
    w = conv.weight.data
    out_axis = 1 if transpose else 0
    scale = np.asarray(1 / np.sqrt(bn.running_var + bn.eps))
    if bn.weight is not None:
        scale = scale * bn.weight.data
    shape = [1] * w.ndim
    shape[out_axis] = -1
    bias = conv.bias.data if conv.bias is not None else np.zeros_like(bn.running_mean)
    shift = (bias - bn.running_mean) * scale + (bn.bias.data if bn.bias is not None else 0)
    fused = copy.deepcopy(conv)
    fused.weight = Parameter((w * scale.reshape(shape)).astype(w.dtype))
    fused.bias = Parameter(shift.astype(w.dtype))
    return fused
