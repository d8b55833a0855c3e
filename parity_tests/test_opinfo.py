"""PyTorch's own test inputs (OpInfo's ``op_db``) run through the scratch twins.

For each op of ``opinfo_table.OPS`` and each precision profile, every sample input and
reference input (a fixed seeded subset of ``MAX_SAMPLES`` where an op has more) runs in torch
and in scratch (``opinfo_adapters``): the outputs, the gradients of the input and the weights
under one random upstream gradient (where scratch has a backward), and BatchNorm's running
statistics are compared with ``harness.assert_close``. Dropout is compared by shape and by the
survivors' scale; SDPA with dropout by shape. Not compared: the gradient of a loss's target
and of SDPA's float mask (scratch differentiates the input only). Every error input must make
scratch raise ValueError or TypeError. Samples in ``opinfo_table.ALLOWED`` (the parity
contract's deliberate differences, docs/contract.md) must be refused by scratch, or run without the stripped keyword.

``op_db`` takes seconds to import: ``op_infos()`` imports it once per process, when the first
test needs it, not at collection.
"""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from parity_check.core import harness
from parity_check.core.catalog import CATALOG
from parity_tests.opinfo_adapters import ADAPTERS, SIGNATURES, NpSample, Run, bind
from parity_tests.opinfo_table import (
    ALLOWED,
    COVERED,
    NO_OPINFO,
    OPS,
    SKIPPED_VARIANTS,
    Op,
    allow_list_markdown,
    allowed_for,
)

MAX_SAMPLES = 200  # per op and dtype; only max_pool2d has more (1440)
# op_db's elementwise reference inputs include three large tensors per op ((1029, 917) twice
# and a strided (1024, 1024)): they exercise torch's vectorised kernels on large and strided
# memory, which NumPy's copy of the values does not have; their values are uniform draws
# over the same range as the smaller samples'. The twelve of them per dtype (relu, sigmoid,
# tanh, silu) took about 14 s of the file's 30 (2 cores under load), so they are left out;
# nothing else in these ops' samples is this large.
MAX_ELEMENTS = 1 << 16
REFUSALS = (ValueError, TypeError)
CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "contract.md"


@functools.cache
def op_infos() -> dict[str, object]:
    """op_db by ``Op.id``. Imported here, once per process (3.7 s on the idle 2-core machine)."""
    from torch.testing._internal.common_methods_invocations import op_db

    return {f"{o.name}.{o.variant_test_name}" if o.variant_test_name else o.name: o
            for o in op_db}  # fmt: skip


def samples(op: Op, dtype: str) -> list[tuple[int, object]]:
    """(index, SampleInput): the sample inputs, then the reference inputs where the op has
    its own, up to MAX_ELEMENTS each; a seeded subset of MAX_SAMPLES (indices kept in order)
    where there are more."""
    info = op_infos()[op.id]
    torch_dtype = harness.PROFILES[dtype].torch_dtype
    # One seed for the whole draw, in a forked generator (the suite's other tests keep
    # theirs). op_db's own per-sample reseeding (set_seed=True) costs 16x: 1.0 s for
    # max_pool2d's 1440 samples instead of 0.06 s.
    kwargs = dict(requires_grad=True, set_seed=False)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        found = list(info.sample_inputs("cpu", torch_dtype, **kwargs))
        if info.reference_inputs_func is not None:
            found += list(info.reference_inputs("cpu", torch_dtype, **kwargs))
    chosen = [i for i, sample in enumerate(found) if sample.input.numel() <= MAX_ELEMENTS]
    if len(chosen) > MAX_SAMPLES:
        chosen = sorted(random.Random(0).sample(chosen, MAX_SAMPLES))
    return [(i, found[i].transform(_fresh_leaf)) for i in chosen]


def _fresh_leaf(t: object) -> object:
    """A copy that autograd differentiates: op_db's arbitrarily strided samples are views
    marked as leaves, and torch.autograd.grad gives None for them (the values are kept)."""
    if not isinstance(t, torch.Tensor):  # transform also hands over dtypes (softmax's dtype=)
        return t
    return t.detach().clone().requires_grad_(t.requires_grad)


def describe(sample) -> str:
    def d(a):
        if isinstance(a, torch.Tensor):
            return f"{a.dtype}{tuple(a.shape)}".replace("torch.", "")
        if isinstance(a, (list, tuple)):
            return type(a)(d(x) for x in a)
        return a

    kw = ", ".join(f"{k}={d(v)!r}" for k, v in sample.kwargs.items())
    return f"input {d(sample.input)}, args {list(d(a) for a in sample.args)}, {{{kw}}}"


def _torch_tensors(name: str, sample) -> dict[str, torch.Tensor]:
    """The sample's tensors that require a gradient, by torch's argument names."""
    named = {
        "input": sample.input,
        **dict(zip(SIGNATURES[name], sample.args, strict=False)),
        **sample.kwargs,
    }
    return {k: v for k, v in named.items() if isinstance(v, torch.Tensor) and v.requires_grad}


def _survivors(run: Run, out_t: torch.Tensor, x: np.ndarray, g: np.ndarray, grads_s: dict,
               tag: str, dtype: str) -> None:  # fmt: skip
    """Dropout: equal shapes, and each survivor scaled as torch scales its own (1/(1-p));
    the input gradient scaled the same on the module's survivors, 0 on the dropped."""
    out_s, out_t = np.asarray(run.output), out_t.detach().numpy()
    if out_s.shape != out_t.shape:
        raise AssertionError(f"[{tag}] output shape {out_s.shape} != torch's {out_t.shape}")
    live = x != 0
    torch_kept = (out_t != 0) & live
    if not torch_kept.any():  # torch dropped all: its scale is not seen in this sample
        return
    scale = out_t[torch_kept] / x[torch_kept]
    kept = (out_s != 0) & live
    harness.assert_close(out_s[kept] / x[kept], np.full(kept.sum(), scale[0], x.dtype),
                         component=tag, tensor="survivors' scale", dtype=dtype)  # fmt: skip
    module_out = run.extra_outputs["module output"]
    module_kept = (module_out != 0) & live
    grad = grads_s["input"]
    harness.assert_close(grad[module_kept] / g[module_kept],
                         np.full(module_kept.sum(), scale[0], x.dtype),
                         component=tag, tensor="grad of input: survivors' scale", dtype=dtype)  # fmt: skip
    if np.any(grad[~module_kept & live] != 0):
        raise AssertionError(f"[{tag}] grad of input is not 0 where the module dropped")


# Ops whose outputs and gradients are sums of products: each twin rounds its own running
# sum, and the error of a float sum grows with the sum of its terms' magnitudes (Higham,
# "Accuracy and Stability of Numerical Algorithms", 4.2); op_db's values reach ±9, so a
# product reaches 81 where the suite's own inputs keep them of order 1 (harness.sum_atol).
SUMS_OF_PRODUCTS = {"nn.functional.conv2d", "nn.functional.conv_transpose2d",
                    "nn.functional.linear"}  # fmt: skip


def _sum_bounds(op: Op, sample, g: np.ndarray, dtype: str) -> dict[str, float]:
    """2ε·max Σ|terms| for the output and each gradient: the op run in float64 on the
    absolute values (and |g|) gives every element's Σ|terms| exactly. 2ε, not the
    worst case nε: both twins sum in blocks (BLAS, pairwise), not one term after another;
    a wrong or missing term would be off by a whole term, ~100x more."""
    eps = float(np.finfo(harness.PROFILES[dtype].np_dtype).eps)

    def absolute(t: object) -> object:
        if isinstance(t, torch.Tensor) and t.is_floating_point():
            return t.detach().abs().double().requires_grad_(t.requires_grad)
        return t

    a = sample.transform(absolute)
    out = op_infos()[op.id](a.input, *a.args, **a.kwargs)
    bounds = {"output": 2 * eps * float(out.detach().max())} if out.numel() else {}
    tensors = _torch_tensors(op.name, a)
    if tensors and out.requires_grad:
        g_abs = torch.from_numpy(np.abs(g).astype(np.float64))
        found = torch.autograd.grad(out, list(tensors.values()), g_abs, allow_unused=True)
        for name, d in zip(tensors, found, strict=True):
            if d is not None and d.numel():
                bounds[name] = 2 * eps * float(d.max())
    return bounds


def run_sample(op: Op, index: int, sample, dtype: str) -> None:
    """One sample in both twins; raises AssertionError saying what differs."""
    tag = f"{op.id}[{index}]"
    entry = allowed_for(op.name, sample)
    np_sample: NpSample = bind(op.name, sample)
    for name in entry.strip if entry else ():
        np_sample.kwargs.pop(name, None)
    out_t = op_infos()[op.id](sample.input, *sample.args, **sample.kwargs)
    if entry and entry.strip and isinstance(out_t, tuple):
        out_t = out_t[0]
    try:
        with np.errstate(all="ignore"):  # op_db's extremal values (±inf, NaN) on purpose
            run = ADAPTERS[op.name](np_sample)
    except REFUSALS as error:
        if entry and not entry.strip:
            return  # a deliberate refusal, with a message
        raise AssertionError(f"[{tag}] scratch refused a sample torch computes: "
                             f"{type(error).__name__}: {error}") from error  # fmt: skip
    except Exception as error:
        raise AssertionError(f"[{tag}] scratch raised {type(error).__name__} (neither "
                             f"ValueError nor TypeError): {error}") from error  # fmt: skip
    if entry and not entry.strip:
        raise AssertionError(f"[{tag}] allow-listed ({entry.what}) but scratch computes it: "
                             "compare it instead (remove the ALLOWED entry)")  # fmt: skip
    tensors = _torch_tensors(op.name, sample)
    g = harness.upstream_like(out_t, seed=1) if isinstance(out_t, torch.Tensor) else None
    grads_t = {}
    if tensors and out_t.requires_grad:
        found = torch.autograd.grad(out_t, list(tensors.values()), torch.from_numpy(g),
                                    allow_unused=True)  # fmt: skip
        grads_t = {k: torch.zeros_like(t) if d is None else d
                   for (k, t), d in zip(tensors.items(), found, strict=True)}  # fmt: skip
    if run.compare == "survivors":
        with np.errstate(all="ignore"):
            grads_s = run.backward(g)
        _survivors(run, out_t, np_sample.input, g, grads_s, tag, dtype)
        return
    if run.compare == "shape":
        shape = np.shape(run.output)
        if shape != tuple(out_t.shape):
            raise AssertionError(f"[{tag}] output shape {shape} != torch's {tuple(out_t.shape)}")
        return
    profile = harness.PROFILES[dtype]
    # rel_error: the op's own rounding (the adapter says why), where it exceeds the profile's;
    # it comes from the largest elements, so it bounds the absolute error of every element
    wide = run.rel_error > profile.rtol
    bounds = _sum_bounds(op, sample, g, dtype) if op.name in SUMS_OF_PRODUCTS else {}

    def close(actual, expected, tensor: str, key: str = "output") -> None:
        # NaN in torch's output (op_db's extremal inputs) must be NaN in scratch's, no more
        tol = {}
        if wide:
            top = float(np.nanmax(np.abs(harness.to_numpy(expected)), initial=0))
            tol = dict(rtol=run.rel_error, atol=max(profile.atol, run.rel_error * top))
        elif key in bounds:
            tol = dict(atol=max(profile.atol, bounds[key]))
        harness.assert_close(actual, expected, component=tag, tensor=tensor, dtype=dtype,
                             equal_nan=True, **tol)  # fmt: skip

    close(run.output, out_t, tensor="output")
    for name, value in run.extra_outputs.items():
        close(value, out_t, tensor=name)
    for name, value in run.state.items():
        buffer = name.removeprefix("module ")
        expected = sample.args[SIGNATURES[op.name].index(buffer)] if len(sample.args) > 1 \
            else sample.kwargs[buffer]  # fmt: skip
        close(value, expected, tensor=f"{name} after")
    if run.backward is None or not grads_t:
        return
    with np.errstate(all="ignore"):  # as above: ±inf and NaN on purpose
        grads_s = run.backward(g)
    for key, grad in grads_s.items():
        base = key.split("|")[0]
        if base in grads_t:
            close(grad, grads_t[base], tensor=f"grad of {key}", key=base)


# torch's own note that it copies the input for an even kernel with padding='same' (conv2d)
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", harness.DTYPES)
@pytest.mark.parametrize("op", OPS, ids=lambda op: op.id)
def test_samples(op: Op, dtype: str) -> None:
    """Every sample (or the seeded subset) agrees; a failure lists each failing sample."""
    failures = []
    chosen = samples(op, dtype)
    for index, sample in chosen:
        try:
            run_sample(op, index, sample, dtype)
        except AssertionError as error:
            failures.append(f"sample {index} ({describe(sample)}):\n  {error}")
    if failures:
        shown = "\n".join(failures[:12])
        pytest.fail(f"{len(failures)} of {len(chosen)} samples of {op.id} ({dtype}) differ:\n"
                    f"{shown}", pytrace=False)  # fmt: skip


ERROR_OPS = [op for op in OPS if op.name in {
    "nn.functional.conv2d", "nn.functional.max_pool2d", "nn.functional.avg_pool2d",
    "nn.functional.adaptive_avg_pool2d", "nn.functional.gelu"}]  # fmt: skip


@pytest.mark.parametrize("op", ERROR_OPS, ids=lambda op: op.id)
def test_error_inputs(op: Op) -> None:
    """Each input torch refuses (op.error_inputs), scratch refuses with ValueError/TypeError.
    A keyword the allow-list strips (return_indices) is dropped first, so the refusal must
    come from the argument torch objects to."""
    wrong = []
    for error_input in op_infos()[op.id].error_inputs("cpu"):
        sample = error_input.sample_input
        np_sample = bind(op.name, sample)
        entry = allowed_for(op.name, sample)
        for name in entry.strip if entry else ():
            np_sample.kwargs.pop(name, None)
        try:
            ADAPTERS[op.name](np_sample)
        except REFUSALS:
            continue
        except Exception as error:
            wrong.append(f"{describe(sample)}: {type(error).__name__}: {error}")
            continue
        wrong.append(f"{describe(sample)}: accepted (torch: {error_input.error_regex!r})")
    assert not wrong, "scratch does not refuse, as torch does:\n" + "\n".join(wrong)


def test_error_ops_are_the_ones_with_error_inputs() -> None:
    with_errors = {op.id for op in OPS if op_infos()[op.id].error_inputs_func is not None}
    assert with_errors == {op.id for op in ERROR_OPS}


def test_table_covers_the_catalog() -> None:
    """Each catalog component gets OpInfo inputs or says why not; each op exists in op_db."""
    names = {entry.scratch for entry in CATALOG}
    both = set(COVERED) & set(NO_OPINFO)
    assert not both, f"in COVERED and in NO_OPINFO: {sorted(both)}"
    missing = names - set(COVERED) - set(NO_OPINFO)
    assert not missing, f"catalog components in neither table of opinfo_table.py: {sorted(missing)}"
    stale = (set(COVERED) | set(NO_OPINFO)) - names
    assert not stale, f"not in the catalog: {sorted(stale)}"
    infos = op_infos()
    assert {op.id for op in OPS} <= set(infos)
    assert set(SKIPPED_VARIANTS) <= set(infos)
    for op in OPS:  # every variant of a mapped op is run or skipped with its reason
        variants = {k for k, o in infos.items() if o.name == op.name}
        assert variants <= {o.id for o in OPS} | set(SKIPPED_VARIANTS), variants
    assert set(SIGNATURES) == set(ADAPTERS) == {op.name for op in OPS}


def test_every_allow_list_entry_matches_a_sample() -> None:
    """An entry (or one of its ops) that matches no sample is stale: torch dropped the
    samples, or scratch gained the feature and the entry was forgotten."""
    used = set()
    for op in (op for op in OPS if any(op.name in e.ops for e in ALLOWED)):
        for _, sample in samples(op, "float64"):
            entry = allowed_for(op.name, sample)
            if entry is not None:
                used.add((entry.what, op.name))
    unused = [(e.what, op) for e in ALLOWED for op in e.ops if (e.what, op) not in used]
    assert not unused, f"allow-list entries that match no sample: {unused}"


def test_the_contract_shows_the_allow_list() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    table = allow_list_markdown()
    assert table in text, f"docs/contract.md must show opinfo_table.ALLOWED as:\n{table}"
    assert re.search(r"test_opinfo\.py", text)
