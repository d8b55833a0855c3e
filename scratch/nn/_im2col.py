"""Sliding windows without loops: the im2col / col2im machinery shared by conv and pooling.

No twin: torch does this inside its C++ kernels. Everything here works on strided *views*
(``numpy.lib.stride_tricks.as_strided``), so building the windows of a whole batch costs no
copy and no Python loop over pixels or batch items. The only loop is ``col2im``'s, over the
kh×kw kernel offsets (9 iterations for a 3x3 kernel), each one a strided add of a whole slab.

The convolution's backward products for this general (any stride) path, ``conv_grad_input``
and ``conv_grad_weight``, live here beside ``im2col`` and ``col2im``, which they use.

Argument checks shared by the 2-D layers (``pair``, ``check_input``) live here too, so conv
and pooling word their errors the same way.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from scratch._checks import as_float_array

Pair = tuple[int, int]
Size2 = int | tuple[int, int]  # what the public API accepts: 3 or (3, 2), as torch does
Padding4 = tuple[int, int, int, int]  # (top, bottom, left, right), like the rows/cols of F.pad


def pair(value: object, name: str, *, minimum: int = 1, single: bool = True,
         empty: Pair | None = None) -> Pair:  # fmt: skip
    """torch's 2-D size argument as a checked pair: ``3`` → ``(3, 3)``, ``(2, 3)`` stays.

    As torch's kernels read ``_pair``'s result (aten's pooling and convolution checks): a
    sequence of one int counts for both axes (``(1,)`` → ``(1, 1)``) unless ``single`` is
    False (a conv module's kernel_size, where torch's weight would come out 3-D and fail);
    an empty one only where torch takes it, a pool's stride, which gives ``empty`` (the
    kernel size). Anything else, or a value below ``minimum``, raises ValueError.
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) == 0 and empty is not None:
        return empty
    if len(items) == 1 and single:
        items = items * 2
    ok = len(items) == 2 and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum for v in items
    )
    if not ok:
        kind = "positive" if minimum == 1 else f"≥ {minimum}"
        ones = "a tuple of one or two ints" if single else "a pair of ints"
        ones += ", or an empty tuple" if empty is not None else ""
        raise ValueError(f"{name} must be an int or {ones}, each {kind}, got {value!r}")
    return int(items[0]), int(items[1])


def check_input(x: object, channels: int | None, owner: str) -> np.ndarray:
    """A float (N, C, H, W) array with ``channels`` channels. An unbatched (C, H, W) input,
    which torch takes too, gets its batch axis from ``unbatched_ok`` before it comes here."""
    x = as_float_array(x, "input")
    if x.ndim != 4:
        raise ValueError(
            f"input to {owner} must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape {x.shape}"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"input to {owner} must have {channels} channels (dim 1), got shape {x.shape}"
        )
    if x.size == 0:  # torch returns an empty output; the twins here ask for a real batch
        raise ValueError(f"input to {owner} must not be empty, got shape {x.shape}")
    return x


def unbatched_ok(target):
    """torch's 2-D layers take an unbatched (C, H, W) input as a batch of one: for a function,
    or a Module class (forward and backward), add the batch axis and take it off again."""
    if isinstance(target, type):
        forward, backward = target.forward, target.backward

        @functools.wraps(forward)
        def batched_forward(self, x, *args, **kwargs):
            self._unbatched = np.ndim(x) == 3
            out = forward(self, np.asarray(x)[None] if self._unbatched else x, *args, **kwargs)
            return out[0] if self._unbatched else out

        @functools.wraps(backward)
        def batched_backward(self, grad_output):
            if not getattr(self, "_unbatched", False):
                return backward(self, grad_output)
            return backward(self, np.asarray(grad_output)[None])[0]

        target.forward, target.backward = batched_forward, batched_backward
        return target

    @functools.wraps(target)
    def batched(x, *args, **kwargs):
        if np.ndim(x) == 3:
            return target(np.asarray(x)[None], *args, **kwargs)[0]
        return target(x, *args, **kwargs)

    return batched


def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int) -> int:
    """floor((I + P_total - D(K-1) - 1)/S) + 1 for one spatial axis (no ceil_mode)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def pad2d(x: np.ndarray, padding: Padding4, value: float = 0.0) -> np.ndarray:
    """Pad the last two axes by (top, bottom, left, right); no copy when all are zero."""
    top, bottom, left, right = padding
    if not (top or bottom or left or right):
        return x
    widths = ((0, 0),) * (x.ndim - 2) + ((top, bottom), (left, right))
    return np.pad(x, widths, constant_values=value)


def windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """View of shape (..., KH, KW, OH, OW): ``view[..., a, b, i, j] = xp[..., i*s + a*d, j*s + b*d]``.

    A read-only strided view: no data is copied until someone asks for a contiguous array.
    Kernel offsets come before output positions so that, for each offset (a, b), the OH×OW
    slab is a plain strided image (contiguous rows when the stride is 1): copies of it run
    at memory speed and ``col2im`` adds whole slabs.
    """
    *lead, _, _ = xp.shape
    *lead_strides, sh, sw = xp.strides
    shape = (*lead, kernel[0], kernel[1], out[0], out[1])
    strides = (*lead_strides, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1])
    return as_strided(xp, shape, strides, writeable=False)


def im2col(
    x: np.ndarray,
    kernel: Pair,
    stride: Pair,
    padding: Padding4,
    dilation: Pair,
    groups: int,
    out: Pair | None = None,
) -> tuple[np.ndarray, Pair]:
    """``cols`` (G, C/G·KH·KW, N·OH·OW): one contiguous copy of every window, and (OH, OW).

    Batch and pixels share the last axis so that each product below is ONE large GEMM per
    group rather than N small ones: OpenBLAS threads many small products badly (measured
    10-100x slower on a loaded 2-core machine), and one big product is also what torch's
    im2col path does.
    """
    n, c, h, w = x.shape
    hp, wp = h + padding[0] + padding[1], w + padding[2] + padding[3]
    dil_h, dil_w = dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1
    if dil_h > hp or dil_w > wp:
        raise ValueError(
            f"kernel size {kernel} (dilated to {(dil_h, dil_w)}) is larger than the padded "
            f"input {(hp, wp)}"
        )
    if out is None:
        out = (output_size(h, kernel[0], stride[0], hp - h, dilation[0]),
               output_size(w, kernel[1], stride[1], wp - w, dilation[1]))  # fmt: skip
    xp = pad2d(x, padding).reshape(n, groups, c // groups, hp, wp)
    win = windows(xp, kernel, stride, dilation, out)  # (N, G, C/G, KH, KW, OH, OW), a view
    cols = np.ascontiguousarray(win.transpose(1, 2, 3, 4, 0, 5, 6))
    return cols.reshape(groups, -1, n * out[0] * out[1]), out


def group_major(dZ: np.ndarray, groups: int) -> np.ndarray:
    """(N, O, OH, OW) → (G, O/G, N·OH·OW), the layout of ``cols``'s products."""
    n, out_ch = dZ.shape[:2]
    dZ_g = dZ.reshape(n, groups, out_ch // groups, -1).transpose(1, 2, 0, 3)
    return np.ascontiguousarray(dZ_g).reshape(groups, out_ch // groups, -1)


def batch_major(Z_g: np.ndarray, n: int, spatial: Pair) -> np.ndarray:
    """(G, O/G, N·OH·OW) → contiguous (N, O, OH, OW): the inverse of ``group_major``."""
    Z = Z_g.reshape(-1, n, spatial[0] * spatial[1]).transpose(1, 0, 2)
    return np.ascontiguousarray(Z).reshape(n, -1, *spatial)


def col2im(dwin: np.ndarray, padded_shape: tuple[int, ...], stride: Pair, dilation: Pair,
           padding: Padding4) -> np.ndarray:  # fmt: skip
    """The adjoint of ``windows`` followed by cropping the padding.

    ``dwin`` has shape (..., KH, KW, OH, OW); each window element adds its gradient back to
    the pixel it was read from. Windows overlap, so this is a sum: one strided add per kernel
    offset (a, b), never a loop over pixels.
    """
    *_, kh, kw, oh, ow = dwin.shape
    dxp = np.zeros(padded_shape, dtype=dwin.dtype)
    sh, sw = stride
    for a in range(kh):
        r0 = a * dilation[0]
        for b in range(kw):
            c0 = b * dilation[1]
            rows = slice(r0, r0 + sh * (oh - 1) + 1, sh)
            dxp[..., rows, c0 : c0 + sw * (ow - 1) + 1 : sw] += dwin[..., a, b, :, :]
    top, bottom, left, right = padding
    return dxp[..., top : dxp.shape[-2] - bottom, left : dxp.shape[-1] - right]


def conv_grad_input(
    dZ: np.ndarray,
    weight: np.ndarray,
    x_shape: tuple[int, ...],
    stride: Pair,
    padding: Padding4,
    dilation: Pair,
    groups: int,
) -> np.ndarray:
    """dL/dx of a convolution: dcols = Wᵀ dZ for each group, then col2im back to x's shape."""
    n, c, h, w = x_shape
    out_ch, c_g, kh, kw = weight.shape
    oh, ow = dZ.shape[-2:]
    W_g = weight.reshape(groups, out_ch // groups, c_g * kh * kw)
    dcols = np.matmul(W_g.transpose(0, 2, 1), group_major(dZ, groups))  # (G, C/G·KH·KW, N·L)
    padded = (groups, c_g, n, h + padding[0] + padding[1], w + padding[2] + padding[3])
    dwin = dcols.reshape(groups, c_g, kh, kw, n, oh, ow).transpose(0, 1, 4, 2, 3, 5, 6)
    dx = col2im(dwin, padded, stride, dilation, padding)  # (G, C/G, N, H, W)
    return np.ascontiguousarray(dx.reshape(c, n, h, w).transpose(1, 0, 2, 3))


def conv_grad_weight(
    cols: np.ndarray, dZ: np.ndarray, weight_shape: tuple[int, ...], groups: int
) -> np.ndarray:
    """dL/dW = dZ colsᵀ per group (dZ is (N, O, OH, OW)), summing over batch and pixels.

    Both factors are short and very wide (N·OH·OW columns). OpenBLAS's threaded sgemm is fast
    for such a product only when the *larger* of the two short sides comes first (measured on
    2 loaded cores: 40 ms that way, 1-7 s the other way), so the operand order follows the
    shapes; both orders compute the same sums.
    """
    dZ_g = group_major(dZ, groups)  # (G, O/G, N·L)
    if cols.shape[1] >= dZ_g.shape[1]:
        dW = np.matmul(cols, dZ_g.transpose(0, 2, 1)).transpose(0, 2, 1)  # (cols dZᵀ)ᵀ
    else:
        dW = np.matmul(dZ_g, cols.transpose(0, 2, 1))
    return np.ascontiguousarray(dW).reshape(weight_shape)
