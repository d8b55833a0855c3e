"""A fully connected layer with a hand-written backward (course section: MLP and backprop).

Check: ``parity-check Linear exercises/linear.py:Linear``.

The protocol is scratch's (``scratch/nn/module.py``'s docstring): subclass ``scratch.nn.Module``,
keep the weights in ``scratch.nn.Parameter`` attributes named as torch names them, compute
in ``forward`` and, right under it, differentiate in ``backward``. The checker copies
torch's initial values into your ``weight`` and ``bias`` (so your initialisation is not
compared) and then compares the output, the input gradient and both parameter gradients
with ``torch.nn.Linear``'s, in float64 and float32, for 2-D and 3-D inputs.
"""

from __future__ import annotations

import numpy as np

from scratch.nn import Module, Parameter


class Linear(Module):
    """z = x Wᵀ + b. Twin: ``torch.nn.Linear(in_features, out_features, bias)``.

    ``weight``: Parameter (out_features, in_features); ``bias``: Parameter (out_features,),
    or None when ``bias=False``. Initialise both from U(-1/√in_features, 1/√in_features),
    as torch does.
    """

    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (..., in_features) -> z (..., out_features), in x's dtype. Keep x for backward."""
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dz (..., out_features) -> dL/dx (..., in_features).

        Also *add* (not assign) dL/dW and dL/db into ``weight.grad`` and ``bias.grad``
        (``Parameter.accumulate`` does it), as autograd accumulates. Every leading axis of
        the input is a batch axis: the parameter gradients sum over all of them.
        """
        raise NotImplementedError
