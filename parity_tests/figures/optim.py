"""Optimizer and schedule figures, drawn by both twins (scratch.optim vs torch.optim).

Each figure imports scratch.optim inside its function, so a build without it shows a
"not available yet" note instead of failing the report.
"""

from __future__ import annotations

import numpy as np
import torch

from parity_tests.figures.registry import SCRATCH, TORCH, figure, plt
from scratch.datasets import BEALE_MINIMUM, BEALE_START, beale, beale_grad

STEPS = 300
RACE = [  # label, optimizer class name (same in both twins), keyword arguments (as test_trajectories)
    ("SGD lr=0.001", "SGD", dict(lr=0.001)),
    ("SGD lr=0.001 momentum 0.9", "SGD", dict(lr=0.001, momentum=0.9)),
    ("RMSprop lr=0.01", "RMSprop", dict(lr=0.01)),
    ("Adam lr=0.05", "Adam", dict(lr=0.05)),
]


def _scratch_path(optim, name: str, kwargs: dict) -> np.ndarray:
    from scratch.nn import Parameter

    p = Parameter(np.array(BEALE_START, dtype=np.float64))
    opt = getattr(optim, name)([p], **kwargs)
    path = [p.data.copy()]
    for _ in range(STEPS):
        p.grad = np.array(beale_grad(*p.data))
        opt.step()
        path.append(p.data.copy())
    return np.array(path)


def _torch_path(name: str, kwargs: dict) -> np.ndarray:
    from torch_ref.datasets import beale as t_beale

    p = torch.tensor(BEALE_START, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([p], **kwargs)
    path = [p.detach().clone().numpy()]
    for _ in range(STEPS):
        opt.zero_grad()
        t_beale(p[0], p[1]).backward()
        opt.step()
        path.append(p.detach().clone().numpy())
    return np.array(path)


@figure("Optimizers and schedules", "Optimizer race on Beale's function")
def beale_race():
    import scratch.optim as optim

    xx, yy = np.meshgrid(np.linspace(-0.5, 4, 200), np.linspace(-2, 1.5, 200))
    fig, (ax, ax_f) = plt.subplots(1, 2, figsize=(14, 5.5))
    ax.contourf(xx, yy, np.log1p(beale(xx, yy)), levels=30, cmap="Greys", alpha=0.6)
    ax.plot(*BEALE_MINIMUM, "k*", ms=14, label="minimum (3, 0.5)")
    gap = 0.0
    for i, (label, name, kwargs) in enumerate(RACE):
        s_path, t_path = _scratch_path(optim, name, kwargs), _torch_path(name, kwargs)
        gap = max(gap, float(np.abs(s_path - t_path).max()))
        colour = f"C{i}"
        ax.plot(*s_path.T, color=colour, lw=2.5, alpha=0.7, label=f"{label} (scratch)")
        ax.plot(*t_path.T, color="black", lw=0.9, ls="--")
        ax.plot(*s_path[::50].T, "o", color=colour, ms=4)  # every 50 steps: the speed
        ax_f.plot(beale(*s_path.T), color=colour, lw=2.5, alpha=0.7, label=label)
        ax_f.plot(beale(*t_path.T), color="black", lw=0.9, ls="--")
    ax.plot([], [], color="black", lw=0.9, ls="--", label="torch.optim (each path)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8, loc="lower right")
    ax_f.set_yscale("log")
    ax_f.set_xlabel("step")
    ax_f.set_ylabel("Beale f(x, y)")
    ax_f.grid(alpha=0.3)
    ax_f.legend(fontsize=8)
    caption = (
        f"{STEPS} steps of each optimizer from the seed's start (0.5, -1.5) on Beale's function: "
        "scratch.optim (thick colours, a dot every 50 steps) stepping on the hand-derived "
        "gradient beale_grad, torch.optim (thin dashes) stepping on autograd's gradient of "
        "torch_ref's beale. Left: the paths over log(1 + f); right: f along each path. The "
        f"dashes run inside the colours: largest gap between the paths {gap:.1e} (float64)."
    )
    return fig, caption


SCHEDULES = [  # title, scheduler class name (same in both twins), keyword arguments
    ("StepLR(step_size=30, gamma=0.5)", "StepLR", dict(step_size=30, gamma=0.5)),
    ("ExponentialLR(gamma=0.97)", "ExponentialLR", dict(gamma=0.97)),
    ("CosineAnnealingLR(T_max=100)", "CosineAnnealingLR", dict(T_max=100)),
    ("LinearLR(start_factor=0.1, total_iters=40)", "LinearLR", dict(start_factor=0.1, total_iters=40)),
    ("OneCycleLR(max_lr=1, total_steps=101)", "OneCycleLR", dict(max_lr=1.0, total_steps=101)),
]  # fmt: skip


def _lrs(optim_module, param, name: str, kwargs: dict, steps: int = 100) -> list[float]:
    opt = optim_module.SGD([param], lr=0.1, momentum=0.9)  # OneCycleLR cycles the momentum
    scheduler = getattr(optim_module.lr_scheduler, name)(opt, **kwargs)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


@figure("Optimizers and schedules", "Learning-rate schedules")
def lr_schedules():
    import scratch.optim as s_optim
    from scratch.nn import Parameter

    fig, axes = plt.subplots(1, len(SCHEDULES), figsize=(16, 3.4))
    gap = 0.0
    for ax, (title, name, kwargs) in zip(axes, SCHEDULES, strict=True):
        s_param = Parameter(np.zeros(1))
        s_param.grad = np.zeros(1)
        t_param = torch.zeros(1, requires_grad=True)
        t_param.grad = torch.zeros(1)
        s, t = _lrs(s_optim, s_param, name, kwargs), _lrs(torch.optim, t_param, name, kwargs)
        gap = max(gap, float(np.max(np.abs(np.subtract(s, t)))))
        ax.plot(s, **SCRATCH)
        ax.plot(t, **TORCH)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("learning rate")
    axes[0].legend(fontsize=7)
    caption = (
        "The learning rate after each of 100 scheduler steps (SGD, base lr 0.1): "
        "scratch.optim.lr_scheduler (solid) under torch.optim.lr_scheduler (dashed), driven "
        f"by the same calls. Largest gap over all schedules: {gap:.1e}."
    )
    return fig, caption
