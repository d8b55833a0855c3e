"""Optimizer and schedule figures, drawn by both twins (scratch.optim vs torch.optim).

Each figure imports scratch.optim inside its function, so a build without it shows a
"not available yet" note instead of failing the report.
"""

from __future__ import annotations

import numpy as np
import torch

from course.figures.registry import SCRATCH, TORCH, figure, plt
from scratch.datasets import BEALE_MINIMUM, BEALE_START, beale, beale_grad

STEPS = 300
RACE = [  # the course's four: label, optimizer class name (same in both twins), keyword arguments
    ("SGD lr=1e-4", "SGD", dict(lr=1e-4)),
    ("momentum lr=1e-4, β=0.9", "SGD", dict(lr=1e-4, momentum=0.9)),
    ("RMSProp lr=0.005, β=0.99", "RMSprop", dict(lr=0.005, alpha=0.99)),
    ("Adam lr=0.01", "Adam", dict(lr=0.01)),
]


def _scratch_path(optim, name: str, kwargs: dict, steps: int = STEPS) -> np.ndarray:
    from scratch.nn import Parameter

    p = Parameter(np.array(BEALE_START, dtype=np.float64))
    opt = getattr(optim, name)([p], **kwargs)
    path = [p.data.copy()]
    for _ in range(steps):
        p.grad = np.array(beale_grad(*p.data))
        opt.step()
        path.append(p.data.copy())
    return np.array(path)


def _torch_path(name: str, kwargs: dict, steps: int = STEPS) -> np.ndarray:
    from torch_ref.datasets import beale as t_beale

    p = torch.tensor(BEALE_START, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([p], **kwargs)
    path = [p.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        t_beale(p[0], p[1]).backward()
        opt.step()
        path.append(p.detach().clone().numpy())
    return np.array(path)


def race_paths(race=RACE, steps: int = STEPS) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """label -> (scratch's path, torch's path), each (steps + 1, 2), from (0.5, -1.5)."""
    import scratch.optim as optim

    return {label: (_scratch_path(optim, name, kwargs, steps), _torch_path(name, kwargs, steps))
            for label, name, kwargs in race}  # fmt: skip


@figure("Optimizers and schedules", "Optimizer race on Beale's function")
def beale_race(paths: dict | None = None):
    paths = paths or race_paths()
    xx, yy = np.meshgrid(np.linspace(-0.5, 4, 200), np.linspace(-2, 1.5, 200))
    fig, (ax, ax_f) = plt.subplots(1, 2, figsize=(14, 5.5))
    ax.contourf(xx, yy, np.log1p(beale(xx, yy)), levels=30, cmap="Greys", alpha=0.6)
    ax.plot(*BEALE_MINIMUM, "k*", ms=14, label="minimum (3, 0.5)")
    gap = 0.0
    for i, (label, (s_path, t_path)) in enumerate(paths.items()):
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
    ax.legend(fontsize=8, loc="upper left")
    ax_f.set_yscale("log")
    ax_f.set_xlabel("step")
    ax_f.set_ylabel("Beale f(x, y)")
    ax_f.grid(alpha=0.3)
    ax_f.legend(fontsize=8)
    steps = len(next(iter(paths.values()))[0]) - 1
    caption = (
        f"The course's race: {steps} steps of each of its four optimizers, with its settings, "
        "from (0.5, -1.5) on Beale's function: scratch.optim (thick colours, a dot every 50 "
        "steps) stepping on the hand-derived gradient beale_grad, torch.optim (thin dashes) "
        "stepping on autograd's gradient of torch_ref's beale. Left: the paths over "
        "log(1 + f); right: f along each path. The dashes run inside the colours: largest gap "
        f"between the paths {gap:.1e} (float64)."
    )
    return fig, caption


SCHEDULES = [  # title, scheduler class name (same in both twins), keyword arguments
    ("StepLR(step_size=30, gamma=0.5)", "StepLR", dict(step_size=30, gamma=0.5)),
    ("ExponentialLR(gamma=0.97)", "ExponentialLR", dict(gamma=0.97)),
    ("CosineAnnealingLR(T_max=100)", "CosineAnnealingLR", dict(T_max=100)),
    ("LinearLR(start_factor=0.1, total_iters=40)", "LinearLR", dict(start_factor=0.1, total_iters=40)),
    ("OneCycleLR(max_lr=1, total_steps=101)", "OneCycleLR", dict(max_lr=1.0, total_steps=101)),
]  # fmt: skip


def _lrs(optim_module, param, make, steps: int) -> list[float]:
    """The lr before the first step, then after each of ``steps`` scheduler steps."""
    opt = optim_module.SGD([param], lr=0.1, momentum=0.9)  # OneCycleLR cycles the momentum
    scheduler = make(optim_module.lr_scheduler, opt)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def twin_lrs(make, steps: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """``make(lr_scheduler_module, optimizer)`` run in both twins (SGD, base lr 0.1)."""
    import scratch.optim as s_optim
    from scratch.nn import Parameter

    s_param = Parameter(np.zeros(1))
    s_param.grad = np.zeros(1)
    t_param = torch.zeros(1, requires_grad=True)
    t_param.grad = torch.zeros(1)
    s_lrs, t_lrs = _lrs(s_optim, s_param, make, steps), _lrs(torch.optim, t_param, make, steps)
    return np.array(s_lrs), np.array(t_lrs)


@figure("Optimizers and schedules", "Learning-rate schedules")
def lr_schedules():
    fig, axes = plt.subplots(1, len(SCHEDULES), figsize=(16, 3.4))
    gap = 0.0
    for ax, (title, name, kwargs) in zip(axes, SCHEDULES, strict=True):
        s, t = twin_lrs(lambda m, opt, name=name, kwargs=kwargs: getattr(m, name)(opt, **kwargs))
        gap = max(gap, float(np.max(np.abs(s - t))))
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


WARMUP_START = 1e-8  # torch's LinearLR needs a start_factor > 0; the course's warmup starts at 0


def _cosine(e, t_max, lo=0.001, hi=0.1):
    return lo + 0.5 * (hi - lo) * (1 + np.cos(np.pi * e / t_max))


def _warmup_cosine(m, opt):
    warmup = m.LinearLR(opt, start_factor=WARMUP_START, total_iters=10)
    cosine = m.CosineAnnealingLR(opt, T_max=90, eta_min=0.001)
    return m.SequentialLR(opt, [warmup, cosine], milestones=[10])


COURSE_SCHEDULES = [  # title, the course's lr at epoch e, torch's scheduler, make(m, opt)
    ("step decay 0.1·0.5^(e // 30)", lambda e: 0.1 * 0.5 ** (e // 30),
     "StepLR(step_size=30, gamma=0.5)", lambda m, opt: m.StepLR(opt, step_size=30, gamma=0.5)),
    ("cosine 0.1 → 0.001 over 100 epochs", lambda e: _cosine(e, 100),
     "CosineAnnealingLR(T_max=100, eta_min=0.001)",
     lambda m, opt: m.CosineAnnealingLR(opt, T_max=100, eta_min=0.001)),
    ("10-epoch linear warmup, then cosine",
     lambda e: np.where(e < 10, 0.1 * e / 10, _cosine(e - 10, 90)),
     f"SequentialLR([LinearLR(start_factor={WARMUP_START:g}, total_iters=10), "
     "CosineAnnealingLR(T_max=90, eta_min=0.001)], milestones=[10])", _warmup_cosine),
    ("exponential 0.1·exp(-0.03 e)", lambda e: 0.1 * np.exp(-0.03 * e),
     "ExponentialLR(gamma=exp(-0.03))",
     lambda m, opt: m.ExponentialLR(opt, gamma=float(np.exp(-0.03)))),
]  # fmt: skip


def course_schedules(epochs: int = 100) -> list[dict]:
    """Each course schedule over epochs 0..epochs-1: its formula's lr, scratch's and torch's."""
    out = []
    for title, formula, torch_name, make in COURSE_SCHEDULES:
        s, t = twin_lrs(make, epochs - 1)  # the lr of epoch e is the one after e scheduler steps
        course = formula(np.arange(epochs))
        out.append(dict(title=title, torch=torch_name, course=course, scratch=s, torch_lrs=t))
    return out


@figure("Optimizers and schedules", "The course's four learning-rate schedules")
def course_lr_schedules(schedules: list | None = None):
    schedules = schedules or course_schedules()
    fig, axes = plt.subplots(1, len(schedules), figsize=(16, 3.6), sharey=True)
    for ax, sched in zip(axes, schedules, strict=True):
        ax.plot(sched["course"], "o", color="grey", ms=2.5, label="the course's formula")
        ax.plot(sched["scratch"], **SCRATCH)
        ax.plot(sched["torch_lrs"], **TORCH)
        ax.set_title(sched["title"], fontsize=9)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("learning rate")
    axes[0].legend(fontsize=7)
    gaps = "; ".join(
        f"{s['torch']}: {np.abs(s['course'] - s['torch_lrs']).max():.1e}" for s in schedules
    )
    twin_gap = max(np.abs(s["scratch"] - s["torch_lrs"]).max() for s in schedules)
    caption = (
        "The course's schedules over 100 epochs (base lr 0.1): its formula (grey dots), scratch's "
        "scheduler (solid) and torch's (dashed). The torch scheduler that reproduces each, and its "
        f"largest difference from the course's formula: {gaps}. Scratch and torch differ by at "
        f"most {twin_gap:.1e}. The course's warmup starts at lr 0, where torch's LinearLR "
        "cannot start, hence the small start_factor."
    )
    return fig, caption
