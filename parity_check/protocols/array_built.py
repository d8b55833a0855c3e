"""Layers built from their weight arrays ("Deep Learning from Scratch"): ``Affine(W, b)``,
``Convolution(W, b, stride=1, pad=0)``, ``BatchNormalization(gamma, beta, momentum=0.9, ...)``.

Recognised by a constructor whose first required argument is named like a weight (``W``,
``w``, ``weights``, ``kernel``, ``gamma``). The checker builds torch's module with the case's
sizes, hands its initial weights to the learner's constructor in the learner's layout (a 2-D
weight as (in, out), the book's, unless the learner's forward only takes (out, in)), and passes
the case's other settings in the names the constructor takes. torch's ``bias=False`` (or a
BatchNorm's ``affine=False``) is given as a bias of zeros (γ of ones), which is that layer
exactly; that array is then not compared.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np

from parity_check import adapters
from parity_check.errors import call_user

ARRAYS = {
    "weight": ("W", "w", "weight", "weights", "kernel", "filters", "gamma", "Weight"),
    "bias": ("b", "bias", "biases", "beta", "Bias"),
}
FLAGS = ("bias", "affine")  # torch's switches for the arrays (False: no such parameter)


def array_args(cls) -> list[tuple[str, str]]:
    """(the constructor's argument, torch's parameter) for each required array argument."""
    sig = adapters._signature(cls)
    if sig is None:
        return []
    found = []
    for p in sig.parameters.values():
        if p.default is not p.empty or p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            continue
        torch_name = next((t for t, names in ARRAYS.items() if p.name in names), None)
        if torch_name is None:
            return found
        found.append((p.name, torch_name))
    return found


def recognises(spec, obj) -> dict | None:
    if not isinstance(obj, type) or not hasattr(spec, "torch_module"):
        return None
    arrays = array_args(obj)
    if not arrays or arrays[0][1] != "weight":
        return None
    return {"construct": construct, "signature": signature(spec, obj, arrays)}


def signature(spec, cls, arrays) -> inspect.Signature:
    """torch's positional sizes, torch's bias/affine switch, then the learner's other
    arguments (keyword-only), so the case's settings are passed in the learner's names."""
    P = inspect.Parameter
    params = [P(n, P.POSITIONAL_OR_KEYWORD) for n in spec.positional]
    torch_takes, _ = adapters.accepted_names(spec.factory)
    params += [P(f, P.KEYWORD_ONLY, default=True) for f in FLAGS if f in torch_takes]
    taken = {a for a, _ in arrays} | {p.name for p in params}
    for p in adapters._signature(cls).parameters.values():
        if p.name in taken or p.kind is P.VAR_POSITIONAL:
            continue
        params.append(p if p.kind is P.VAR_KEYWORD else p.replace(kind=P.KEYWORD_ONLY))
    return inspect.Signature(params)


def construct(wrapper, args: tuple, kwargs: dict):
    """The learner's layer built from torch's initial weights; (layer, names not compared)."""
    spec, cls, target = wrapper.spec, wrapper.learner_cls, wrapper.target
    n = len(spec.positional)
    config = dict(zip(spec.positional, args[:n], strict=False))
    for flag in FLAGS:
        if flag in kwargs and flag not in adapters.accepted_names(cls)[0]:
            config[flag] = kwargs.pop(flag)
    params = {k: v.detach().numpy().copy() for k, v in spec.torch_module(config, "float64").named_parameters()}  # fmt: skip
    size = next((config[k] for k in ("out_features", "out_channels", "num_features") if k in config), 1)  # fmt: skip
    arrays, fillers = {}, []
    for arg, torch_name in array_args(cls):
        value = params.get(torch_name)
        if value is None:  # bias=False: a bias of zeros; affine=False: γ of ones, β of zeros
            value = (np.ones if arg == "gamma" else np.zeros)(size)
            fillers.append(value)
            target.note(f"torch's {torch_name} is off ({', '.join(f'{k}=False' for k in FLAGS if config.get(k) is False)}): your {arg} given as {value[0]:g}s, not compared")  # fmt: skip
        arrays[arg] = value
    layout = "as torch keeps them"
    weight = next(a for a, t in array_args(cls) if t == "weight")
    if arrays[weight].ndim == 2:  # the book keeps W as (in, out): try that layout first
        arrays[weight] = arrays[weight].T
        layout = f"{weight} as (in, out)"
        if not _forward_runs(cls, arrays, kwargs, arrays[weight].shape[0]):
            arrays[weight] = arrays[weight].T
            layout = f"{weight} as (out, in)"
    shown = ", ".join(arrays)
    learner = call_user(f"constructing {target.name}({shown}, ...)", cls, **arrays, **kwargs)
    target.note(f"protocol: a layer built from its weight arrays: {target.name}({shown}) given torch's initial weights, {layout}")  # fmt: skip
    hidden = {k for k, v in vars(learner).items() if any(v is f for f in fillers)}
    return learner, hidden


def _forward_runs(cls, arrays: dict, kwargs: dict, n_in: int) -> bool:
    """Whether a throwaway layer with these arrays takes a batch of two rows."""
    try:
        layer = cls(**copy.deepcopy(arrays), **kwargs)
        layer.forward(np.zeros((2, n_in)))
        return True
    except Exception:  # noqa: BLE001 - the layout the learner's forward does not take
        return False
