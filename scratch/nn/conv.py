"""2-D convolution and transposed convolution, forward and hand-written backward.

Twin: ``torch.nn.Conv2d`` / ``torch.nn.ConvTranspose2d`` and ``torch.nn.functional.conv2d`` /
``conv_transpose2d`` (torch_ref/nn/conv.py).

How it is computed (im2col, no loop over pixels or batch items):

1. pad the input, take a strided *view* of every kernel window (``_im2col.windows``);
2. copy it once into ``cols`` of shape (G, C/G·KH·KW, N·OH·OW) (``_im2col.im2col``);
3. ``out = W @ cols``: ONE matrix product per group (a single large GEMM for groups=1),
   then one transpose copy back to NCHW.

The backward is two more products and a col2im:
``dW = dZ colsᵀ`` (the sum over batch and pixels happens inside the product),
``dcols = Wᵀ dZ``, and col2im adds each window's gradient back to the pixels it came from
(a loop over the KH·KW kernel offsets only): ``_im2col.conv_grad_weight`` and
``conv_grad_input``. Why one big product rather than one per batch item: see
``_im2col.im2col``.

Stride-1 convolutions usually take a faster path instead, on the flattened image, with no
column copies in the backward and no col2im: see ``_flat_conv``.

The transposed convolution *is* the backward-to-input of a convolution (that is its
definition in torch), so ``conv_transpose2d`` reuses ``conv_grad_input``, and its backward
reuses the convolution's forward.

The seed writes the output size as O = (I - K + 2P)/S + 1; torch's, used here, is
floor((I + 2P - D(K-1) - 1)/S) + 1: the same for D = 1 when S divides, otherwise the floor
drops the last partial window (see scratch/receptive_field.py).
"""

from __future__ import annotations

import numpy as np

from scratch._checks import as_float_array, check_positive_int, check_same_dtype, factory_dtype
from scratch.nn import _flat_conv as flat
from scratch.nn._im2col import (
    Padding4,
    Pair,
    Size2,
    batch_major,
    check_input,
    conv_grad_input,
    conv_grad_weight,
    im2col,
    pair,
    unbatched_ok,
)
from scratch.nn.module import Module, Parameter

PADDING_STRINGS = ("same", "valid")


def resolve_padding(padding: object, kernel: Pair, stride: Pair, dilation: Pair) -> Padding4:
    """int / pair / 'valid' / 'same' → (top, bottom, left, right).

    'same' follows torch: only for stride 1; total padding D(K-1) per axis, half on each side,
    and when it is odd the extra row/column goes on the bottom/right.
    """
    if isinstance(padding, str):
        if padding not in PADDING_STRINGS:
            raise ValueError(f"padding must be an int, a pair or one of {PADDING_STRINGS}, got {padding!r}")  # fmt: skip
        if padding == "valid":
            return (0, 0, 0, 0)
        if stride != (1, 1):
            raise ValueError(f"padding='same' is not supported for strided convolutions (stride={stride})")  # fmt: skip
        (th, tw) = (dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1))
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = pair(padding, "padding", minimum=0)
    return (ph, ph, pw, pw)


def _check_weight(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    groups: int,
    in_axis: int,
    out_channels: int,
) -> None:
    """Shapes of weight and bias against the input, with torch's rules for groups."""
    if weight.ndim != 4:
        raise ValueError(f"weight must be 4-D, got shape {weight.shape}")
    if weight.dtype != x.dtype:
        raise TypeError(f"input has dtype {x.dtype} but weight has dtype {weight.dtype}")
    in_per_group = weight.shape[in_axis]
    if in_axis == 1 and x.shape[1] != in_per_group * groups:
        raise ValueError(
            f"input has {x.shape[1]} channels but weight {weight.shape} with groups={groups} "
            f"expects {in_per_group * groups}"
        )
    if in_axis == 0 and x.shape[1] != weight.shape[0]:
        raise ValueError(f"input has {x.shape[1]} channels but weight {weight.shape} expects {weight.shape[0]}")  # fmt: skip
    if weight.shape[0] % groups:
        raise ValueError(f"weight.shape[0]={weight.shape[0]} must be divisible by groups={groups}")  # fmt: skip
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"bias must have shape ({out_channels},), got {bias.shape}")
    if bias is not None and bias.dtype != x.dtype:
        raise TypeError(f"input has dtype {x.dtype} but bias has dtype {bias.dtype}")


def _geometry(stride: object, dilation: object, groups: object) -> tuple[Pair, Pair, int]:
    return pair(stride, "stride"), pair(dilation, "dilation"), check_positive_int(groups, "groups")


@unbatched_ok
def conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: Size2 = 1,
    padding: Size2 | str = 0,
    dilation: Size2 = 1,
    groups: int = 1,
) -> np.ndarray:
    """``torch.nn.functional.conv2d``: x (N, C, H, W), weight (O, C/groups, KH, KW)."""
    out, _ = _conv2d_with_cols(x, weight, bias, stride, padding, dilation, groups)
    return out


def _conv2d_with_cols(x, weight, bias, stride, padding, dilation, groups):
    x = check_input(x, None, "conv2d")
    weight = as_float_array(weight, "weight")
    stride, dilation, groups = _geometry(stride, dilation, groups)
    _check_weight(x, weight, bias, groups, 1, weight.shape[0] if weight.ndim else 0)
    kernel = weight.shape[2:]
    pad4 = resolve_padding(padding, kernel, stride, dilation)
    W_g = weight.reshape(groups, weight.shape[0] // groups, -1)
    geom = flat.flat_geometry(x.shape, kernel, pad4, dilation) if stride == (1, 1) else None
    if geom is not None and flat.flat_pays(geom):  # see _flat_conv
        xp = flat.flat_input(x, geom)  # the flat input: the backward reads it in place
        return flat.flat_forward(xp, geom, W_g, bias), (xp, geom)
    cols, (oh, ow) = im2col(x, kernel, stride, pad4, dilation, groups)
    Z = batch_major(np.matmul(W_g, cols), x.shape[0], (oh, ow))
    if bias is not None:
        Z += bias.reshape(-1, 1, 1)
    return Z, (cols, None)


def _output_padding(output_padding: object, stride: Pair, dilation: Pair) -> Pair:
    """torch's rule: each output_padding must be smaller than the stride or the dilation."""
    op = pair(output_padding, "output_padding", minimum=0)
    if not all(op[i] < max(stride[i], dilation[i]) for i in range(2)):
        raise ValueError(f"output_padding {op} must be smaller than stride {stride} or dilation {dilation}")  # fmt: skip
    return op


@unbatched_ok
def conv_transpose2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    output_padding: Size2 = 0,
    groups: int = 1,
    dilation: Size2 = 1,
) -> np.ndarray:
    """``torch.nn.functional.conv_transpose2d``: weight (C_in, C_out/groups, KH, KW).

    The gradient of ``conv2d`` w.r.t. its input, for an input of size
    H_out = (H - 1)S - 2P + D(K - 1) + output_padding + 1 (``output_padding`` only picks
    among the sizes that a strided convolution maps to the same H).
    """
    x = check_input(x, None, "conv_transpose2d")
    weight = as_float_array(weight, "weight")
    stride, dilation, groups = _geometry(stride, dilation, groups)
    out_ch = weight.shape[1] * groups if weight.ndim == 4 else 0
    _check_weight(x, weight, bias, groups, 0, out_ch)
    ph, pw = pair(padding, "padding", minimum=0)
    oph, opw = _output_padding(output_padding, stride, dilation)
    n, _, h, w = x.shape
    kh, kw = weight.shape[2:]
    out_h = (h - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + oph + 1
    out_w = (w - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + opw + 1
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"padding {(ph, pw)} leaves an empty output ({out_h}, {out_w})")
    out = conv_grad_input(x, weight, (n, out_ch, out_h, out_w), stride, (ph, ph, pw, pw),
                          dilation, groups)  # fmt: skip
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1)
    return out


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: arguments, parameters, torch's default init."""

    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size2,
        stride,
        padding,
        dilation,
        groups: int,
        bias: bool,
        padding_mode: str,
        dtype: type,
        generator: np.random.Generator | None,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.out_channels = check_positive_int(out_channels, "out_channels")
        self.kernel_size = pair(kernel_size, "kernel_size", single=False)  # torch: 3-D weight
        self.stride, self.dilation, self.groups = _geometry(stride, dilation, groups)
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % self.groups:
                raise ValueError(f"{name}={value} must be divisible by groups={self.groups}")
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode must be 'zeros' (the only mode implemented), got {padding_mode!r}")  # fmt: skip
        self.padding_mode = padding_mode
        self.padding = padding
        if self.transposed:
            shape = (in_channels, out_channels // self.groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // self.groups, *self.kernel_size)
            self._pad4 = resolve_padding(padding, self.kernel_size, self.stride, self.dilation)
            self.padding = padding if isinstance(padding, str) else self._pad4[::2]
        # torch: kaiming_uniform_(a=√5) → U(±1/√fan_in) for W, and the same bound for b,
        # with fan_in = weight.shape[1]·KH·KW (for ConvTranspose2d that is C_out/groups·KH·KW).
        rng = generator if generator is not None else np.random.default_rng()
        bound = 1.0 / np.sqrt(shape[1] * shape[2] * shape[3])
        self.weight = Parameter(rng.uniform(-bound, bound, shape).astype(dtype))
        self.bias = Parameter(rng.uniform(-bound, bound, out_channels).astype(dtype)) if bias else None  # fmt: skip

    def _bias(self) -> np.ndarray | None:
        return None if self.bias is None else self.bias.data

    def _accumulate(self, dZ: np.ndarray, dW: np.ndarray) -> None:
        self.weight.accumulate(dW)
        if self.bias is not None:
            self.bias.accumulate(dZ.sum(axis=(0, 2, 3)))  # db = Σ dZ over batch and pixels

    def _check_x(self, x: object) -> np.ndarray:
        x = check_input(x, self.in_channels, type(self).__name__)
        check_same_dtype(x, "input", self.weight.dtype, type(self).__name__)
        return x

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"groups={self.groups}, bias={self.bias is not None}")  # fmt: skip


@unbatched_ok
class Conv2d(_ConvNd):
    """``torch.nn.Conv2d``: groups=1 standard, groups=C depthwise, 1x1 pointwise."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size2,
        stride: Size2 = 1,
        padding: Size2 | str = 0,
        dilation: Size2 = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        device: object = None,
        dtype: type = np.float32,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, factory_dtype(device, dtype), generator)  # fmt: skip

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_x(x)
        Z, cols = _conv2d_with_cols(x, self.weight.data, self._bias(), self.stride,
                                          self.padding, self.dilation, self.groups)  # fmt: skip
        self._cache = (x.shape, cols)
        return Z

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x_shape, (cols, geom) = self.saved()
        dZ = np.asarray(grad_output, dtype=self.weight.dtype)
        if geom is None:
            self._accumulate(dZ, conv_grad_weight(cols, dZ, self.weight.shape, self.groups))
            return conv_grad_input(dZ, self.weight.data, x_shape, self.stride, self._pad4,
                                   self.dilation, self.groups)  # fmt: skip
        W_g = self.weight.data.reshape(self.groups, self.out_channels // self.groups, -1)
        dW_g, dx = flat.flat_backward(cols, geom, W_g, dZ)  # stride 1: cols is the flat input
        self._accumulate(dZ, dW_g.reshape(self.weight.shape))
        return dx


@unbatched_ok
class ConvTranspose2d(_ConvNd):
    """``torch.nn.ConvTranspose2d``: weight (C_in, C_out/groups, KH, KW); the adjoint of Conv2d."""

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size2,
        stride: Size2 = 1,
        padding: Size2 = 0,
        output_padding: Size2 = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Size2 = 1,
        padding_mode: str = "zeros",
        *,
        device: object = None,
        dtype: type = np.float32,
        generator: np.random.Generator | None = None,
    ) -> None:
        if isinstance(padding, str):
            raise ValueError(f"padding must be an int or a pair for ConvTranspose2d, got {padding!r}")  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, factory_dtype(device, dtype), generator)  # fmt: skip
        self.padding = pair(padding, "padding", minimum=0)
        self.output_padding = _output_padding(output_padding, self.stride, self.dilation)

    def forward(self, x: np.ndarray, output_size: tuple[int, ...] | None = None) -> np.ndarray:
        """``output_size`` (torch's): the (H, W) wanted, optionally with the batch and channel
        dims before it; it picks the output_padding, in place of the module's."""
        x = self._check_x(x)
        op = self.output_padding if output_size is None else self._padding_for(x, output_size)
        out = conv_transpose2d(x, self.weight.data, self._bias(), self.stride, self.padding,
                               op, self.groups, self.dilation)  # fmt: skip
        self._cache = x
        return out

    def _padding_for(self, x: np.ndarray, output_size: object) -> Pair:
        """torch's _ConvTransposeNd._output_padding: each size must lie in [the size with no
        output_padding, that + stride - 1]; the output_padding is the difference."""
        lead = 1 if getattr(self, "_unbatched", False) else 2  # (C,) or (N, C) before (H, W)
        size = tuple(output_size)
        size = size[lead:] if len(size) == lead + 2 else size
        if len(size) != 2:
            raise ValueError(f"output_size must have 2 or {lead + 2} elements, got {output_size!r}")  # fmt: skip
        low = [(x.shape[2 + d] - 1) * self.stride[d] - 2 * self.padding[d]
               + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in (0, 1)]  # fmt: skip
        high = [low[d] + self.stride[d] - 1 for d in (0, 1)]
        if not all(low[d] <= size[d] <= high[d] for d in (0, 1)):
            raise ValueError(f"requested an output size of {list(size)}, but valid sizes range "
                             f"from {low} to {high} (for an input of {list(x.shape[2:])})")  # fmt: skip
        return size[0] - low[0], size[1] - low[1]

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dx is a plain convolution of dZ; dW pairs dZ's windows with x (roles swapped)."""
        x = self.saved()
        dZ = np.asarray(grad_output, dtype=self.weight.dtype)
        n, c_in, h, w = x.shape
        ph, pw = self.padding
        cols, _ = im2col(dZ, self.kernel_size, self.stride, (ph, ph, pw, pw), self.dilation,
                          self.groups, out=(h, w))  # fmt: skip
        self._accumulate(dZ, conv_grad_weight(cols, x, self.weight.shape, self.groups))
        W_g = self.weight.data.reshape(self.groups, c_in // self.groups, -1)
        return batch_major(np.matmul(W_g, cols), n, (h, w))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", output_padding={self.output_padding}"


def conv2d_manual(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int = 1,
    padding: int = 0,
) -> np.ndarray:
    """The seed's readable reference: nested loops over every output pixel.

    ``x`` (H, W) with ``weight`` (KH, KW) for one channel, or x (N, C, H, W) with weight
    (O, C, KH, KW). Each output is Σ window * kernel (+ b). Slow on purpose: it is the
    definition that ``conv2d`` is tested against, not something to train with.
    """
    single = x.ndim == 2
    if single:
        x, weight = x[None, None], weight[None, None]
    n, c, h, w = x.shape
    out_ch, _, kh, kw = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    out = np.zeros((n, out_ch, oh, ow), dtype=x.dtype)
    for b in range(n):
        for o in range(out_ch):
            for i in range(oh):
                for j in range(ow):
                    window = xp[b, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    out[b, o, i, j] = np.sum(window * weight[o]) + (0 if bias is None else bias[o])
    return out[0, 0] if single else out
