"""How each OpInfo op's sample runs through its scratch twin (``test_opinfo.py`` drives them).

An adapter takes one sample already converted to NumPy (``NpSample``: the input, the
positional and keyword arguments with torch's names, tensors as arrays) and returns a
``Run``: the scratch output of the functional form, and, where scratch has a backward for the
op, a function of the upstream gradient giving the gradients keyed like the sample's tensors
(``"input"``, ``"weight"``, ... torch's parameter names), plus any state the op updates
(BatchNorm's running statistics). Torch's side is computed once, generically, by the test.

Arguments are bound by torch's own parameter names (``SIGNATURES``) and passed to scratch by
the same names, so a keyword scratch lacks fails as torch's signature would not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

import scratch.functional as F
import scratch.nn as snn
from scratch.regularization import polynomial_features

Grads = dict[str, np.ndarray]


@dataclass
class NpSample:
    """A SampleInput in NumPy: ``kwargs`` holds every argument by torch's name."""

    input: object
    kwargs: dict[str, object]

    def get(self, name: str, default: object = None) -> object:
        return self.kwargs.get(name, default)


@dataclass
class Run:
    """Scratch's answer to one sample."""

    output: object
    backward: Callable[[np.ndarray], Grads] | None = None
    state: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. running stats after
    extra_outputs: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. the module's
    # "values"; "survivors" (dropout: shape, and the survivors' scale); "shape" (a random op
    # whose draws cannot be matched to torch's: SDPA's dropout)
    compare: str = "values"
    # the relative error the op's own float arithmetic allows beyond the profile (0: none);
    # each adapter that sets it says why
    rel_error: float = 0.0


# torch's parameter names in order (the functional form's signature), to bind positional args.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "nn.functional.relu": ("inplace",),
    "nn.functional.leaky_relu": ("negative_slope", "inplace"),
    "nn.functional.gelu": ("approximate",),
    "nn.functional.silu": ("inplace",),
    "sigmoid": (),
    "tanh": (),
    "softmax": ("dim", "dtype"),
    "log_softmax": ("dim", "dtype"),
    "nn.functional.linear": ("weight", "bias"),
    "nn.functional.conv2d": ("weight", "bias", "stride", "padding", "dilation", "groups"),
    "nn.functional.conv_transpose2d": ("weight", "bias", "stride", "padding", "output_padding",
                                       "groups", "dilation"),
    "nn.functional.max_pool2d": ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                 "return_indices"),
    "nn.functional.avg_pool2d": ("kernel_size", "stride", "padding", "ceil_mode",
                                 "count_include_pad", "divisor_override"),
    "nn.functional.adaptive_avg_pool2d": ("output_size",),
    "flatten": ("start_dim", "end_dim"),
    "nn.functional.batch_norm": ("running_mean", "running_var", "weight", "bias", "training",
                                 "momentum", "eps"),
    "nn.functional.dropout": ("p", "training", "inplace"),
    "nn.functional.mse_loss": ("target", "size_average", "reduce", "reduction"),
    "nn.functional.binary_cross_entropy": ("target", "weight", "size_average", "reduce",
                                           "reduction"),
    "nn.functional.binary_cross_entropy_with_logits": ("target", "weight", "size_average",
                                                       "reduce", "reduction", "pos_weight"),
    "nn.functional.cross_entropy": ("target", "weight", "size_average", "ignore_index", "reduce",
                                    "reduction", "label_smoothing"),
    "nn.functional.scaled_dot_product_attention": ("key", "value", "attn_mask", "dropout_p",
                                                   "is_causal", "scale", "enable_gqa"),
    "nn.functional.multi_head_attention_forward": (
        "key", "value", "embed_dim_to_check", "num_heads", "in_proj_weight", "in_proj_bias",
        "bias_k", "bias_v", "add_zero_attn", "dropout_p", "out_proj_weight", "out_proj_bias",
        "training", "key_padding_mask", "need_weights", "attn_mask"),
    "linalg.vander": ("N",),
}  # fmt: skip


def to_numpy(value: object) -> object:
    """Tensors become arrays (copies: torch may update its own in place), torch dtypes
    NumPy's, containers element by element; anything else is passed as it is."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()
    if isinstance(value, torch.dtype):
        return torch.empty((), dtype=value).numpy().dtype.type
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(v) for v in value)
    return value


def bind(op: str, sample) -> NpSample:
    """``sample`` (a torch SampleInput or ErrorInput's) in NumPy, every argument named."""
    names = SIGNATURES[op]
    if len(sample.args) > len(names):
        raise AssertionError(f"{op}: {len(sample.args)} positional arguments, SIGNATURES has "
                             f"{len(names)} names; update SIGNATURES")  # fmt: skip
    kwargs = dict(zip(names, sample.args, strict=False))  # trailing defaults omitted
    kwargs.update(sample.kwargs)
    return NpSample(to_numpy(sample.input), {k: to_numpy(v) for k, v in kwargs.items()})


def _drop(kwargs: dict, *names: str) -> dict:
    """torch's ``inplace``/``size_average``/``reduce`` are legacy or in-place switches that
    scratch does not have; the samples never set them (a set one stays and fails loudly)."""
    return {k: v for k, v in kwargs.items() if not (k in names and v in (None, False))}


def _module_run(output: object, module, params: dict[str, str] | None = None, *,
                input_name: str = "input", state: dict | None = None) -> Run:  # fmt: skip
    """A Run whose backward is ``module.backward``; ``params`` maps the sample's tensor
    names to the module's parameter names."""

    def backward(g: np.ndarray) -> Grads:
        grads = {input_name: module.backward(g)}
        for name, attr in (params or {}).items():
            param = getattr(module, attr)
            if param is not None:
                grads[name] = param.grad
        return grads

    return Run(output, backward, state or {})


def _with_params(module, **values: np.ndarray | None):
    """Put the sample's weights into the module (by the module's parameter names)."""
    for name, value in values.items():
        if value is not None:
            getattr(module, name).data = np.array(value, copy=True)
    return module


# -- activations ------------------------------------------------------------------------


def _elementwise(fn: Callable, derivative: Callable, module_type: type,
                 *settings: str) -> Callable[[NpSample], Run]:  # fmt: skip
    """The function, the module's backward, and the derivative function times the upstream
    gradient (a key "input|..." is compared with the input's gradient too)."""

    def run(s: NpSample) -> Run:
        kwargs = _drop(s.kwargs, "inplace")
        out = fn(s.input, **kwargs)
        module = module_type(**{k: kwargs[k] for k in settings if k in kwargs})
        module_out = module(s.input)

        def backward(g: np.ndarray) -> Grads:
            return {"input": module.backward(g),
                    "input|derivative function": g * derivative(s.input, **kwargs)}  # fmt: skip

        return Run(out, backward, extra_outputs={"module output": module_out})

    return run


def _softmax(fn: Callable, module_type: type) -> Callable[[NpSample], Run]:
    def run(s: NpSample) -> Run:
        out = fn(s.input, **s.kwargs)
        # the gradient through the module, on the input already cast to dtype= (torch casts
        # first, then takes the softmax; the cast's own gradient is the identity in float)
        x = s.input if s.get("dtype") is None else s.input.astype(s.get("dtype"))
        module = module_type(s.get("dim"))
        module_out = module(x)

        def backward(g: np.ndarray) -> Grads:  # the cast's gradient casts back
            return {"input": module.backward(g).astype(s.input.dtype, copy=False)}

        return Run(out, backward, extra_outputs={"module output": module_out})

    return run


# -- layers -----------------------------------------------------------------------------


def _linear(s: NpSample) -> Run:
    x, w, b = s.input, s.get("weight"), s.get("bias")
    out = F.linear(x, w, b)
    module = _with_params(snn.Linear(w.shape[1], w.shape[0], bias=b is not None, dtype=w.dtype),
                          weight=w, bias=b)  # fmt: skip
    run = _module_run(out, module, {"weight": "weight", "bias": "bias"})
    run.extra_outputs["module output"] = module(x)
    return run


def _conv(fn: Callable, module_type: type, transposed: bool) -> Callable[[NpSample], Run]:
    def run(s: NpSample) -> Run:
        out = fn(s.input, **s.kwargs)
        w, b = s.get("weight"), s.get("bias")
        groups = s.get("groups", 1)
        c_in, c_out = (w.shape[0], w.shape[1] * groups) if transposed else (w.shape[1] * groups,
                                                                             w.shape[0])  # fmt: skip
        settings = {k: v for k, v in s.kwargs.items() if k not in ("weight", "bias")}
        module = module_type(c_in, c_out, w.shape[2:], bias=b is not None, dtype=w.dtype,
                             **settings)  # fmt: skip
        _with_params(module, weight=w, bias=b)
        result = _module_run(out, module, {"weight": "weight", "bias": "bias"})
        result.extra_outputs["module output"] = module(s.input)
        return result

    return run


def _pool(fn: Callable, module_type: type) -> Callable[[NpSample], Run]:
    def run(s: NpSample) -> Run:
        out = fn(s.input, **s.kwargs)
        module = module_type(**s.kwargs)
        result = _module_run(out, module)
        result.extra_outputs["module output"] = module(s.input)
        return result

    return run


def _flatten(s: NpSample) -> Run:
    # torch.flatten's start_dim defaults to 0, nn.Flatten's to 1: the functional's is meant
    module = snn.Flatten(s.get("start_dim", 0), s.get("end_dim", -1))
    return _module_run(module(s.input), module)


def _batch_norm(s: NpSample) -> Run:
    """The functional form, then the module (its gradients); both update copies of the
    running statistics, compared with torch's after its own update."""
    kw = s.kwargs
    mean, var = kw.get("running_mean"), kw.get("running_var")
    f_mean = None if mean is None else mean.copy()
    f_var = None if var is None else var.copy()
    out = F.batch_norm(s.input, f_mean, f_var, **{k: v for k, v in kw.items()
                                                  if k not in ("running_mean", "running_var")})  # fmt: skip
    state = {} if mean is None else {"running_mean": f_mean, "running_var": f_var}
    x = s.input
    module_type = {2: snn.BatchNorm1d, 3: snn.BatchNorm1d, 4: snn.BatchNorm2d}.get(x.ndim)
    if module_type is None:
        return Run(out, None, state)
    w, b = kw.get("weight"), kw.get("bias")
    module = module_type(x.shape[1], eps=kw.get("eps", 1e-5), momentum=kw.get("momentum", 0.1),
                         affine=w is not None, bias=b is not None,
                         track_running_stats=mean is not None, dtype=x.dtype)  # fmt: skip
    _with_params(module, weight=w, bias=b)
    if mean is not None:
        module.running_mean, module.running_var = mean.copy(), var.copy()
    module.train(bool(kw.get("training", False)))
    run = _module_run(out, module, {"weight": "weight", "bias": "bias"}, state=state)
    run.extra_outputs["module output"] = module(x)
    if mean is not None:
        run.state["module running_mean"] = module.running_mean
        run.state["module running_var"] = module.running_var
    return run


def _dropout(s: NpSample) -> Run:
    kw = _drop(s.kwargs, "inplace")
    out = F.dropout(s.input, **kw, generator=np.random.default_rng(0))
    module = snn.Dropout(kw.get("p", 0.5), generator=np.random.default_rng(0))
    module.train(bool(kw.get("training", True)))
    module_out = module(s.input)
    p = float(kw.get("p", 0.5))
    random = bool(kw.get("training", True)) and 0 < p < 1
    return Run(out, lambda g: {"input": module.backward(g)},
               extra_outputs={"module output": module_out},
               compare="survivors" if random else "values")  # fmt: skip


# -- losses -----------------------------------------------------------------------------


def _loss(module_type: type) -> Callable[[NpSample], Run]:
    """The module is the twin of torch's functional loss (scratch has no functional form).
    Scratch's losses differentiate with respect to the input only: the target's gradient,
    which torch also computes for probability targets, is not compared."""

    def run(s: NpSample) -> Run:
        kw = _drop(s.kwargs, "size_average", "reduce")
        target = kw.pop("target")
        module = module_type(**kw)
        out = module(s.input, target)

        def backward(g: np.ndarray) -> Grads:
            return {"input": module.backward(g if np.ndim(g) else float(g))}

        return Run(out, backward)

    return run


# -- attention --------------------------------------------------------------------------


def _sdpa(s: NpSample) -> Run:
    """The (out, cache) form and its hand-written backward: dQ, dK, dV. A float attn_mask
    is an additive bias in both twins; its gradient (torch has one) scratch does not give."""
    kw = dict(s.kwargs)
    key, value = kw.pop("key"), kw.pop("value")
    out, cache = F.scaled_dot_product_attention_forward(s.input, key, value, **kw,
                                                        generator=np.random.default_rng(0))  # fmt: skip

    def backward(g: np.ndarray) -> Grads:
        dq, dk, dv = F.scaled_dot_product_attention_backward(g, cache)
        return {"input": dq, "key": dk, "value": dv}

    # op_db's values are uniform in [-9, 9]: the scores q·k·scale reach |S| ~ 100, and one
    # rounding of S (ε|S|, 1.2e-5 in float32) is an absolute error in the exponent, so a
    # relative one in every probability and in all that follows. 4ε·max|S| allows for it (a
    # wrong term would be off by O(1)); in float64 it stays far below the profile's rtol.
    q = s.input
    try:
        top = float(np.abs(q @ np.swapaxes(key, -1, -2)).max(initial=0))
    except ValueError:  # heads grouped (enable_gqa): bound |q·k| by d·max|q|·max|k|
        top = q.shape[-1] * float(np.abs(q).max(initial=0) * np.abs(key).max(initial=0))
    scale = kw.get("scale") or 1 / np.sqrt(q.shape[-1])
    rel = 4 * float(np.finfo(q.dtype).eps) * top * scale
    random = kw.get("dropout_p", 0.0) > 0
    return Run(out, backward, compare="shape" if random else "values", rel_error=rel)


def _mha(s: NpSample) -> Run:
    """op_db's one sample of multi_head_attention_forward passes bias_k/bias_v (the module's
    add_bias_kv=True), which scratch refuses when built; building is all this adapter does."""
    snn.MultiheadAttention(
        s.get("embed_dim_to_check"), s.get("num_heads"), dropout=s.get("dropout_p", 0.0),
        bias=s.get("in_proj_bias") is not None, add_bias_kv=s.get("bias_k") is not None,
        add_zero_attn=bool(s.get("add_zero_attn", False)), dtype=s.input.dtype,
    )  # fmt: skip
    raise NotImplementedError(
        "multi_head_attention_forward: a sample scratch's MultiheadAttention can build; "
        "write its comparison (load in_proj/out_proj weights) in opinfo_adapters._mha"
    )


def _vander(s: NpSample) -> Run:
    """linalg.vander(x, N) = polynomial_features(x, degree=N-1): columns x^0 ... x^(N-1).
    polynomial_features has no backward (the course fits it in closed form)."""
    x = s.input
    n = s.get("N")
    n = x.shape[-1] if n is None else n
    return Run(polynomial_features(x, n - 1))


ADAPTERS: dict[str, Callable[[NpSample], Run]] = {
    "nn.functional.relu": _elementwise(F.relu, F.relu_derivative, snn.ReLU),
    "nn.functional.leaky_relu": _elementwise(
        F.leaky_relu, F.leaky_relu_derivative, snn.LeakyReLU, "negative_slope"
    ),
    "nn.functional.gelu": _elementwise(F.gelu, F.gelu_derivative, snn.GELU, "approximate"),
    "nn.functional.silu": _elementwise(F.silu, F.silu_derivative, snn.SiLU),
    "sigmoid": _elementwise(F.sigmoid, F.sigmoid_derivative, snn.Sigmoid),
    "tanh": _elementwise(F.tanh, F.tanh_derivative, snn.Tanh),
    "softmax": _softmax(F.softmax, snn.Softmax),
    "log_softmax": _softmax(F.log_softmax, snn.LogSoftmax),
    "nn.functional.linear": _linear,
    "nn.functional.conv2d": _conv(F.conv2d, snn.Conv2d, transposed=False),
    "nn.functional.conv_transpose2d": _conv(F.conv_transpose2d, snn.ConvTranspose2d, True),
    "nn.functional.max_pool2d": _pool(F.max_pool2d, snn.MaxPool2d),
    "nn.functional.avg_pool2d": _pool(F.avg_pool2d, snn.AvgPool2d),
    "nn.functional.adaptive_avg_pool2d": _pool(F.adaptive_avg_pool2d, snn.AdaptiveAvgPool2d),
    "flatten": _flatten,
    "nn.functional.batch_norm": _batch_norm,
    "nn.functional.dropout": _dropout,
    "nn.functional.mse_loss": _loss(snn.MSELoss),
    "nn.functional.binary_cross_entropy": _loss(snn.BCELoss),
    "nn.functional.binary_cross_entropy_with_logits": _loss(snn.BCEWithLogitsLoss),
    "nn.functional.cross_entropy": _loss(snn.CrossEntropyLoss),
    "nn.functional.scaled_dot_product_attention": _sdpa,
    "nn.functional.multi_head_attention_forward": _mha,
    "linalg.vander": _vander,
}
