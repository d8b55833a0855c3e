"""The other settings torch is re-run with when a target's numbers match no catalogued mistake.

A FIXED list per component (``SETTINGS``), of two kinds:

- the usual other constants, which from-scratch code hard-codes (an eps of 1e-7 where torch's
  Adam has 1e-8, a BatchNorm eps of 1e-6, a LeakyReLU slope of 0.2, GELU's tanh form);
- torch names that learners use with another meaning: a BatchNorm momentum of 0.9 meaning
  torch's 0.1 (it weighs the old running value), CS231n's ``dropout_param['p']`` (the keep
  probability), SGD's momentum as an exponential moving average (torch's dampening equal to
  the momentum), and a softmax along another ``dim``.

``relations.find`` says which of them reproduces the target's numbers; the verdict stays a
FAIL, since torch's value is never assumed in silence. ``default`` is torch's own default,
checked against torch's signatures by ``test_check_diagnosis.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from parity_check.core.harness import upstream_like
from parity_check.specs.base import Case, Result, Spec

EPS = (1e-7, 1e-5, 1e-6, 1e-3, 1e-8, 0.0)  # the eps values from-scratch code hard-codes
HARD_CODED = "your code hard-codes another constant, or uses the name with another meaning"


@dataclass(frozen=True)
class Setting:
    """One torch setting to re-run with, and how its other values are found.

    ``kind``: "constant" (each of ``values``), "complement" (1 − the case's value), "negated"
    (minus the case's value),
    "dim" (each of ``values``, else each axis of the case's output) or "same-as" (the value
    of the setting ``source``, e.g. SGD's dampening = momentum). ``twin``: for a ``dim`` that
    is not an argument of torch's (CrossEntropyLoss's classes, attention's keys), torch's
    computation along another axis, ``twin(spec, case, dim) -> Result``."""

    name: str  # torch's name
    default: Any  # torch's default
    kind: str = "constant"
    values: tuple = ()
    source: str = ""
    why: str = HARD_CODED
    twin: Callable[[Spec, Case, int], Result] | None = None

    @property
    def relation(self) -> str:
        return "other-axis" if self.kind == "dim" else "setting"

    def current(self, case: Case) -> Any:
        """The value torch runs the case with."""
        return case.config.get(self.name, self.default)

    def alternatives(self, case: Case, theirs: Result) -> list:
        """The rules to try, each turned into a value per case by ``value_for``."""
        if self.kind == "constant":
            return list(self.values)
        if self.kind == "dim":
            return list(self.values) or [-1, *range(_rank(theirs))]
        return [self.kind]

    def value_for(self, alt: Any, case: Case, theirs: Result) -> Any:
        """The value ``alt`` gives in ``case``; None where it is torch's own value there."""
        now = self.current(case)
        if self.kind == "complement":
            value = None if now is None else round(1 - now, 12)
        elif self.kind == "negated":
            value = None if now is None else -now
        elif self.kind == "same-as":
            value = case.config.get(self.source) or None
        elif self.kind == "dim":
            rank = _rank(theirs)
            same = rank and now is not None and -rank <= alt < rank and alt % rank == now % rank
            value = None if not rank or alt >= rank or same else alt
        else:
            value = alt
        return None if value is None or _same(value, now) else value

    def run(self, checker, case: Case, value: Any) -> Result:
        """torch's float64 result for ``case`` with this setting at ``value``."""
        if self.twin is not None:
            return self.twin(checker.spec, case, value)
        return checker.expected(Case(case.label, {**case.config, self.name: value}, case.setup), "float64")  # fmt: skip

    def sentence(self, case: Case, value: Any) -> str:
        """What the user is told when ``value`` reproduces their numbers."""
        shown = f"{self.name}={value!r}"
        if self.kind == "constant":
            now = self.current(case)
            this = "" if _same(now, self.default) else f"; this case's is {now!r}"
            return f"yours equals torch with {shown} (torch's default is {self.default!r}{this}): {self.why}"  # fmt: skip
        return (f"yours equals torch with {shown} in case {case.label!r}, where torch runs "
                f"{self.name}={self.current(case)!r}: {self.why}")  # fmt: skip


def _rank(theirs: Result) -> int:
    """The rank of the case's input: its output's, or its input gradient's (a loss)."""
    out = theirs.get("output", theirs.get("grad of input"))
    return 0 if out is None else out.ndim


def _same(a, b) -> bool:
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except (TypeError, ValueError):
        return a == b


BN = (
    Setting("momentum", 0.1, "complement",
            why="your momentum weighs the old running value (torch's weighs the new batch: "
            "running = (1 − momentum)·running + momentum·batch), so torch's 0.1 is your 0.9"),
    Setting("eps", 1e-5, values=EPS),
)  # fmt: skip
ADAM = (
    Setting("eps", 1e-8, values=EPS),
    Setting("betas", (0.9, 0.999), values=((0.9, 0.99), (0.9, 0.9), (0.95, 0.999), (0.999, 0.9))),
)
DROPOUT = (
    Setting("p", 0.5, "complement",
            why="your p is the keep probability (CS231n's dropout_param['p']); torch's p is "
            "the probability of dropping an element"),
)  # fmt: skip
SGD = (
    Setting("dampening", 0, "same-as", source="momentum",
            why="your velocity is an exponential moving average, v = βv + (1 − β)g; torch's "
            "SGD has dampening=0: v = βv + g"),
)  # fmt: skip
# the usual slopes, and each case's own with its sign flipped (-alpha·x for x < 0)
SLOPE = (Setting("negative_slope", 0.01, values=(0.1, 0.2, 0.3, 0.01, 0.02)),
         Setting("negative_slope", 0.01, kind="negated",
                 why="your slope has the other sign: x < 0 maps to negative_slope·x"))  # fmt: skip
APPROXIMATE = (Setting("approximate", "none", values=("tanh", "none")),)
AXIS = (
    Setting("dim", None, "dim",
            why="your code works along another axis (torch normalises along dim)"),
)  # fmt: skip


def cross_entropy_along(spec: Spec, case: Case, dim: int) -> Result:
    """torch's CrossEntropyLoss with its log-softmax along ``dim`` instead of the classes'
    axis 1 (torch.nn.functional.nll_loss on log_softmax(x, dim), or −Σ t·log_softmax for
    probability targets), on the case's input; for the case's settings but label_smoothing and
    class weights, which have no meaning along another axis."""
    config = case.config
    if config.get("label_smoothing") or config.get("weight") is not None:
        return Result()
    x, t = spec._arrays(case, "float64")
    xt, target = torch.tensor(x, requires_grad=True), torch.from_numpy(t)
    logp = F.log_softmax(xt, dim=dim)
    reduction = config.get("reduction", "mean")
    if target.is_floating_point():  # class probabilities, along the classes' axis
        per = -(target * logp).sum(dim=1 if x.ndim > 1 else 0)
        loss = {"mean": per.mean, "sum": per.sum}.get(reduction, lambda: per)()
    else:
        logp = logp if x.ndim > 1 else logp[None]
        loss = F.nll_loss(logp, target if x.ndim > 1 else target[None], reduction=reduction,
                          ignore_index=config.get("ignore_index", -100))  # fmt: skip
        loss = loss[0] if x.ndim == 1 and reduction == "none" else loss
    loss.backward(torch.from_numpy(upstream_like(loss, seed=1)))
    result = Result()
    result.add("loss", loss.detach())
    result.add("grad of input", xt.grad)
    return result


def attention_along(spec: Spec, case: Case, dim: int) -> Result:
    """torch's attention (its SDPA docstring's formula) with the softmax along ``dim`` of
    the scores (−2: over the queries) instead of over the keys."""
    q, k, v = (torch.tensor(a, requires_grad=True) for a in spec.arrays(case, "float64"))
    keep = spec.keep(case, q, k)
    scale = case.config.get("scale") or 1 / q.shape[-1] ** 0.5
    scores = q @ k.transpose(-2, -1) * scale
    if case.config.get("is_causal"):
        keep = np.tril(np.ones(scores.shape[-2:], bool))
    if keep is not None:
        scores = scores.masked_fill(~torch.from_numpy(keep), float("-inf"))
    weights = torch.softmax(scores, dim=dim)
    return spec.backpropagate(weights @ v, weights.detach(), (q, k, v))


CROSS_ENTROPY = (
    Setting("label_smoothing", 0.0, values=(0.1, 0.0, 0.2)),
    Setting("dim", 1, "dim", twin=cross_entropy_along,
            why="your softmax works along another axis (torch's is along the classes)"),
)  # fmt: skip
ATTENTION = (
    Setting("dim", -1, "dim", values=(-2,), twin=attention_along,
            why="your softmax is over the queries (dim=-2); torch's is over the keys, so each "
            "query's weights sum to 1"),
)  # fmt: skip

SETTINGS: dict[str, tuple[Setting, ...]] = {
    "BatchNorm1d": BN,
    "BatchNorm2d": BN,
    "batch_norm": BN,
    "Adam": ADAM,
    "AdamW": ADAM,
    "RMSprop": (
        Setting("eps", 1e-8, values=EPS),
        Setting("alpha", 0.99, values=(0.9, 0.999, 0.95)),
    ),
    "SGD": SGD,
    "Dropout": DROPOUT,
    "dropout": DROPOUT,
    "LeakyReLU": SLOPE,
    "leaky_relu": SLOPE,
    "leaky_relu_derivative": SLOPE,
    "GELU": APPROXIMATE,
    "gelu": APPROXIMATE,
    "gelu_derivative": APPROXIMATE,
    "Softmax": AXIS,
    "LogSoftmax": AXIS,
    "softmax": AXIS,
    "log_softmax": AXIS,
    "CrossEntropyLoss": CROSS_ENTROPY,
    "scaled_dot_product_attention": ATTENTION,
}
