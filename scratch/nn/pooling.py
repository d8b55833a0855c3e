"""Pooling and Flatten, forward and hand-written backward.

Twin: ``torch.nn.MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``Flatten`` and
``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` / ``adaptive_avg_pool2d``
(torch_ref/nn/pooling.py).

Max and average pooling read their windows through the same strided view as the
convolution (``_im2col.windows``), so there is no loop over pixels; the backward scatters
through ``col2im`` (a loop over the kernel offsets only). Adaptive average pooling is
separable: averaging over a rectangle is averaging rows then columns, so it is two small
matrix products ``A_h x A_wᵀ`` with A's rows holding 1/len over each bin.

Output size: ``scratch.receptive_field.conv_output_size`` (torch's ``pooling_output_shape``,
with ``ceil_mode``'s rule that a last window may not start in the right padding).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from scratch.nn._im2col import Pair, Size2, check_input, col2im, pad2d, pair, unbatched_ok, windows
from scratch.nn._pool_tiles import tile_max, tiles, window_cells
from scratch.nn.module import Module
from scratch.receptive_field import conv_output_size


def _geometry(x: np.ndarray, kernel, stride, padding, dilation, ceil_mode: bool, owner: str):
    """Checked (kernel, stride, padding, dilation, out) pairs, and the (t, b, l, r) padding.

    With ``ceil_mode`` the last window may run past the right padding; the input is padded
    a little more there (with the pool's neutral value) so every window is a full view.
    """
    kernel = pair(kernel, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride", empty=kernel)  # () as None
    padding, dilation = pair(padding, "padding", minimum=0), pair(dilation, "dilation")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"padding {padding} must be at most half of kernel_size {kernel}")
    size = x.shape[-2:]
    try:  # torch's output size; with ceil_mode a window may overhang the padded input
        out = tuple(conv_output_size(size[i], kernel[i], stride[i], padding[i], dilation[i],
                                     ceil_mode) for i in range(2))  # fmt: skip
    except ValueError as error:
        raise ValueError(f"{owner}: input {tuple(size)}, kernel_size {kernel}, stride {stride}, "
                         f"padding {padding}, dilation {dilation}: {error}") from None  # fmt: skip
    extra = [max(0, (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1
                 - size[i] - 2 * padding[i]) for i in range(2)]  # fmt: skip
    pad4 = (padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1])
    return kernel, stride, dilation, out, pad4


def _window_argmax(win: np.ndarray, first: np.ndarray, top: np.ndarray, inside) -> np.ndarray:
    """Which kernel offset wins each window, by torch's rule: (N, C, OH, OW) int indices.

    ``win`` is (N, C, K, OH, OW), read from the input padded with -inf; ``first`` is NumPy's
    ``argmax`` over K and ``top`` the value there; ``inside()`` gives the (K, OH, OW) mask of
    offsets that read the input rather than padding or a ceil_mode overhang.

    torch's CPU kernel (aten/src/ATen/native/cpu/MaxPoolKernel.cpp, ``cpu_max_pool``) starts
    each window at its first element inside the input, with max = -inf, and scans the rest
    in row-major order, taking an element when ``val > max || isnan(val)``. So:
    - a tie goes to the **first** maximum (a later equal value is not greater);
    - a NaN wins, and of several NaNs the **last** (each NaN replaces the one before);
    - a window whose input elements are all -inf keeps its first element inside the input
      (-inf > -inf is false): padding never receives the gradient.
    NumPy's ``argmax`` already gives the first maximum (and the first NaN), so only windows
    whose maximum is NaN or -inf need a correction.
    """
    nan, lost = np.isnan(top), top == -np.inf
    if nan.any():
        last_nan = win.shape[2] - 1 - np.isnan(win[:, :, ::-1]).argmax(axis=2)
        first = np.where(nan, last_nan, first)
    if lost.any():
        first = np.where(lost, inside().argmax(axis=0), first)
    return first


class _MaxSaved(NamedTuple):
    """MaxPool2d's cache: each window's winning offset and where the windows lie, or, when
    the windows tile the input (``tiles``), the input and output to find the winners from."""

    argmax: np.ndarray | None  # (N, C, 1, OH, OW)
    padded_shape: tuple[int, ...]
    pad4: tuple[int, int, int, int]
    kernel: Pair
    stride: Pair
    dilation: Pair
    tiles: tuple[np.ndarray, np.ndarray] | None = None  # (x, out)


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    x = check_input(x, None, "max_pool2d")
    kernel, stride, dilation, out, pad4 = _geometry(x, kernel_size, stride, padding, dilation,
                                                    ceil_mode, "max_pool2d")  # fmt: skip
    if stride == kernel and dilation == (1, 1) and not any(pad4) and 1 < math.prod(kernel) < 256:
        top = tile_max(tiles(x, kernel, out))
        return top, _MaxSaved(None, x.shape, pad4, kernel, stride, dilation, (x, top))
    xp = pad2d(x, pad4, value=-np.inf)  # -inf: padding never beats an input value
    n, c = x.shape[:2]
    win = windows(xp, kernel, stride, dilation, out).reshape(n, c, -1, *out)

    def inside() -> np.ndarray:  # (K, OH, OW): True where the offset reads the input
        mask = pad2d(np.ones((1, 1, *x.shape[2:])), pad4)
        return windows(mask, kernel, stride, dilation, out).reshape(-1, *out) > 0

    first = win.argmax(axis=2)[:, :, None]  # (N, C, 1, OH, OW)
    top = np.take_along_axis(win, first, axis=2)[:, :, 0]  # a tie's winners share one value
    argmax = _window_argmax(win, first[:, :, 0], top, inside)[:, :, None]
    return top, _MaxSaved(argmax, xp.shape, pad4, kernel, stride, dilation)


# -- windows that tile the input: MaxPool2d(k), the CNN's pooling ---------------------------------
# With stride = kernel, no padding and no dilation, every pixel is in at most one window, and
# the windows are a free (N, C, OH, KH, OW, KW) view of the input: no -inf padding, no copy of
# the windows, no argmax over a strided axis. ChallengeNet's 2x2 pool at (256, 6, 28, 28),
# forward + backward: 16.5 → 3.6 ms (5.1 on a ReLU's output, whose windows of zeros tie);
# eval, where only the max is taken: 10.6 → 0.8 ms.


def _tile_backward(x: np.ndarray, top: np.ndarray, kernel: Pair, g: np.ndarray) -> np.ndarray:
    """dx: the upstream gradient at each window's winner, 0 elsewhere, by torch's rule.

    Where a window's max is unique, the winner is the one offset equal to it, so offset k's
    share of dx is g·[x_k = max]: one comparison, one count and one product per offset.
    Windows with a tie, a NaN or nothing but -inf (``count`` of offsets equal to the max ≠ 1)
    are then decided by ``_window_argmax``, the general path's rule, on those windows alone.
    (256, 6, 28, 28) on a ReLU's output (6% of the windows tie at 0): 7.8 → 4.3 ms."""
    (kh, kw), shape = kernel, top.shape[2:]
    t = tiles(x, kernel, shape)
    tiled = shape[0] * kh == x.shape[2] and shape[1] * kw == x.shape[3]
    dx = (np.empty if tiled else np.zeros)(x.shape, g.dtype)  # zeros in cropped rows/columns
    d = tiles(dx, kernel, shape)
    finite = bool(np.isfinite(g).all())
    count = np.zeros(top.shape, np.uint8)
    for a in range(kh):
        for b in range(kw):
            eq = t[:, :, :, a, :, b] == top
            count += eq
            if finite:  # g·mask (np.copyto(where=) took 4x longer)
                np.multiply(g, eq, out=d[:, :, :, a, :, b])
            else:  # g·0 would be NaN where g is inf or NaN; the losers get 0, as in torch
                d[:, :, :, a, :, b] = np.where(eq, g, 0)
    special = np.flatnonzero(count != 1)  # flat indices of those windows
    if special.size:
        cells = window_cells(special, x.shape, kernel, shape)  # (M, KH·KW) into x.ravel()
        win = np.ascontiguousarray(x).reshape(-1)[cells].T[None, None, :, None]
        inside = lambda: np.ones(win.shape[2:], bool)  # noqa: E731  (no padding here)
        top_s = top.reshape(-1)[special][None, None, None]
        winner = _window_argmax(win, win.argmax(axis=2), top_s, inside).reshape(-1, 1)
        g_s = g.reshape(-1)[special][:, None]
        dx.reshape(-1)[cells] = np.where(winner == np.arange(kh * kw), g_s, 0)
    return dx


@unbatched_ok
def max_pool2d(
    x: np.ndarray,
    kernel_size: Size2,
    stride: Size2 | None = None,
    padding: Size2 = 0,
    dilation: Size2 = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> np.ndarray:
    """``torch.nn.functional.max_pool2d``: the largest value of each window.

    ``return_indices=True`` (torch's flat argmax indices, for ``max_unpool2d``) is refused, as
    by ``MaxPool2d``: a deliberate difference listed in the parity contract
    (docs/contract.md).
    """
    if return_indices:
        raise ValueError("return_indices=True is not implemented in scratch's max_pool2d")
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode)[0]


def _avg_divisor(
    size: int, kernel: int, stride: int, padding: int, out: int, count_include_pad: bool
) -> np.ndarray:
    """Per output position on one axis: the window length torch divides by.

    The window is clipped to the padded input (``count_include_pad``) or to the input
    itself; a ceil_mode overhang past the padding never counts. The 2-D divisor is the
    product of the two axes' lengths. This is torch's ``pool_size`` / ``divide_factor`` in
    aten/src/ATen/native/cpu/AvgPoolKernel.cpp (``cpu_avg_pool`` and its backward): with
    ``ceil_mode``, ``AvgPool2d(kernel_size=(1, 2), ceil_mode=True)`` on ``[1, 2, 3]`` gives
    ``[1.5, 3.0]``: the last window holds one input element and divides by 1, not by 2.
    """
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x = check_input(x, None, "avg_pool2d")
    kernel, stride, dilation, out, pad4 = _geometry(x, kernel_size, stride, padding, 1,
                                                    ceil_mode, "avg_pool2d")  # fmt: skip
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, int) or divisor_override == 0:  # fmt: skip
            raise ValueError(f"divisor_override must be a non-zero int, got {divisor_override!r}")  # fmt: skip
        divisor = np.full(out, float(divisor_override))
    else:
        h, w = (_avg_divisor(x.shape[2 + i], kernel[i], stride[i], pad4[2 * i], out[i],
                             count_include_pad) for i in range(2))  # fmt: skip
        divisor = np.outer(h, w).astype(np.float64)
    xp = pad2d(x, pad4)
    total = windows(xp, kernel, stride, dilation, out).sum(axis=(-4, -3))
    return (total / divisor).astype(x.dtype), (divisor, xp.shape, pad4, kernel, stride)


@unbatched_ok
def avg_pool2d(
    x: np.ndarray,
    kernel_size: Size2,
    stride: Size2 | None = None,
    padding: Size2 = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """``torch.nn.functional.avg_pool2d``: Σ window / divisor (see ``_avg_divisor``)."""
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)[0]  # fmt: skip


def _bins(size: int, out: int) -> np.ndarray:
    """(out, size) averaging matrix: bin i covers [floor(i·I/O), ceil((i+1)·I/O))."""
    i = np.arange(out)[:, None]
    start, end = (i * size) // out, -(-((i + 1) * size) // out)
    inside = (np.arange(size) >= start) & (np.arange(size) < end)
    return inside / (end - start)


def _adaptive_size(output_size, x: np.ndarray) -> Pair:
    """An int or a pair, None meaning the input's size on that axis (not None alone, as in
    torch); 0 is allowed, as torch allows it (an empty output)."""
    if output_size is None:
        raise TypeError("output_size must be an int or a pair (an entry may be None), got None")
    items = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(items) != 2:
        raise ValueError(f"output_size must be an int or a pair, got {output_size!r}")
    size = tuple(x.shape[2 + i] if v is None else v for i, v in enumerate(items))
    return pair(size, "output_size", minimum=0, single=False)  # torch: "must be 2"


@unbatched_ok
def adaptive_avg_pool2d(
    x: np.ndarray, output_size: int | tuple[int | None, int | None]
) -> np.ndarray:
    """``torch.nn.functional.adaptive_avg_pool2d``; output_size (1, 1) is global average pooling."""
    x = check_input(x, None, "adaptive_avg_pool2d")
    oh, ow = _adaptive_size(output_size, x)
    A_h, A_w = (_bins(x.shape[2], oh).astype(x.dtype), _bins(x.shape[3], ow).astype(x.dtype))
    return A_h @ x @ A_w.T


@unbatched_ok
class MaxPool2d(Module):
    """``torch.nn.MaxPool2d``: the gradient goes to the argmax of each window, 0 elsewhere.

    On a tie the first maximum in row-major order takes it all (see ``_window_argmax`` for
    torch's full rule, NaN and -inf included); an element that wins several overlapping
    windows gets the sum of their gradients (``col2im`` adds).
    """

    def __init__(
        self,
        kernel_size: Size2,
        stride: Size2 | None = None,
        padding: Size2 = 0,
        dilation: Size2 = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        if return_indices:
            raise ValueError("return_indices=True is not implemented in scratch.nn.MaxPool2d")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = _max_pool(x, self.kernel_size, self.stride, self.padding,
                                     self.dilation, self.ceil_mode)  # fmt: skip
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        argmax, padded_shape, pad4, kernel, stride, dilation, tiles = self.saved()
        if tiles is not None:
            return _tile_backward(*tiles, kernel, grad_output)
        n, c, oh, ow = grad_output.shape
        dwin = np.zeros((n, c, kernel[0] * kernel[1], oh, ow), dtype=grad_output.dtype)
        np.put_along_axis(dwin, argmax, grad_output[:, :, None], axis=2)  # route to argmax
        return col2im(dwin.reshape(n, c, *kernel, oh, ow), padded_shape, stride, dilation, pad4)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")  # fmt: skip


@unbatched_ok
class AvgPool2d(Module):
    """``torch.nn.AvgPool2d``: each window element gets grad / divisor."""

    def __init__(
        self,
        kernel_size: Size2,
        stride: Size2 | None = None,
        padding: Size2 = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = _avg_pool(x, self.kernel_size, self.stride, self.padding,
                                     self.ceil_mode, self.count_include_pad,
                                     self.divisor_override)  # fmt: skip
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        divisor, padded_shape, pad4, kernel, stride = self.saved()
        share = (grad_output / divisor).astype(grad_output.dtype)[:, :, None, None]
        dwin = np.broadcast_to(share, (*share.shape[:2], *kernel, *share.shape[-2:]))
        return col2im(dwin, padded_shape, stride, (1, 1), pad4)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


@unbatched_ok
class AdaptiveAvgPool2d(Module):
    """``torch.nn.AdaptiveAvgPool2d``: out = A_h x A_wᵀ, so dx = A_hᵀ dout A_w."""

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_input(x, None, "AdaptiveAvgPool2d")
        oh, ow = _adaptive_size(self.output_size, x)
        A_h, A_w = _bins(x.shape[2], oh).astype(x.dtype), _bins(x.shape[3], ow).astype(x.dtype)
        self._cache = (A_h, A_w)
        return A_h @ x @ A_w.T

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        A_h, A_w = self.saved()
        if 0 in A_h.shape[:1] + A_w.shape[:1]:  # torch's forward makes it, its backward refuses
            raise ValueError("AdaptiveAvgPool2d's backward needs a non-empty output, got output "
                             f"size {(A_h.shape[0], A_w.shape[0])}, as torch's")  # fmt: skip
        return A_h.T @ grad_output @ A_w

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Flatten(Module):
    """``torch.nn.Flatten``: merge dims start_dim..end_dim; backward restores the shape."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        nd = max(x.ndim, 1)  # torch wraps dims of a 0-d input as if it had one axis
        start, end = (d + nd if d < 0 else d for d in (self.start_dim, self.end_dim))
        if not (0 <= start < nd and 0 <= end < nd) or start > end:
            raise ValueError(
                f"start_dim={self.start_dim}, end_dim={self.end_dim} do not select a range of "
                f"dims of an input of shape {x.shape}"
            )
        self._cache = x.shape
        return x.reshape(*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return grad_output.reshape(self.saved())

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
