"""Shared tables and the twin runner for the optimizer and schedule parity tests.

``race`` drives a scratch optimizer and its torch twin side by side (same start, same
hyper-parameters, optionally the same schedule) and returns both parameter trajectories,
one flat vector per step, for ``assert_trajectory_close``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

import scratch.optim as so
import scratch.optim.lr_scheduler as sl
import torch_ref.optim as to
import torch_ref.optim.lr_scheduler as tl

# name, optimizer class name (same in scratch.optim and torch.optim), kwargs
OPTIMIZERS = [
    ("SGD", "SGD", dict()),
    ("SGD(momentum)", "SGD", dict(momentum=0.9)),
    ("SGD(momentum, dampening)", "SGD", dict(momentum=0.9, dampening=0.3)),
    ("SGD(nesterov)", "SGD", dict(momentum=0.9, nesterov=True)),
    ("SGD(maximize)", "SGD", dict(momentum=0.9, maximize=True)),
    ("RMSprop", "RMSprop", dict()),
    ("RMSprop(centered, momentum)", "RMSprop", dict(alpha=0.9, momentum=0.5, centered=True)),
    ("RMSprop(maximize)", "RMSprop", dict(maximize=True)),
    ("Adam", "Adam", dict()),
    ("Adam(amsgrad)", "Adam", dict(betas=(0.8, 0.99), amsgrad=True)),
    ("Adam(maximize)", "Adam", dict(maximize=True)),
    ("AdamW", "AdamW", dict()),
    ("AdamW(amsgrad)", "AdamW", dict(amsgrad=True)),
]  # fmt: skip

# name, schedule factory (module, optimizer, base lr, steps) -> scheduler; None = constant lr
SCHEDULES = [
    ("constant", None),
    ("warmup+cosine", lambda m, o, lr, n: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=n // 10), m.CosineAnnealingLR(o, T_max=n - n // 10)],
        milestones=[n // 10])),
    ("one-cycle", lambda m, o, lr, n: m.OneCycleLR(o, max_lr=lr, total_steps=n)),
]  # fmt: skip


def flat(optimizer) -> np.ndarray:
    """All parameters of an optimizer (either twin) as one float64 vector."""
    values = []
    for group in optimizer.param_groups:
        for p in group["params"]:
            data = p.detach().numpy() if isinstance(p, torch.Tensor) else p.data
            values.append(np.array(data, dtype=np.float64).ravel())
    return np.concatenate(values)


def run(lib: str, cls: str, kwargs: dict, params, grad: Callable[[], None], steps: int,
        schedule=None, lr: float | None = None) -> list[np.ndarray]:  # fmt: skip
    """Train with one twin (``lib`` = "scratch" or "torch"); the parameters after each step.

    ``grad`` fills the gradients of the current parameters; ``schedule(module, optimizer,
    lr, steps)`` builds the scheduler from scratch's or torch's lr_scheduler module.
    """
    optim, lr_scheduler = (so, sl) if lib == "scratch" else (to, tl)
    optimizer = getattr(optim, cls)(params, **kwargs)
    lr = optimizer.defaults["lr"] if lr is None else lr
    scheduler = schedule(lr_scheduler, optimizer, lr, steps) if schedule else None
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        grad()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        trajectory.append(flat(optimizer))
    return trajectory


def race(cls: str, kwargs: dict, params_s, params_t, grad_s: Callable[[], None],
         grad_t: Callable[[], None], steps: int, schedule=None,
         lr: float | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:  # fmt: skip
    """Both twins from the same start, same hyper-parameters and schedule: two trajectories."""
    return (run("scratch", cls, kwargs, params_s, grad_s, steps, schedule, lr),
            run("torch", cls, kwargs, params_t, grad_t, steps, schedule, lr))  # fmt: skip
