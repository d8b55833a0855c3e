"""nnfs style ("Neural Networks from Scratch"): ``forward(inputs)`` and ``backward(dvalues)``
return None and store ``self.output`` and ``self.dinputs`` (and ``self.dweights``,
``self.dbiases`` beside ``weights``, ``biases``, which the parameter mapping already reads).

Layers are recognised by their source storing ``self.dinputs``. The losses
(``Loss_CategoricalCrossentropy``, forward on probabilities, and
``Activation_Softmax_Loss_CategoricalCrossentropy``, on logits) are ``nnfs_loss``'s.
"""

from __future__ import annotations

import inspect
import re


def stores_results(cls) -> bool:
    """Whether ``cls``'s backward stores its result in ``self.dinputs`` (nnfs's name)."""
    backward = getattr(cls, "backward", None)
    try:
        source = inspect.getsource(backward)
    except (OSError, TypeError):
        return False
    return re.search(r"self\.dinputs?\s*=", source) is not None


def recognises(spec, obj) -> dict | None:
    if isinstance(obj, type) and stores_results(obj):
        return {"stored": True}
    return None


def note(target) -> None:
    target.note("protocol: nnfs style, forward and backward read from self.output and self.dinputs")  # fmt: skip
