"""Layers whose ``backward(grad, learning_rate)`` applies its own SGD step (the tutorials'
``Dense`` with ``weights -= learning_rate * weights_gradient``).

There is no gradient to read, so the checker calls the backward with a fixed lr and recovers
each parameter's gradient from its change, (before − after)/lr, then puts the parameter back,
so the next step starts from torch's weights again. The lr is 2⁻¹⁰ in float64 (a power of two:
the division is exact, and the update stays a small step) and 1 in float32, where 2⁻¹⁰ would
lose the gradient's last ten bits to the rounding of ``W − lr·dW``: an error of
ulp(W)/(2·lr) ≈ 1.5e-5 at W = 0.5, above float32's atol.

The learner's layout is found by trying it: a batch as rows (torch's), the batch as columns
(the (features, batch) layout: W (out, in), x (in, N)), or one sample at a time as a column
(x (in, 1), b (out, 1)), whose gradients are summed over the batch as torch's are.
"""

from __future__ import annotations

import copy

import numpy as np

from parity_check import adapters
from parity_check.errors import UnsupportedSetting, UsageError
from parity_check.specs.base import Target

LR_NAMES = ("learning_rate", "lr", "alpha", "eta", "learningRate", "step_size")
LR = {np.dtype(np.float64): 2.0**-10, np.dtype(np.float32): 1.0}
LAYOUTS = ("rows", "columns", "one column each")
TOLD = {
    "columns": "your layer takes the batch as columns, (features, batch): x given transposed",
    "one column each": "your layer takes one sample at a time as a column (x of shape (n, 1)):"
    " run sample by sample, its parameter gradients summed over the batch as torch's are",
}


def lr_name(cls) -> str | None:
    """The name of backward's learning rate (its second argument), or None."""
    sig = adapters._signature(getattr(cls, "backward", None))
    if sig is None:
        return None
    params = [p for p in sig.parameters.values() if p.name != "self"]
    if len(params) >= 2 and params[1].name in LR_NAMES:
        return params[1].name
    return None


def recognises(spec, obj) -> dict | None:
    """The style's settings for ``adapted_class`` when ``obj``'s backward takes an lr."""
    name = lr_name(obj) if isinstance(obj, type) else None
    return None if name is None else {"lr_name": name}


def note(target: Target, name: str) -> None:
    target.note(
        f"protocol: backward(grad, {name}) applies its own SGD step: called with {name}=2⁻¹⁰"
        " (1 in float32, where 2⁻¹⁰ would lose the gradient's last bits to W's rounding);"
        " each gradient read as (before − after)/lr, then the parameter put back"
    )


def _as(layout: str, x: np.ndarray) -> list[np.ndarray]:
    """The learner's inputs for torch's batch ``x`` in ``layout``."""
    if layout == "rows":
        return [x]
    if layout == "columns":
        return [x.T]
    return [row.reshape(-1, 1) for row in x]


def _back(layout: str, parts: list[np.ndarray], n: int) -> np.ndarray:
    """The learner's results in ``layout`` as torch's batch (rows)."""
    if layout == "rows":
        return parts[0]
    if layout == "columns":
        return np.asarray(parts[0]).T
    return np.stack([np.asarray(p).reshape(-1) for p in parts]).reshape(n, -1)


def _layout(wrapper, x: np.ndarray) -> str:
    """The first layout whose forward and backward run on a copy of the learner with shapes
    that fit; rows when none does (the real call then shows the learner's error)."""
    if x.ndim != 2:
        return "rows"
    for layout in LAYOUTS:
        probe = copy.deepcopy(wrapper.learner)
        try:
            outs, dxs = [], []
            for part in _as(layout, x):
                out = np.asarray(_first(probe.forward(part)))
                grad = np.ones_like(out)
                dxs.append(np.asarray(_first(_call(wrapper, probe, grad, LR[np.dtype(x.dtype)]))))
                outs.append(out)
            if _back(layout, dxs, len(x)).shape == x.shape and _back(layout, outs, len(x)).shape[0] == len(x):  # fmt: skip
                return layout
        except Exception:  # noqa: BLE001 - a layout the learner's code does not take
            continue
    return "rows"


def _first(value):
    return value[0] if isinstance(value, tuple) else value


def _call(wrapper, learner, grad, lr):
    return learner.backward(grad, **{wrapper.lr_name: lr})


def forward(wrapper, x: np.ndarray):
    state, cls = wrapper._p, type(wrapper)
    if state["layout"] is None:
        found = cls.__dict__.get("layout_found")  # the first case's (the basic, 2-D one)
        if found not in (None, "rows") and x.ndim != 2:
            raise UnsupportedSetting(f"your layer takes 2-D input {TOLD[found].split(':')[0][len('your layer takes '):]}: not torch's {x.ndim}-D input")  # fmt: skip
        state["layout"] = found if found is not None and x.ndim == 2 else _layout(wrapper, x)
        if found is None and x.ndim == 2:
            cls.layout_found = state["layout"]
            if state["layout"] != "rows":
                wrapper.target.note(TOLD[state["layout"]])
    layout = state["layout"]
    outs = [wrapper.call_forward(part) for part in _as(layout, x)]
    return _back(layout, [np.asarray(o) for o in outs], len(x))


def backward(wrapper, grad_output: np.ndarray):
    """The input gradient, and each parameter's gradient recovered from its change."""
    state = wrapper._p
    layout, x = state["layout"], state["x"]
    lr = LR.get(np.dtype(grad_output.dtype), 2.0**-10)
    params = wrapper.named_parameters()
    totals = {name: np.zeros(p.data.shape, np.float64) for name, p in params}
    parts = _as(layout, grad_output)
    inputs = _as(layout, x)
    dxs = []
    for i, g in enumerate(parts):
        if len(parts) > 1:  # one sample at a time: its own forward before its backward
            wrapper.call_forward(inputs[i])
        before = {name: np.array(p.data, copy=True) for name, p in params}
        dxs.append(np.asarray(wrapper.call_backward(g, lr)))
        for name, p in params:
            after = np.asarray(p.data)
            if after.shape != before[name].shape:
                raise UsageError(f"your backward changed the shape of {name} from {before[name].shape} to {after.shape}")  # fmt: skip
            totals[name] += (before[name].astype(np.float64) - after.astype(np.float64)) / lr
            p.data = before[name]  # torch's weights again for the next step
    for name, p in params:
        p.grad = totals[name].astype(p.data.dtype)
    return _back(layout, dxs, len(x))
