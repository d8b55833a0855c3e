"""nnfs's losses as ``CrossEntropyLoss``: ``Loss_CategoricalCrossentropy`` (``forward(y_pred,
y_true)`` on probabilities, returning the per-sample losses; ``backward(dvalues, y_true)``
storing ``self.dinputs``, the gradient w.r.t. the probabilities) and
``Activation_Softmax_Loss_CategoricalCrossentropy`` (``forward(inputs, y_true)`` on logits,
returning the mean loss; ``backward(dvalues, y_true)`` given the softmax it stored in
``self.output``, storing the gradient w.r.t. the logits).

A loss on probabilities is given softmax(logits), and its gradient is taken back to the logits
by the softmax's chain rule, dz = p ⊙ (dp − Σ dp ⊙ p); per-sample losses are averaged (nnfs's
``Loss.calculate``). nnfs clips the probabilities to [1e-7, 1 − 1e-7] before the log, which
changes nothing until a probability rounds to 0 or 1 (logits ±1e4), where torch's log-softmax
stays exact and the clip does not.
"""

from __future__ import annotations

import inspect

import numpy as np

from parity_check.errors import UsageError, call_user
from parity_check.protocols.nnfs import stores_results
from parity_check.specs.base import Target
from parity_check.specs.loss_spec import PROBABILITY_NAMES, positional_names


def recognises(spec, obj) -> bool:
    return spec.name == "CrossEntropyLoss" and isinstance(obj, type) and stores_results(obj)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(z.dtype)


def wrap(spec, cls, target: Target) -> type:
    takes_probs = (positional_names(cls.forward)[1:2] or [""])[0] in PROBABILITY_NAMES
    what = "probabilities softmax(logits), its gradient taken back to the logits" if takes_probs else "logits"  # fmt: skip
    target.note(f"protocol: an nnfs loss (results in self.dinputs), given {what}; per-sample losses averaged")  # fmt: skip

    class NnfsLoss:
        __signature__ = inspect.signature(cls)

        def __init__(self, *args, **kwargs) -> None:
            self.learner = call_user(f"constructing {target.name}", cls, *args, **kwargs)

        def forward(self, input, target):  # noqa: A002 - torch's names, read by the loss spec
            self.fed = softmax(input) if takes_probs else input
            self.labels = target
            out = call_user("calling forward", self.learner.forward, self.fed, target)
            out = np.asarray(out)
            return out.mean(dtype=out.dtype) if out.ndim else out

        def backward(self, grad_output):
            dvalues = self.fed if takes_probs else getattr(self.learner, "output", None)
            if dvalues is None:
                raise UsageError(f"{target.name}.forward stored no self.output (the softmax its backward takes)")  # fmt: skip
            call_user("calling backward", self.learner.backward, dvalues, self.labels)
            d = getattr(self.learner, "dinputs", None)
            if not isinstance(d, np.ndarray):
                raise UsageError(f"{target.name}.backward stored no self.dinputs")
            if takes_probs:  # through the softmax: dz = p ⊙ (dp − Σ dp ⊙ p)
                p = self.fed
                d = p * (d - (d * p).sum(axis=1, keepdims=True))
            return (d * grad_output).astype(self.fed.dtype)

    NnfsLoss.__name__ = NnfsLoss.__qualname__ = cls.__name__
    return NnfsLoss
