"""Specs of ``Dropout`` and ``dropout``: a random mask, checked through the user's own mask.

torch's dropout in training is ``x · mask / (1 - p)`` (inverted dropout: the survivors are
scaled, so eval mode is the identity), with a mask drawn by torch's generator, which no other
implementation can reproduce. So the check reads the user's mask from the user's output (the
inputs have no zeros: kept ⇔ output ≠ 0) and compares what torch's formula says *for that
mask*; the compared tensors are the same for every mask, which is also what lets a failure be
diagnosed against catalogued mistakes that draw masks of their own:

- ``output ÷ input where kept (min, max)``: torch's formula gives 1/(1 - p) at every kept
  element, so both numbers are 1/(1 - p) (the output is x/(1 - p) where kept, 0 elsewhere);
- ``keep rate``: the fraction kept must be plausible for 1 - p: within
  Z·sqrt(n·p·(1 - p)) + 1 elements of n·(1 - p), Z = 6 (a correct sampler falls outside
  about twice in a billion draws). A plausible rate is shown as 1 - p itself, so two correct
  draws compare equal; one plausible for keeping with probability p instead (p taken as the
  keep probability) is shown as p; any other as it is;
- ``grad of input ÷ grad_output where kept (min, max)``: torch's g · mask / (1 - p), so
  1/(1 - p) at every kept element, and ``grad of input where dropped (max |·|)``: 0 (the
  backward must reuse the forward's mask);
- in eval mode, ``output ÷ input (min, max)`` and ``grad of input ÷ grad_output (min, max)``
  are (1, 1): the identity, exactly.

The functional form is compared on its output rows only. Protocol: the module follows torch's
(``train()``/``eval()``, a ``training`` attribute, or a mode argument of forward:
``adapters.set_mode``); the function is called ``dropout(x, p, training=...)``, the mode under
any name ``set_mode`` knows.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from parity_check import adapters
from parity_check.core.harness import PROFILES, randn, upstream_like
from parity_check.errors import UnsupportedSetting, UsageError, call_user
from parity_check.specs.base import Case, Result, Spec, Target, basic_first

Z = 6.0  # the keep-rate interval's half-width in binomial standard deviations
SHAPE = (40, 50)  # 2,000 elements: p = 0.5 is held to a keep rate of 0.5 ± 0.07


def summaries(x, out, g, dx, p: float, training: bool) -> dict[str, np.ndarray]:
    """The compared tensors (see the module's doc) from one forward (and backward)."""
    x, out = np.asarray(x, np.float64), np.asarray(out, np.float64)
    kept = out != 0 if training else np.ones(x.shape, bool)
    where = " where kept" if training else ""

    def span(values: np.ndarray) -> np.ndarray:  # (min, max); (0, 0) when nothing is kept
        return np.array([values.min(), values.max()]) if values.size else np.zeros(2)

    rows = {f"output ÷ input{where} (min, max)": span(out[kept] / x[kept])}
    if training:
        n, k = x.size, int(kept.sum())
        rows["keep rate"] = np.array(_shown_rate(k, n, p))
    if dx is not None:
        g, dx = np.asarray(g, np.float64), np.asarray(dx, np.float64)
        rows[f"grad of input ÷ grad_output{where} (min, max)"] = span(dx[kept] / g[kept])
        if training:
            dropped = np.abs(dx[~kept])
            rows["grad of input where dropped (max |·|)"] = np.array(dropped.max() if dropped.size else 0.0)  # fmt: skip
    return rows


def _plausible(k: int, n: int, q: float) -> bool:
    """Whether ``k`` kept of ``n`` is a plausible draw for keep probability ``q``."""
    return abs(k - n * q) <= Z * math.sqrt(n * q * (1 - q)) + 1


def _shown_rate(k: int, n: int, p: float) -> float:
    """1 - p for a plausible keep rate; p where the draw is plausible for keeping with
    probability p instead (CS231n's convention: its p is the keep probability), so that two
    such draws compare equal too and the diagnosis can name that mistake; else k / n."""
    if _plausible(k, n, 1 - p):
        return 1 - p
    return p if _plausible(k, n, p) else k / n


def _result(rows: dict) -> Result:
    result = Result()
    for name, value in rows.items():
        result.add(name, value)
    return result


class DropoutSpec(Spec):
    """``Dropout`` (``kind="module"``: forward and backward) or ``dropout`` (the function)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.name = "Dropout" if kind == "module" else "dropout"
        self.reference = "scratch.nn.Dropout" if kind == "module" else "scratch.functional.dropout"
        self.twin = "torch.nn.Dropout" if kind == "module" else "torch.nn.functional.dropout"

    def cases(self, thorough: bool) -> list[Case]:
        ci = [(0.5, "train"), (0.2, "train"), (0.5, "eval")]
        more = [(0.9, "train"), (0.1, "train"), (0.2, "eval")]
        return basic_first([Case(f"p={p}, {mode}", {"p": p}, {"mode": mode}) for p, mode in ci + more * thorough])  # fmt: skip

    def diagnosis_tolerance(self, tensor: str, case: Case) -> tuple[float, float]:
        """A keep rate is a draw: two masks of the same rate agree within the binomial
        interval of ``summaries`` (a rate shown as it is, against one shown as 1 - p)."""
        if tensor != "keep rate":
            return super().diagnosis_tolerance(tensor, case)
        n, p = math.prod(SHAPE), case.config["p"]
        return 0.0, (Z * math.sqrt(n * p * (1 - p)) + 1) / n

    @staticmethod
    def training(case: Case) -> bool:
        return case.setup["mode"] == "train"

    def expected(self, case: Case, dtype: str) -> Result:
        p, training = case.config["p"], self.training(case)
        torch.manual_seed(0)
        x = torch.tensor(self.input(dtype), requires_grad=True)
        out = torch.nn.functional.dropout(x, p, training=training)
        g = upstream_like(out, seed=100)
        out.backward(torch.from_numpy(g))
        dx = x.grad.numpy() if self.kind == "module" else None
        return _result(summaries(x.detach().numpy(), out.detach().numpy(), g, dx, p, training))

    @staticmethod
    def input(dtype: str) -> np.ndarray:
        return randn(SHAPE, dtype, seed=3, margin=1e-2)  # no zeros: kept ⇔ output ≠ 0

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        p, training = case.config["p"], self.training(case)
        np_dtype = PROFILES[dtype].np_dtype
        x = self.input(dtype)
        if self.kind == "function":
            out = self._call_function(target, x, p, training)
            out = adapters.check_array(out, "your function's output", x.shape, np_dtype)
            return _result(summaries(x, out, None, None, p, training))
        obj, used = adapters.build(target, (), {"p": p}, {"p": 0.5}, "Dropout's settings")
        adapters.require_module_protocol(target, obj)
        target.used = {k: v for k, v in used.items() if not adapters._same(v, p)}
        p = used["p"]
        extra = adapters.set_mode(target, obj, training)
        out = adapters.forward(target, obj, x.copy(), **extra)
        out = adapters.check_array(out, "your forward's output", x.shape, np_dtype).copy()
        g = upstream_like(out, seed=100)
        dx = adapters.backward(target, obj, g.copy())
        dx = adapters.check_array(dx, "your backward's return (the input gradient)", x.shape, np_dtype)  # fmt: skip
        return _result(summaries(x, out, g, dx, p, training))

    def _call_function(self, target: Target, x: np.ndarray, p: float, training: bool):
        fn = target.obj
        if not callable(fn):
            raise UsageError(f"{target.name} is a {type(fn).__name__}, not a function")
        mode = adapters.set_mode(target, fn, training)
        if not mode and not training:
            raise UnsupportedSetting("your function takes no training argument (torch's dropout(x, p, training))")  # fmt: skip
        out = call_user(f"calling {target.name}", fn, x.copy(), p, **mode)
        return out[0] if isinstance(out, tuple) else out


SPECS = [DropoutSpec("module"), DropoutSpec("function")]
