"""The spec of a loss: its value and d(loss)/d(input) under a random upstream gradient, as
``harness.check_loss`` compares the suite's twins.

Protocols, told apart automatically (the verdict notes which was used):

- a class built with torch's constructor arguments (``reduction``, ``weight``, ``ignore_index``,
  ``label_smoothing``, ``alpha``, ``gamma``, ... or a course alias), whose ``forward(input,
  target)`` returns the loss and whose ``backward`` returns d(loss)/d(input): ``backward(
  grad_output)`` gets the upstream gradient; ``backward()`` gets none, and its result is
  multiplied by it here; ``backward(input, target)`` (a stateless class) likewise;
- a plain function ``loss(input, target, **settings)``, with an optional gradient function
  (``Target.derivative``, the command line's ``--derivative``/``--grad``) called the same
  way; a function returning ``(loss, grad)`` (CS231n's style) gives its gradient that way;
- either argument order: the course writes ``mse(y_true, y_pred)``. The order is read from
  the parameter names (``y_true``/``target``/``labels``/``y`` first: target first;
  ``input``/``pred``/``y_pred``/``logits``/``output`` first: input first);
  ``Target.target_first`` (``--target-first``) overrides.

A focal loss whose input is named like probabilities (``y_pred``, ``p``, ``probs``: the
course's ``focal_loss(y_true, y_pred)`` clips and logs probabilities) is given σ(logits), and
its gradient is taken back to the logits by the chain rule, times σ'(logits).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import torch

from parity_check import adapters
from parity_check.core.harness import PROFILES, upstream_like
from parity_check.errors import ShapeMismatch, UsageError, call_user
from parity_check.specs.base import Case, Result, Spec, Target
from parity_check.specs.function_spec import (
    as_scalar,
    callable_or_error,
    settings_for,
)
from parity_check.specs.module_spec import torch_defaults

TARGET_NAMES = {"y_true", "target", "targets", "labels", "label", "y", "t", "truth", "gt",
                "ground_truth", "y_target", "true", "actual"}  # fmt: skip
INPUT_NAMES = {"input", "inputs", "x", "pred", "preds", "prediction", "predictions", "y_pred",
               "y_hat", "yhat", "logits", "output", "outputs", "scores", "p", "probs", "prob",
               "probabilities", "z", "a", "y_prob", "proba"}  # fmt: skip
PROBABILITY_NAMES = {"y_pred", "p", "probs", "prob", "probabilities", "y_prob", "proba", "y_hat"}


def positional_names(fn) -> list[str]:
    sig = adapters._signature(fn)
    if sig is None:
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [n for n, p in sig.parameters.items() if p.kind in kinds]


def required_positional(fn) -> int:
    sig = adapters._signature(fn)
    if sig is None:
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in kinds and p.default is p.empty for p in sig.parameters.values())


def target_first(target: Target, fn, what: str) -> bool:
    """Whether ``fn`` is called ``(target, input)``: ``target.target_first``, else its names."""
    names = positional_names(fn)[:2]
    shown = ", ".join(names) if names else "?"
    if target.target_first is not None:
        order = "(target, input)" if target.target_first else "(input, target)"
        target.note(f"{what} called as {order}, as you said (its parameters: {shown})")
        return target.target_first
    first, second = (names + ["", ""])[:2]
    if first in TARGET_NAMES or (first not in INPUT_NAMES and second in INPUT_NAMES):
        target.note(f"{what} called as (target, input): read from its parameter names ({shown})")
        return True
    if first in INPUT_NAMES or second in TARGET_NAMES:
        target.note(f"{what} called as (input, target): read from its parameter names ({shown})")
        return False
    target.note(f"{what} called as (input, target), torch's order (its parameters {shown} do not"
                " say; --target-first if yours is (target, input))")  # fmt: skip
    return False


def _is_gradient(value, x: np.ndarray) -> bool:
    """A second value a loss returns is its gradient when it is an array of the input's shape
    (CS231n's ``(loss, dx)``; a ``(loss, cache)`` tuple of mixed shapes is not)."""
    return isinstance(value, np.ndarray) and value.shape == x.shape


class LossSpec(Spec):
    """A loss of ``(input, target)``; ``setup["input"](dtype)``/``setup["target"](dtype)`` make
    the arrays. ``config``: the torch constructor's arguments (arrays as float64 ndarrays).
    ``logits``: the input is logits fed through a sigmoid (the focal loss)."""

    kind = "loss"

    def __init__(self, name: str, factory: Callable, reference: str, cases: list[Case], *,
                 thorough: list[Case] = (), twin: str | None = None,
                 logits: bool = False) -> None:  # fmt: skip
        self.name, self.factory, self.reference = name, factory, reference
        self.twin = twin or f"torch.nn.{name}"
        self._cases, self._thorough, self.logits = list(cases), list(thorough), logits
        self.defaults = torch_defaults(factory)

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def describe(self, case: Case) -> dict:
        return {k: np.round(v, 4).tolist() if isinstance(v, np.ndarray) else v for k, v in case.config.items()}  # fmt: skip

    def _arrays(self, case: Case, dtype: str):
        setup = case.setup
        return setup["input"](dtype), setup["target"](dtype)

    def _torch_loss(self, config: dict, dtype: str):
        tdtype = PROFILES[dtype].torch_dtype
        kwargs = {k: torch.tensor(v, dtype=tdtype) if isinstance(v, np.ndarray) else v for k, v in config.items()}  # fmt: skip
        return self.factory(**kwargs)

    def expected(self, case: Case, dtype: str) -> Result:
        x, t = self._arrays(case, dtype)
        xt = torch.tensor(x, requires_grad=True)
        loss = self._torch_loss(case.config, dtype)(xt, torch.from_numpy(t))
        loss.backward(torch.from_numpy(upstream_like(loss, seed=1)))
        result = Result()
        result.add("loss", loss.detach())
        result.add("grad of input", xt.grad)
        return result

    # -- the target --------------------------------------------------------------------------
    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        np_dtype = PROFILES[dtype].np_dtype
        x, t = self._arrays(case, dtype)
        config = {k: v.astype(np_dtype) if isinstance(v, np.ndarray) else v for k, v in case.config.items()}  # fmt: skip
        obj = None
        if inspect.isclass(target.obj):
            obj, used = adapters.build(target, (), config, self.defaults, f"{self.name}'s settings")  # fmt: skip
            target.used = adapters.changed(used, config)
        with torch.no_grad():  # the loss's shape, under the settings your object holds
            torch_loss = self._torch_loss({**case.config, **target.used}, dtype)
            probe = torch_loss(torch.tensor(x), torch.from_numpy(t))
        g = upstream_like(probe, seed=1)
        if obj is not None:
            loss, grad = self._run_class(target, obj, x, t, g)
        else:
            loss, grad = self._run_function(target, config, x, t, g)
        result = Result()
        if probe.ndim == 0:
            result.add("loss", as_scalar(loss, "your loss", np_dtype))
        else:
            result.add(
                "loss", adapters.check_array(loss, "your loss", tuple(probe.shape), np_dtype)
            )
        if grad is not None:
            grad = adapters.check_array(grad, "your gradient of the loss w.r.t. its input", x.shape, np_dtype)  # fmt: skip
            result.add("grad of input", grad)
        return result

    def _feed(self, target: Target, fn, x: np.ndarray, t: np.ndarray, what: str):
        """The arguments of ``fn`` in its order, and how its gradient maps back to ``x``."""
        names = positional_names(fn)
        first_two = names[:2]
        swap = target_first(target, fn, what)
        inp = x.copy()
        to_logits = None
        input_name = first_two[1 if swap else 0] if len(first_two) == 2 else ""
        if self.logits and input_name in PROBABILITY_NAMES:
            p = torch.sigmoid(torch.from_numpy(x)).numpy()
            inp, to_logits = p, (p * (1 - p)).astype(x.dtype)
            target.note(f"{what} given probabilities σ(logits) (its input is named {input_name!r});"
                        " its gradient times σ'(logits)")  # fmt: skip
        args = (t.copy(), inp) if swap else (inp, t.copy())
        return args, to_logits

    def _run_function(self, target: Target, config: dict, x, t, g):
        fn = callable_or_error(target.obj, "your loss")
        target.note("protocol: a loss function" + (" and its gradient function" if target.derivative is not None else ""))  # fmt: skip
        kwargs = settings_for(target, fn, config, self.defaults, "your loss")
        args, to_logits = self._feed(target, fn, x, t, "your loss")
        out = call_user("calling your loss", fn, *args, **kwargs)
        loss, grad = out, None
        if isinstance(out, tuple):
            loss = out[0]
            if len(out) >= 2 and _is_gradient(out[1], x) and target.derivative is None:
                grad = out[1]
                target.note("gradient: the second value your loss returns")
        if target.derivative is not None:
            dfn = callable_or_error(target.derivative, "your gradient")
            dkw = settings_for(target, dfn, config, self.defaults, "your gradient")
            dargs, to_logits = self._feed(target, dfn, x, t, "your gradient")
            grad = call_user("calling your gradient", dfn, *dargs, **dkw)
            grad = grad[0] if isinstance(grad, tuple) else grad
            if grad is None:  # an unfinished gradient must not leave only the loss compared
                raise UsageError("your gradient function returned None: return d(loss)/d(input)")  # fmt: skip
        if grad is not None:
            grad = self._chain(grad, g, x, to_logits)
        return loss, grad

    def _run_class(self, target: Target, obj, x, t, g):
        forward = getattr(obj, "forward", None) or obj
        args, to_logits = self._feed(target, forward, x, t, "your forward")
        out = call_user("calling forward", forward, *args)
        loss = out[0] if isinstance(out, tuple) else out
        backward = getattr(obj, "backward", None)
        if not callable(backward):
            if isinstance(out, tuple) and len(out) >= 2 and _is_gradient(out[1], x):
                target.note("protocol: a class whose forward returns (loss, gradient)")
                return loss, self._chain(out[1], g, x, to_logits)
            target.note("protocol: a class with forward() and no backward(): only the loss compared")  # fmt: skip
            return loss, None
        needed = required_positional(backward)
        if needed < 2 and positional_names(backward):
            needed = 1  # backward(grad_output=1.0) takes the upstream gradient too
        if needed == 0:
            target.note("protocol: a class with forward(...) and backward() (no argument; its result times the upstream gradient)")  # fmt: skip
            return loss, self._chain(call_user("calling backward", backward), g, x, to_logits)
        if needed == 1:
            target.note("protocol: a class with forward(...) and backward(grad_output)")
            d = call_user("calling backward", backward, g if g.ndim else float(g))
            d = d[0] if isinstance(d, tuple) else d
            return loss, self._chain(d, None, x, to_logits)
        target.note("protocol: a class with forward(...) and backward(...) taking the same arguments")  # fmt: skip
        d = call_user("calling backward", backward, *args)
        return loss, self._chain(d[0] if isinstance(d, tuple) else d, g, x, to_logits)

    def _chain(self, d, g, x: np.ndarray, to_logits) -> np.ndarray:
        """d(loss)/d(input) times the upstream gradient ``g`` (None: already applied), taken
        back to the logits when the function was given probabilities."""
        if hasattr(d, "detach"):
            d = d.detach().cpu().numpy()
        d = np.asarray(d)
        if d.shape != x.shape:
            raise ShapeMismatch("your gradient of the loss w.r.t. its input", d.shape, x.shape)
        if g is not None:
            g = np.asarray(g)
            if 0 < g.ndim < d.ndim:  # per-sample losses of a class axis summed out (dim 1, or 0)
                g = np.expand_dims(g, 1 if x.ndim > 1 else 0)
            d = (d * g).astype(d.dtype, copy=False)
        if to_logits is not None:
            d = (d * to_logits).astype(d.dtype, copy=False)
        return d
