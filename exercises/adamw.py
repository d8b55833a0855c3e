"""Exercise 3: AdamW, Adam with decoupled weight decay (course section: Exercises; the
optimizers of "Optimizers and schedules").

Check: ``parity-check AdamW exercises/adamw.py:AdamW`` (the scoreboard runs it too).

Protocol: as in optimizers.py. The constructor takes a list of ``scratch.nn.Parameter``
and torch's hyperparameters; ``step()`` updates each ``.data`` in place from ``.grad``;
``zero_grad()`` clears them; keep the hyperparameters in ``self.param_groups`` (a list
holding one dict), whose "lr" the checker changes between steps in one case.
"""

from __future__ import annotations

from collections.abc import Iterable

from scratch.nn import Parameter


class AdamW:
    """Twin: ``torch.optim.AdamW`` (note torch's default weight_decay, 1e-2).

    Adam's moments and bias corrections, unchanged; the difference is where the decay goes.
    Adam adds weight_decay·θ to the gradient, so the decay is divided by √v̂ like the rest
    of the update; AdamW shrinks the weights directly, first: θ ← θ·(1 - lr·weight_decay),
    then θ -= lr·m̂ / (√v̂ + eps) with moments of the *raw* gradient.
    Cases with ``amsgrad`` or ``maximize`` are "not supported by your code" (optional here)
    unless you add those arguments.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:  # fmt: skip
        raise NotImplementedError

    def zero_grad(self) -> None:
        raise NotImplementedError

    def step(self) -> None:
        raise NotImplementedError
