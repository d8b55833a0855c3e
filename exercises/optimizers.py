"""SGD with momentum and Adam, with torch's update rules (course section: Optimizers and
schedules).

Checks: ``parity-check SGD exercises/optimizers.py:SGD`` and
``parity-check Adam exercises/optimizers.py:Adam``.

The protocol is torch's: the constructor takes the parameters, a list of
``scratch.nn.Parameter`` (``.data`` the array, ``.grad`` its gradient, same shape), and the
hyperparameters under torch's names and defaults; ``step()`` updates every ``.data`` in
place from its ``.grad``; ``zero_grad()`` clears the gradients. The checker runs hundreds of
steps on a fixed objective, sometimes changing the learning rate between steps through
``self.param_groups[0]["lr"]`` (so keep your lr there, a list holding one dict with the
hyperparameters), and compares the parameters after every step with torch's.
"""

from __future__ import annotations

from collections.abc import Iterable

from scratch.nn import Parameter


class SGD:
    """Twin: ``torch.optim.SGD``. torch's rule, per parameter θ with gradient g:

    g += weight_decay·θ;  with momentum μ: b = g at the first step, then
    b = μ·b + (1 - dampening)·g, and g = g + μ·b (nesterov) or g = b;  θ -= lr·g.
    The course writes momentum as v = βv + lr·g; θ -= v: the same at a constant lr, but
    torch keeps lr out of the buffer, and the two part when the lr changes.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:  # fmt: skip
        raise NotImplementedError

    def zero_grad(self) -> None:
        raise NotImplementedError

    def step(self) -> None:
        raise NotImplementedError


class Adam:
    """Twin: ``torch.optim.Adam``. Per parameter, at step t = 1, 2, ...:

    g += weight_decay·θ (L2, through the gradient);  m = β1·m + (1 - β1)·g;
    v = β2·v + (1 - β2)·g²;  m̂ = m / (1 - β1^t);  v̂ = v / (1 - β2^t);
    θ -= lr·m̂ / (√v̂ + eps)  (eps outside the root, as torch and the course write it).
    Cases with ``amsgrad`` or ``maximize`` are "not supported by your code" (optional here)
    unless you add those arguments.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:  # fmt: skip
        raise NotImplementedError

    def zero_grad(self) -> None:
        raise NotImplementedError

    def step(self) -> None:
        raise NotImplementedError
