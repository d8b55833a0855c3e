"""The one comparison helper of the suite, and the case runners built on it.

Every parity test ends in ``assert_close``: it wraps ``torch.testing.assert_close`` (dtype
checked, torch's own "greatest absolute/relative difference at index" message) and prefixes
the failure with *which component* and *which tensor* (output, input grad, a parameter's
grad, a trajectory step). Each comparison is also recorded (worst abs/rel error and headroom
``= max |a - e| / (atol + rtol |e|)``, which must stay ≤ 1) so the report can show how close the
twins really are, not just that they pass.

Two precision profiles:

- ``float64``: the twins compute the same math in double precision, so they must agree to
  ~1e-10 relative (``rtol=1e-10``, ``atol=1e-12``);
- ``float32``: torch's own float32 defaults (``rtol=1.3e-6``, ``atol=1e-5``).

A case that needs a wider tolerance says so, with the reason, at the call site.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Profile:
    np_dtype: type
    torch_dtype: torch.dtype
    rtol: float
    atol: float


PROFILES = {
    "float64": Profile(np.float64, torch.float64, rtol=1e-10, atol=1e-12),
    "float32": Profile(np.float32, torch.float32, rtol=1.3e-6, atol=1e-5),
}
DTYPES = tuple(PROFILES)  # for @pytest.mark.parametrize("dtype", DTYPES)

RECORDS: list[dict] = []  # one per comparison; dumped by conftest when PARITY_RECORD is set


def to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def current_test() -> str:
    """The running pytest node id ("parity_tests/test_x.py::test_y[case]"), or "" outside pytest.

    The report maps records to catalog entries by the test they came from: component names
    ("Linear(no bias)") are labels for people, not catalog names.
    """
    running = os.environ.get("PYTEST_CURRENT_TEST", "")  # "<node id> (setup|call|teardown)"
    return running.rsplit(" (", 1)[0] if running.endswith(")") else running


@dataclass(frozen=True)
class Comparison:
    """How far ``actual`` is from ``expected``: the figures every verdict reports.

    ``headroom`` = ``max |a - e| / (atol + rtol·|e|)``: at most 1 passes. ``index`` is where the
    headroom is greatest (the element a failure message points at). A NaN or inf where the
    other side is finite, or at another place, counts as headroom = inf.
    """

    max_abs: float
    max_rel: float
    headroom: float
    index: tuple[int, ...]

    @property
    def passed(self) -> bool:
        return self.headroom <= 1.0


def elementwise(a64: np.ndarray, e64: np.ndarray, rtol: float, atol: float):
    """(``|a - e|``, relative error, headroom) per element; NaN against a number counts as inf,
    equal infs and NaN against NaN as agreement."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        same = (a64 == e64) | (np.isnan(a64) & np.isnan(e64))
        diff = np.where(same, 0.0, np.abs(a64 - e64))
        diff = np.where(np.isnan(diff), np.inf, diff)
        rel = np.where((diff > 0) & (e64 != 0), diff / np.abs(e64), 0.0)  # e = 0: see max_abs
        rel = np.where(np.isnan(rel), np.inf, rel)  # a number where the other side is NaN
        ratio = np.where(same, 0.0, diff / (atol + rtol * np.abs(np.nan_to_num(e64))))
    return diff, rel, ratio


def measure(actual, expected, rtol: float, atol: float) -> Comparison:
    """Compare two arrays of one shape elementwise (in float64); see ``Comparison``."""
    a64, e64 = to_numpy(actual).astype(np.float64), to_numpy(expected).astype(np.float64)
    if a64.size == 0:
        return Comparison(0.0, 0.0, 0.0, ())
    diff, rel, ratio = elementwise(a64, e64, rtol, atol)
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    return Comparison(float(diff.max()), float(rel.max()), float(ratio.max()),
                      tuple(int(i) for i in worst))  # fmt: skip


def _record(component, tensor, dtype, a, e, rtol, atol) -> float:
    c = measure(a, e, rtol, atol)
    RECORDS.append(
        dict(component=component, tensor=tensor, dtype=dtype, max_abs=c.max_abs,
             max_rel=c.max_rel, rtol=rtol, atol=atol, headroom=c.headroom, test=current_test())
    )  # fmt: skip
    return c.headroom


def assert_close(actual, expected, *, component: str, tensor: str, dtype: str,
                 rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool = False) -> None:  # fmt: skip
    """Compare a scratch array with a torch tensor under ``dtype``'s profile (or overrides).
    ``equal_nan``: a NaN matches a NaN at the same place (for inputs that hold NaN on
    purpose, such as OpInfo's extremal values); elsewhere a NaN output is a failure."""
    profile = PROFILES[dtype]
    rtol = profile.rtol if rtol is None else rtol
    atol = profile.atol if atol is None else atol
    a, e = to_numpy(actual), to_numpy(expected)
    if a.shape == e.shape and a.dtype.kind == "f":
        _record(component, tensor, dtype, a, e, rtol, atol)
    torch.testing.assert_close(
        torch.from_numpy(np.ascontiguousarray(a)),
        torch.from_numpy(np.ascontiguousarray(e)),
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        msg=lambda generated: f"[{component}] {tensor} ({dtype}): scratch != torch\n{generated}",
    )


def assert_trajectory_close(actual: Sequence, expected: Sequence, *, component: str, tensor: str,
                            dtype: str, rtol: float | None = None,
                            atol: float | None = None) -> None:  # fmt: skip
    """Compare two trajectories step by step; a failure names the first step that diverged."""
    if len(actual) != len(expected):
        raise AssertionError(f"[{component}] {tensor}: {len(actual)} steps vs {len(expected)}")
    profile = PROFILES[dtype]
    rtol = profile.rtol if rtol is None else rtol
    atol = profile.atol if atol is None else atol
    a = np.stack([to_numpy(x).astype(np.float64) for x in actual])
    e = np.stack([to_numpy(x).astype(np.float64) for x in expected])
    _record(component, tensor, dtype, a, e, rtol, atol)
    # a NaN against a number is out of tolerance (a plain ratio would be NaN, and NaN > 1 is False)
    per_step = elementwise(a, e, rtol, atol)[2].reshape(len(a), -1).max(axis=1, initial=0.0)
    bad = np.flatnonzero(per_step > 1)
    if bad.size:
        step = int(bad[0])
        assert_close(actual[step], expected[step], component=component, dtype=dtype,
                     tensor=f"{tensor} at step {step} (first of {bad.size} steps out of tolerance)",
                     rtol=rtol, atol=atol)  # fmt: skip


# -- inputs ----------------------------------------------------------------------------------


def randn(shape, dtype: str, seed: int = 0, *, kinks: Iterable[float] = (0.0,),
          margin: float = 1e-3, scale: float = 1.0, at_kinks: int = 0) -> np.ndarray:  # fmt: skip
    """Standard normal values (× scale) kept at least ``margin`` away from each kink, then
    ``at_kinks`` of them (at random places) set exactly on the kinks, in turn.

    ReLU's derivative jumps at 0; a value within a rounding error of a kink may take
    different branches in the two twins, so the values near a kink are moved off it. A value
    exactly on it is another matter: there torch makes a choice (ReLU'(0) = 0, LeakyReLU'(0)
    = negative_slope) that a from-scratch derivative must make too, so the checker's cases
    put some there on purpose (``at_kinks``; 0 keeps every value off, as the parity tests do).
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * scale
    kinks = tuple(kinks)
    for kink in kinks:
        near = np.abs(x - kink) < margin
        x[near] = kink + np.where(x[near] >= kink, margin, -margin) * 2
    if at_kinks and kinks:
        flat = x.reshape(-1)  # a view: x's own memory
        places = rng.choice(flat.size, size=min(at_kinks, flat.size), replace=False)
        flat[places] = np.resize(np.array(kinks, dtype=float), places.size)
    return x.astype(PROFILES[dtype].np_dtype)


def upstream_like(out, seed: int = 1) -> np.ndarray:
    """A random upstream gradient: summing the output would hide transposed gradients."""
    out = to_numpy(out)
    rng = np.random.default_rng(seed)
    return rng.standard_normal(out.shape).astype(out.dtype)


# -- case runners ----------------------------------------------------------------------------


def sync_weights(scratch_module, torch_module) -> None:
    """Give the scratch twin torch's exact weights (same keys and shapes by contract)."""
    scratch_module.load_state_dict(
        {k: v.detach().cpu() for k, v in torch_module.state_dict().items()}
    )


def sum_atol(dtype: str, terms: int) -> float:
    """The absolute tolerance for a gradient that is a sum of ``terms`` numbers of order 1
    (a convolution's bias or weight gradient: a sum over the batch and output positions).

    Each twin rounds its running sum. Added one term after another, as a float32 kernel may
    do, the rounding error grows like ε·n (torch's ConvTranspose2d bias gradient over 646
    terms was off by 3.3e-5, NumPy's pairwise sum by 8e-7, against the float64 sum), so past
    about a hundred terms the float32 profile's atol of 1e-5 no longer covers it. 2·ε·n
    does, and stays far below the error of one missing or wrong term (order 1)."""
    profile = PROFILES[dtype]
    return max(profile.atol, 2 * float(np.finfo(profile.np_dtype).eps) * terms)


def check_module(component: str, scratch_module, torch_module, *inputs: np.ndarray, dtype: str,
                 rtol: float | None = None, atol: float | None = None, seed: int = 1,
                 sync: bool = True, params_sum_outputs: bool = False):  # fmt: skip
    """Run one module in both twins on the same inputs and weights; compare everything.

    Compares the output, the gradient of every input and of every parameter (by name),
    after backpropagating the same random upstream gradient. Returns the scratch output.
    ``params_sum_outputs``: each parameter's gradient sums over the batch and the output
    positions (a convolution's: N·OH·OW terms, the output's size over its channels), so it
    is compared to `sum_atol` for that many terms instead of ``atol``.
    """
    profile = PROFILES[dtype]
    torch_module = torch_module.to(profile.torch_dtype)
    scratch_module.to(profile.np_dtype)
    if sync:
        sync_weights(scratch_module, torch_module)
    t_inputs = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    out_t = torch_module(*t_inputs)
    out_s = scratch_module(*inputs)
    tol = dict(dtype=dtype, rtol=rtol, atol=atol)
    assert_close(out_s, out_t, component=component, tensor="output", **tol)
    g = upstream_like(out_s, seed)
    out_t.backward(torch.from_numpy(g))
    grads = scratch_module.backward(g)
    grads = grads if isinstance(grads, tuple) else (grads,)
    float_inputs = [t for t in t_inputs if t.requires_grad]
    for i, (g_s, t) in enumerate(zip(grads, float_inputs, strict=True)):
        assert_close(g_s, t.grad, component=component, tensor=f"grad of input {i}", **tol)
    torch_params = dict(torch_module.named_parameters())
    param_tol = tol
    if params_sum_outputs:  # N·OH·OW terms: the output's size over its channels
        param_tol = dict(tol, atol=sum_atol(dtype, out_s.size // out_s.shape[1]))
    for name, param in scratch_module.named_parameters():
        assert_close(param.grad, torch_params[name].grad, component=component,
                     tensor=f"grad of {name}", **param_tol)  # fmt: skip
    return out_s


def check_function(component: str, scratch_fn: Callable, torch_fn: Callable, x: np.ndarray, *,
                   dtype: str, derivative: Callable | None = None, rtol: float | None = None,
                   atol: float | None = None) -> None:  # fmt: skip
    """A stateless op: compare f(x), and (given ``derivative``) f'(x) against autograd."""
    tol = dict(dtype=dtype, rtol=rtol, atol=atol)
    t = torch.tensor(x, requires_grad=True)
    out_t = torch_fn(t)
    assert_close(scratch_fn(x), out_t, component=component, tensor="output", **tol)
    if derivative is not None:
        (d_t,) = torch.autograd.grad(out_t.sum(), t)  # elementwise: grad of the sum = f'(x)
        assert_close(derivative(x), d_t, component=component, tensor="derivative", **tol)


def check_loss(component: str, scratch_loss, torch_loss, input: np.ndarray, target: np.ndarray, *,
               dtype: str, rtol: float | None = None, atol: float | None = None,
               seed: int = 1):  # fmt: skip
    """A loss: compare the loss value and d(loss)/d(input) under a random upstream gradient."""
    tol = dict(dtype=dtype, rtol=rtol, atol=atol)
    t = torch.tensor(input, requires_grad=True)
    loss_t = torch_loss(t, torch.from_numpy(np.asarray(target)))
    loss_s = scratch_loss(input, target)
    assert_close(np.asarray(loss_s), loss_t, component=component,
                 tensor="loss", **tol)  # fmt: skip
    g = upstream_like(loss_t, seed)
    loss_t.backward(torch.from_numpy(g))
    grad_s = scratch_loss.backward(g if g.ndim else float(g))
    assert_close(grad_s, t.grad, component=component, tensor="grad of input", **tol)
    return loss_s


def dump_records(path: str) -> None:
    """Write this process's comparison records as JSON lines (used by conftest / the report)."""
    with open(path, "a", encoding="utf-8") as f:
        for record in RECORDS:
            f.write(json.dumps(record) + "\n")
    RECORDS.clear()


def record_path() -> str | None:
    base = os.environ.get("PARITY_RECORD")
    if not base:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{base}.{worker}.jsonl"
