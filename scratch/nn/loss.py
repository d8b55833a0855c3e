"""Losses: ``forward(input, target)`` gives the loss, ``backward()`` gives d(loss)/d(input).

Twin: ``torch.nn.MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss``, ``CrossEntropyLoss`` and
``torchvision.ops.sigmoid_focal_loss`` (torch_ref/nn/loss.py).

Each loss computes the per-element loss ``l`` and its derivative ``dl`` together, then
reduces: ``'mean'`` divides both by the count, ``'sum'`` keeps them, ``'none'`` returns ``l``
and takes an upstream gradient of the same shape in ``backward``.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from scratch._checks import as_float_array, check_reduction
from scratch.nn._broadcast import sum_to
from scratch.nn.activation import log_softmax, sigmoid
from scratch.nn.module import Module


def _check_pair(input: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float input and target of one shape. A NaN target is taken, as torch takes it: the
    loss (and the gradient) come out NaN, as torch's do."""
    input = as_float_array(input, "input")
    target = as_float_array(target, "target")
    if input.shape != target.shape:
        raise ValueError(f"target shape {target.shape} must match input shape {input.shape}")
    return input, target.astype(input.dtype, copy=False)


# torch's BCE backward clamps p(1-p) at a float constant 1e-12, i.e. 9.9999998e-13 in double.
_BCE_EPSILON = float(np.float32(1e-12))


def _log1p_exp_neg_abs(x: np.ndarray) -> np.ndarray:
    """log(1 + e^(-|x|)): the softplus tail, finite for any x."""
    return np.log1p(np.exp(-np.abs(x)))


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """torch's deprecated ``size_average``/``reduce`` pair as a reduction, with its warning
    (torch.nn._reduction.legacy_get_string): reduce=False is 'none', else size_average=False
    is 'sum', else 'mean'; None counts as True."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", stacklevel=4)  # fmt: skip
    return reduction


class _Loss(Module):
    """torch's _Loss: ``size_average``/``reduce`` (deprecated), when given, override
    ``reduction``, in torch's positional order."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        self.reduction = check_reduction(reduction)
        self._class_dim: int | None = None  # set by losses that sum over a class axis

    def _reduce(self, l: np.ndarray, dl: np.ndarray, count: float | None = None):
        """Reduce loss ``l``; remember d(reduced)/d(input) = dl / count (mean) or dl (sum)."""
        if self.reduction == "mean":
            count = l.size if count is None else int(count)
            with np.errstate(invalid="ignore", divide="ignore"):  # no element: NaN, as torch's
                self._cache = (dl / count).astype(dl.dtype)
                return (l.sum() / count).astype(l.dtype)
        self._cache = dl
        return l.sum() if self.reduction == "sum" else l

    def backward(self, grad_output: np.ndarray | float = 1.0) -> np.ndarray:
        """d(loss)/d(input); ``grad_output`` is d(upstream)/d(loss), 1 by default."""
        d = self.saved()
        if self.reduction == "none" and not isinstance(grad_output, numbers.Real):
            grad_output = np.asarray(grad_output)
            if self._class_dim is not None:  # per-sample losses: the class axis was summed out
                grad_output = np.expand_dims(grad_output, self._class_dim)
            try:
                ok = np.broadcast_shapes(grad_output.shape, d.shape) == d.shape
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(
                    f"grad_output has shape {grad_output.shape}, expected the loss's shape"
                )
        return (d * grad_output).astype(d.dtype, copy=False)


class MSELoss(_Loss):
    """l = (x - y)², dl/dx = 2 (x - y).

    As torch's, it broadcasts a target of another (broadcastable) shape, with torch's warning;
    the gradient is then summed back to the input's shape.
    """

    def forward(self, input: np.ndarray, target: np.ndarray):
        x = as_float_array(input, "input")
        y = as_float_array(target, "target").astype(x.dtype, copy=False)
        self._input_shape = x.shape
        if x.shape != y.shape:
            try:
                x, y = np.broadcast_arrays(x, y)
            except ValueError:
                raise ValueError(f"target shape {y.shape} must match (or broadcast with) input "
                                 f"shape {x.shape}") from None  # fmt: skip
            warnings.warn(
                f"Using a target size ({y.shape}) that is different to the input size "
                f"({self._input_shape}). This will likely lead to incorrect results due to "
                "broadcasting. Please ensure they have the same size.",
                stacklevel=2,
            )
        return self._reduce((x - y) ** 2, 2 * (x - y))

    def backward(self, grad_output: np.ndarray | float = 1.0) -> np.ndarray:
        return sum_to(super().backward(grad_output), self._input_shape)


class BCELoss(_Loss):
    """l = -[y log p + (1-y) log(1-p)] on probabilities p ∈ [0, 1].

    As torch does, each log is clamped at -100 (so p = 0 or 1 gives a large finite loss,
    not inf) and the derivative (p - y) / (p (1-p)) has its denominator clamped at 1e-12 —
    torch's ``EPSILON`` is the *float32* 1e-12 even in float64, so we use that exact number.
    Both clamps are in aten/src/ATen/native/Loss.cpp (``binary_cross_entropy_out_cpu``:
    ``max(log(p), -100)``; its backward: ``(p - y) / max((1 - p) p, EPSILON)``). The backward
    is that formula, not the derivative of the clamped loss: at p = 0 with y = 1 the loss is
    100 and the gradient -1/EPSILON ≈ -1e12 (not 0, the clamp's slope); p = y ∈ {0, 1} gives
    loss 0 and gradient 0; p below e^-100 (float64 1e-50, float32's subnormals) is clamped too.
    """

    def __init__(self, weight: np.ndarray | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.weight = None if weight is None else as_float_array(weight, "weight")

    def forward(self, input: np.ndarray, target: np.ndarray):
        p, y = _check_pair(input, target)
        if ((p < 0) | (p > 1) | np.isnan(p)).any():
            raise ValueError(
                "input must hold probabilities in [0, 1]; use BCEWithLogitsLoss for logits"
            )
        if not ((y >= 0) & (y <= 1)).all():  # NaN fails too, as in torch
            raise ValueError("target must hold values in [0, 1]")
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
            l = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))
        dl = (p - y) / np.maximum((1 - p) * p, _BCE_EPSILON)
        w = 1 if self.weight is None else self.weight.astype(p.dtype)
        return self._reduce((w * l).astype(p.dtype), (w * dl).astype(p.dtype))


class BCEWithLogitsLoss(_Loss):
    """BCE on logits x, fused with the sigmoid so it never takes log(0).

    l = (1-y) x + (1 + (w₊-1) y) · log(1 + e^(-x)), written with ``|x|`` so e^(...) ≤ 1;
    dl/dx = σ(x) (w₊ y + 1 - y) - w₊ y, which is σ(x) - y when ``pos_weight`` w₊ is 1.
    """

    def __init__(
        self,
        weight: np.ndarray | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        pos_weight: np.ndarray | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight = None if weight is None else as_float_array(weight, "weight")
        self.pos_weight = None if pos_weight is None else as_float_array(pos_weight, "pos_weight")

    def forward(self, input: np.ndarray, target: np.ndarray):
        x, y = _check_pair(input, target)
        pw = 1 if self.pos_weight is None else self.pos_weight.astype(x.dtype)
        softplus_neg_x = np.maximum(-x, 0) + _log1p_exp_neg_abs(x)  # log(1 + e^(-x))
        with np.errstate(invalid="ignore"):  # x = -inf, y = 1: 0·(-inf) = NaN, as torch's
            l = (1 - y) * x + (1 + (pw - 1) * y) * softplus_neg_x
        s = sigmoid(x)
        dl = s * (pw * y + 1 - y) - pw * y
        w = 1 if self.weight is None else self.weight.astype(x.dtype)
        return self._reduce((w * l).astype(x.dtype), (w * dl).astype(x.dtype))


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood on logits of shape (N, C) or (N, C, d1, ...).

    ``target`` is either class indices (integers, shape (N, d1, ...)) or class
    probabilities (same shape as input). With ``label_smoothing`` ε the target becomes
    (1-ε)·target + ε/C. The gradient is the famous softmax(x) - target (scaled by the
    reduction), the seed's ``dZ = A - Y``.

    ``weight`` (C,) scales each class's term, torch's semantics (aten/src/ATen/native/
    LossNLL.cpp, ``cross_entropy_loss_label_smoothing`` and ``_prob_target``):

    - class indices: sample i weighs w[t_i]; ``'mean'`` divides by Σ w[t_i] over the samples
      that ``ignore_index`` keeps (not by their count). Label smoothing adds
      (ε/C)·Σ_c w_c·(-log p_ic) per kept sample, divided by that same Σ w[t_i];
    - probabilities: the term of class c is t_ic·w_c·(-log p_ic); ``'mean'`` divides by the
      number of samples N·d1·..., as without weights.

    The weighted mean is therefore not the mean of the ``'none'`` losses.

    A logit of -inf (a masked class) gives a finite loss, as torch's: the loss of class
    indices picks -log p of the target class (it never multiplies the other classes' -inf by
    0); a row that ``ignore_index`` skips contributes 0 whatever it holds. Label smoothing
    sums -log p over every class, so a -inf logit makes that loss inf in torch and here; a
    probability target multiplies, so a 0 probability on a -inf logit gives NaN, as torch's.
    """

    def __init__(
        self,
        weight: np.ndarray | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        # torch refuses only > 1 (at the first forward); 0 or less, and NaN, smooth nothing
        if not isinstance(label_smoothing, numbers.Real):
            raise TypeError(f"label_smoothing must be a number, got {label_smoothing!r}")
        if label_smoothing > 1.0:
            raise ValueError(f"label_smoothing must be at most 1, got {label_smoothing!r}")
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
            raise TypeError(f"ignore_index must be an int, got {ignore_index!r}")
        if weight is not None:
            weight = as_float_array(weight, "weight")
            if weight.ndim != 1:
                raise ValueError(f"weight must be 1-D, one number per class, got {weight.shape}")
        self.register_buffer("weight", weight)  # torch's _WeightedLoss: in the state_dict
        self.ignore_index = int(ignore_index)
        self.label_smoothing = float(label_smoothing)

    def _class_weight(self, C: int, dtype: np.dtype) -> np.ndarray | None:
        if self.weight is None:
            return None
        if self.weight.shape != (C,):
            raise ValueError(f"weight must have one number for each of the {C} classes, "
                             f"got shape {self.weight.shape}")  # fmt: skip
        return self.weight.astype(dtype, copy=False)

    def forward(self, input: np.ndarray, target: np.ndarray):
        x = as_float_array(input, "input")
        if x.ndim < 1:
            raise ValueError(f"input must have shape (N, C) or (C,), got {x.shape}")
        class_dim = self._class_dim = 0 if x.ndim == 1 else 1
        C = x.shape[class_dim]
        w = self._class_weight(C, x.dtype)
        logp = np.moveaxis(log_softmax(x, class_dim), class_dim, -1)  # (..., C)
        eps = self.label_smoothing if self.label_smoothing > 0 else 0.0  # torch's test
        target = np.asarray(target)
        if target.dtype in (np.int64, np.uint8):  # torch: "Long or Byte" class indices only
            parts, q, keep, denominator = self._index_target(logp, target, w, eps)
        elif target.dtype.kind == "f":
            target = as_float_array(target, "target")
            if target.shape != x.shape:
                raise ValueError(
                    f"probability target must have shape {x.shape}, got {target.shape}"
                )
            if self.ignore_index >= 0:  # torch's check; a negative one is taken and unused
                raise ValueError(f"ignore_index={self.ignore_index} is not supported for "
                                 "probability targets (torch takes only a negative one)")  # fmt: skip
            t = np.moveaxis(target.astype(x.dtype), class_dim, -1)
            t = (1 - eps) * t + (eps / C if C else np.inf) if eps else t  # C = 0: t is empty
            q = t if w is None else t * w  # the weight of each class's -log p
            with np.errstate(invalid="ignore"):  # 0·(-inf) = NaN, as torch's (input * target)
                l = -(logp * q).sum(axis=-1) if w is None else -((logp * t) * w).sum(axis=-1)
            parts = [(1.0, l)]
            # torch: the sum over N·d1·... samples, and NaN (not 0/0's warning) for no element
            denominator = l.size if x.size else np.nan
            keep = np.ones(l.shape, dtype=bool)
        else:
            raise TypeError(f"target must be int64 or uint8 class indices (torch's Long or Byte) "
                            f"or float probabilities, got {target.dtype}")  # fmt: skip
        with np.errstate(invalid="ignore", divide="ignore"):  # nothing kept: 0/0 = NaN
            if self.reduction == "mean":
                # torch divides each kept row's weights (its gradient of -log p) by the
                # denominator: with a denominator of 0 those rows' gradients are NaN, and an
                # ignored row's stays 0 (masked before the division)
                q = np.where(keep[..., None], q / denominator, 0)
            # each part reduced on its own, then combined, as torch does (0/0 + inf is NaN)
            reduced = [(c, self._reduce_part(a.astype(x.dtype), denominator)) for c, a in parts]
            l = reduced[0][1] if len(reduced) == 1 else sum(c * a for c, a in reduced)
            l = np.asarray(l, dtype=x.dtype) if self.reduction != "none" else l.astype(x.dtype)
        # d/dx of -Σ q log softmax(x) = softmax · Σq - q: softmax - t for class indices (Σt = 1,
        # or 0 on an ignored row); probabilities need not sum to 1 in torch (and may be NaN)
        with np.errstate(invalid="ignore"):  # a NaN logit or target stays NaN, as torch's
            dl = np.exp(logp) * q.sum(axis=-1, keepdims=True) - q
        self._cache = np.moveaxis(dl, -1, class_dim).astype(x.dtype)
        return l

    def _reduce_part(self, l: np.ndarray, denominator: float) -> np.ndarray:
        if self.reduction == "none":
            return l
        return l.sum() / denominator if self.reduction == "mean" else l.sum()

    def _index_target(self, logp: np.ndarray, target: np.ndarray, w: np.ndarray | None,
                      eps: float):  # fmt: skip
        """The per-sample loss as (coefficient, part) pairs, the per-class weights q of
        -log p, the rows kept, and the 'mean' denominator, for class indices."""
        C = logp.shape[-1]
        if target.shape != logp.shape[:-1]:
            raise ValueError(
                f"class-index target must have shape {logp.shape[:-1]}, got {target.shape}"
            )
        keep = target != self.ignore_index
        if ((target[keep] < 0) | (target[keep] >= C)).any():
            raise ValueError(f"target class indices must be in [0, {C}), got {target[keep]}")
        # no class (C = 0): every row is ignored (the check above), and there is no column 0
        pad = np.zeros(logp.shape[:-1] + (1,), logp.dtype) if C == 0 else None
        index = np.where(keep, target, 0).astype(np.intp)
        w_t = np.ones(keep.shape, logp.dtype) if w is None or C == 0 else w[index]
        w_t = np.where(keep, w_t, 0).astype(logp.dtype)
        # torch's nll_loss reads -log p of the target class only: -inf elsewhere never meets 0
        picked = np.take_along_axis(logp if pad is None else pad, index[..., None], -1)[..., 0]
        with np.errstate(invalid="ignore"):  # a zero weight on a -inf target logit: NaN
            nll = np.where(keep, -(w_t * picked), 0)
        q = np.zeros_like(logp)
        if C:
            np.put_along_axis(q, index[..., None], w_t[..., None], axis=-1)
        if eps:  # torch: (1-ε)·nll + (ε/C)·smooth, each reduced, smooth masked on ignored rows
            w_c = np.ones(C, logp.dtype) if w is None else w
            with np.errstate(invalid="ignore"):
                smooth = np.where(keep, -(logp * w_c).sum(axis=-1), 0)
            share = eps / C if C else np.inf  # torch's ε/C in double: inf for no class
            parts = [(1 - eps, nll), (share, smooth)]
            q = (1 - eps) * q + np.where(keep[..., None], share * w_c, 0)
        else:
            parts = [(1.0, nll)]
        return parts, q.astype(logp.dtype), keep, self._mean_denominator(w_t.sum(), keep.size)

    def _mean_denominator(self, kept_weight: float, targets: int) -> float:
        """'mean' of class indices divides by Σ w[t_i] over the kept targets (their count
        without ``weight``), not by every target: torch's nll_loss (LossNLL.cpp)."""
        return kept_weight


class FocalLoss(_Loss):
    """``torchvision.ops.sigmoid_focal_loss``: BCE-with-logits down-weighted by (1 - p_t)^γ.

    p = σ(x), p_t = p y + (1-p)(1-y), α_t = α y + (1-α)(1-y) (α = -1 turns it off),
    l = α_t · BCE(x, y) · (1 - p_t)^γ. The seed weights *every* example by α; torchvision
    (and the RetinaNet paper) give negatives 1-α instead, which is what we follow.
    Default reduction is ``'mean'`` for the Module (torchvision's function defaults to 'none').
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        # torchvision's checks: alpha in [0, 1] or exactly -1 (no weighting); gamma unchecked
        if not isinstance(alpha, numbers.Real) or not isinstance(gamma, numbers.Real):
            raise TypeError(f"alpha and gamma must be numbers, got {alpha!r} and {gamma!r}")
        if not (0 <= alpha <= 1) and alpha != -1:
            raise ValueError(f"alpha must be in [0, 1], or -1 to ignore it, got {alpha!r}")
        self.alpha, self.gamma = float(alpha), float(gamma)

    def forward(self, input: np.ndarray, target: np.ndarray):
        x, y = _check_pair(input, target)
        p = sigmoid(x)
        # torchvision's ce is binary_cross_entropy_with_logits: torch's (1-y)·x + log(1 + e^(-x)),
        # the same number as max(x, 0) - x·y + log1p(e^(-|x|)) except at x = ±inf: 0·(-inf) is
        # NaN for x = -inf, y = 1, and x = +inf, y = 0 gives inf (not inf - inf = NaN)
        with np.errstate(invalid="ignore"):
            ce = (1 - y) * x + np.maximum(-x, 0) + _log1p_exp_neg_abs(x)
        p_t = p * y + (1 - p) * (1 - y)
        m = 1 - p_t  # the modulating base
        dp_t = p * (1 - p) * (2 * y - 1)  # d p_t / dx
        # d/dx [ce · m^γ] = (p - y) m^γ - ce · γ m^(γ-1) dp_t. The kink is m = 0: a hard
        # target and a confident logit (p_t rounds to 1). For γ < 1 (γ ≠ 0) the slope
        # γ m^(γ-1) is infinite there, and torch's autograd carries that inf back through
        # p_t = p·y + (1-p)·(1-y), where it meets y = 0 or 1 - y = 0: inf·0 = NaN. So the
        # gradient is NaN wherever m = 0, as torch's (the limit would be 0). γ = 0 has no such
        # term: torch's pow backward returns zeros for exponent 0 (FunctionsManual.cpp).
        with np.errstate(divide="ignore", invalid="ignore"):
            mod = m**self.gamma
            dmod = self.gamma * m ** (self.gamma - 1) if self.gamma else 0.0
            dl = (p - y) * mod - ce * dmod * dp_t
        if 0 != self.gamma < 1:
            dl = np.where(m == 0, np.nan, dl)
        with np.errstate(invalid="ignore"):  # inf·0 where a ±inf logit is right: NaN, torch's
            l = ce * mod
            if self.alpha >= 0:
                alpha_t = self.alpha * y + (1 - self.alpha) * (1 - y)
                l, dl = alpha_t * l, alpha_t * dl
        return self._reduce(np.asarray(l, x.dtype), np.asarray(dl, x.dtype))
