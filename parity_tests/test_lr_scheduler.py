"""Parity of scratch/optim/lr_scheduler.py with torch.optim.lr_scheduler (its twin).

Each schedule is attached to a real optimizer in both twins (two param groups with
different lrs) and stepped 320 times, as in training: ``optimizer.step()`` then
``scheduler.step()``. The lr of every group, and the momentum / β₁ that OneCycleLR cycles,
must equal torch's *exactly*: scratch ports torch's chainable formulas term for term, so
the Python floats are computed by the same operations in the same order.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.optim as so
import scratch.optim.lr_scheduler as sl
import torch_ref.optim as to
import torch_ref.optim.lr_scheduler as tl
from parity_tests.harness import assert_trajectory_close
from scratch.nn import Parameter

STEPS = 320
# Same float operations in the same order: in practice bit-identical (the record shows
# max_abs 0); rtol 1e-15 (~4 ulp) instead of 0 only so the headroom never divides 0 by 0.
EXACT = dict(rtol=1e-15, atol=1e-300)


def warmup_cosine(m, o):
    """The seed's schedule: linear warmup for 30 steps, then cosine decay to 1e-4."""
    warmup = m.LinearLR(o, start_factor=0.01, total_iters=30)
    return m.SequentialLR(o, [warmup, m.CosineAnnealingLR(o, T_max=290, eta_min=1e-4)], [30])


# name, optimizer class, schedule factory (module, optimizer) -> scheduler
SCHEDULES = [
    ("StepLR", "SGD", lambda m, o: m.StepLR(o, step_size=30, gamma=0.5)),
    ("StepLR(default gamma)", "SGD", lambda m, o: m.StepLR(o, step_size=100)),
    ("MultiStepLR", "SGD", lambda m, o: m.MultiStepLR(o, [50, 120, 120, 200], gamma=0.3)),
    ("ExponentialLR", "Adam", lambda m, o: m.ExponentialLR(o, gamma=0.99)),
    ("CosineAnnealingLR", "SGD", lambda m, o: m.CosineAnnealingLR(o, T_max=100, eta_min=1e-3)),
    ("CosineAnnealingLR(past T_max)", "Adam", lambda m, o: m.CosineAnnealingLR(o, T_max=70)),
    ("LinearLR(warmup)", "SGD", lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=40)),
    ("LinearLR(decay)", "RMSprop", lambda m, o: m.LinearLR(o, 1.0, 0.05, total_iters=250)),
    ("SequentialLR(warmup+cosine)", "AdamW", warmup_cosine),
    ("SequentialLR(3 phases)", "SGD", lambda m, o: m.SequentialLR(o, [
        m.LinearLR(o, 0.1, total_iters=20), m.ExponentialLR(o, 0.98), m.StepLR(o, 40, 0.5)],
        milestones=[20, 150])),
    ("OneCycleLR(SGD momentum)", "SGD", lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.05], total_steps=STEPS)),
    ("OneCycleLR(Adam beta1)", "Adam", lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=STEPS)),
    ("OneCycleLR(linear)", "RMSprop", lambda m, o: m.OneCycleLR(o, 0.01, total_steps=STEPS, anneal_strategy="linear")),
    ("OneCycleLR(three_phase)", "SGD", lambda m, o: m.OneCycleLR(o, 0.1, epochs=32, steps_per_epoch=10, three_phase=True, pct_start=0.25)),
    ("OneCycleLR(no momentum)", "SGD", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=STEPS, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0)),
    # milestone 0: schedulers[1] runs from the start (schedulers[0] never does), as in torch
    ("SequentialLR(milestone 0)", "SGD", lambda m, o: m.SequentialLR(o, [
        m.LinearLR(o, 0.1, total_iters=3), m.ExponentialLR(o, 0.98)], milestones=[0])),
    # torch does not sort the milestones either: bisect on [150, 20] decides who runs when
    ("SequentialLR(unsorted milestones)", "SGD", lambda m, o: m.SequentialLR(o, [
        m.LinearLR(o, 0.1, total_iters=20), m.ExponentialLR(o, 0.98), m.StepLR(o, 40, 0.5)],
        milestones=[150, 20])),
]  # fmt: skip


def make_optimizers(cls: str):
    """The scratch optimizer and its torch twin, two param groups with different lrs."""
    kwargs = dict(momentum=0.9) if cls == "SGD" else {}
    scratch_groups = [
        {"params": [Parameter(np.zeros(2))]},
        {"params": [Parameter(np.zeros(3))], "lr": 0.03},
    ]
    torch_groups = [
        {"params": [torch.zeros(2, requires_grad=True)]},
        {"params": [torch.zeros(3, requires_grad=True)], "lr": 0.03},
    ]
    return getattr(so, cls)(scratch_groups, lr=0.1, **kwargs), getattr(to, cls)(torch_groups, lr=0.1, **kwargs)  # fmt: skip


def momenta(optimizer) -> list[float]:
    """What OneCycleLR cycles: SGD/RMSprop's momentum, or Adam's β₁."""
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def history(optimizer, scheduler, steps: int) -> tuple[list, list, list]:
    """(lrs, momenta, last_epoch) after each of ``steps`` training steps."""
    lrs, moms, epochs = [scheduler.get_last_lr()], [momenta(optimizer)], [scheduler.last_epoch]
    for _ in range(steps):
        optimizer.step()  # no gradients: nothing moves, but it is the order torch expects
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
        moms.append(momenta(optimizer))
        epochs.append(scheduler.last_epoch)
    return lrs, moms, epochs


@pytest.mark.parametrize("name,cls,make", SCHEDULES, ids=[c[0] for c in SCHEDULES])
def test_schedule_matches_torch(name, cls, make):
    opt_s, opt_t = make_optimizers(cls)
    sched_s, sched_t = make(sl, opt_s), make(tl, opt_t)
    lrs_s, moms_s, epochs_s = history(opt_s, sched_s, STEPS)
    lrs_t, moms_t, epochs_t = history(opt_t, sched_t, STEPS)
    assert epochs_s == epochs_t
    assert_trajectory_close(
        lrs_s, lrs_t, component=name, tensor="lr per group", dtype="float64", **EXACT
    )
    assert_trajectory_close(moms_s, moms_t, component=name, tensor="momentum / beta1 per group",
                            dtype="float64", **EXACT)  # fmt: skip
    assert [g["lr"] for g in opt_s.param_groups] == lrs_s[-1]
    assert len(set(map(tuple, lrs_s))) > 1, "the schedule should change the lr"


@pytest.mark.parametrize("name,cls,make", SCHEDULES[::3], ids=[c[0] for c in SCHEDULES[::3]])
def test_state_dict_resumes_the_schedule(name, cls, make):
    """Save at step 100, rebuild, load, go on: the same sequence as torch's uninterrupted one."""
    opt_t = make_optimizers(cls)[1]
    sched_t = make(tl, opt_t)
    lrs_t, _, _ = history(opt_t, sched_t, 250)
    opt_s, _ = make_optimizers(cls)
    sched_s = make(sl, opt_s)
    before, _, _ = history(opt_s, sched_s, 100)
    saved_sched, saved_opt = sched_s.state_dict(), opt_s.state_dict()
    opt_r, _ = make_optimizers(cls)
    sched_r = make(sl, opt_r)  # construct first (it rewrites lr), then load, as torch advises
    sched_r.load_state_dict(saved_sched)
    opt_r.load_state_dict(saved_opt)
    after, _, _ = history(opt_r, sched_r, 150)
    assert_trajectory_close(before + after[1:], lrs_t, component=name, dtype="float64",
                            tensor="lr per group, resumed from state_dict at step 100", **EXACT)  # fmt: skip


def test_state_dict_matches_torchs_counters():
    opt_s, opt_t = make_optimizers("SGD")
    sched_s, sched_t = warmup_cosine(sl, opt_s), warmup_cosine(tl, opt_t)
    history(opt_s, sched_s, 45)
    history(opt_t, sched_t, 45)
    state_s, state_t = sched_s.state_dict(), sched_t.state_dict()
    for key in ("last_epoch", "_milestones", "_last_lr"):
        assert state_s[key] == state_t[key], key
    for sub_s, sub_t in zip(state_s["_schedulers"], state_t["_schedulers"], strict=True):
        for key in ("last_epoch", "_step_count", "base_lrs", "_last_lr"):
            assert sub_s[key] == sub_t[key], key


def test_sequential_lr_accepts_milestone_zero():
    """torch accepts milestone 0: the second scheduler runs from epoch 0, lr 1, 0.5, 0.25, ..."""
    lrs = {}
    for name, optim, sched in (("scratch", so, sl), ("torch", to, tl)):
        param = Parameter(np.zeros(1)) if name == "scratch" else torch.zeros(1, requires_grad=True)
        opt = optim.SGD([param], lr=1.0)
        sequential = sched.SequentialLR(
            opt, [sched.LinearLR(opt, 0.1, total_iters=3), sched.ExponentialLR(opt, 0.5)], [0]
        )
        lrs[name], _, _ = history(opt, sequential, 40)
    assert_trajectory_close(lrs["scratch"], lrs["torch"], component="SequentialLR(milestones=[0])",
                            tensor="lr", dtype="float64", **EXACT)  # fmt: skip
    assert lrs["scratch"] == [[0.5**k] for k in range(41)]


def test_get_last_lr_is_a_copy():
    opt, _ = make_optimizers("SGD")
    sched = sl.StepLR(opt, step_size=2)
    sched.get_last_lr()[0] = 123.0
    assert sched.get_last_lr()[0] == 0.1


def test_one_cycle_refuses_to_step_past_total_steps():
    opt_s, opt_t = make_optimizers("SGD")
    sched_s, sched_t = (
        sl.OneCycleLR(opt_s, 0.1, total_steps=5),
        tl.OneCycleLR(opt_t, 0.1, total_steps=5),
    )
    history(opt_s, sched_s, 5)
    history(opt_t, sched_t, 5)
    for sched in (sched_s, sched_t):
        with pytest.raises(ValueError, match="Tried to step 6 times"):
            sched.step()


def _opt():
    return make_optimizers("SGD")[0]


BAD_INPUT = [
    (lambda: sl.StepLR(_opt(), step_size=0), ValueError, "step_size must be a positive integer"),
    (lambda: sl.StepLR(_opt(), step_size=2.5), ValueError, "step_size"),
    (lambda: sl.StepLR(_opt(), 10, gamma=-0.1), ValueError, "gamma must be a finite number > 0"),
    (lambda: sl.StepLR(_opt(), 10, gamma=float("nan")), ValueError, "gamma"),
    (lambda: sl.MultiStepLR(_opt(), [10, -5]), ValueError, "milestones"),
    (lambda: sl.MultiStepLR(_opt(), 10), ValueError, "milestones must be a list"),
    (lambda: sl.ExponentialLR(_opt(), gamma=0.0), ValueError, "gamma"),
    (lambda: sl.CosineAnnealingLR(_opt(), T_max=0), ValueError, "T_max must be a positive integer"),
    (lambda: sl.CosineAnnealingLR(_opt(), T_max=10, eta_min=-1.0), ValueError, "eta_min"),
    (lambda: sl.LinearLR(_opt(), start_factor=0.0), ValueError, "start_factor must be in"),
    (lambda: sl.LinearLR(_opt(), start_factor=1.5), ValueError, "start_factor"),
    (lambda: sl.LinearLR(_opt(), end_factor=2.0), ValueError, "end_factor"),
    (lambda: sl.LinearLR(_opt(), total_iters=0), ValueError, "total_iters"),
    (lambda: sl.SequentialLR(_opt(), [], []), ValueError, "at least one scheduler"),
    (lambda: sl.SequentialLR(o := _opt(), [sl.StepLR(o, 5), sl.StepLR(o, 5)], []), ValueError, "one milestone fewer"),
    (lambda: sl.SequentialLR(_opt(), [sl.StepLR(_opt(), 5)], []), ValueError, "same optimizer"),
    (lambda: sl.SequentialLR(o := _opt(), [sl.StepLR(o, 5), sl.StepLR(o, 5)], ["10"]), TypeError, r"milestones\[0\] must be a number"),
    (lambda: sl.OneCycleLR(_opt(), 0.1), ValueError, "either total_steps OR"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, total_steps=0), ValueError, "total_steps must be a positive integer"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, epochs=3, steps_per_epoch=-1), ValueError, "steps_per_epoch"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, 10, pct_start=1.5), ValueError, "pct_start"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, 10, anneal_strategy="step"), ValueError, "anneal_strategy"),
    (lambda: sl.OneCycleLR(_opt(), -0.1, 10), ValueError, "max_lr"),
    (lambda: sl.OneCycleLR(_opt(), [0.1], 10), ValueError, "one value per param group"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, 10, div_factor=0), ValueError, "div_factor"),
    (lambda: sl.OneCycleLR(so.Adam([Parameter(np.zeros(1))]), 0.1, 10, max_momentum=1.0), ValueError, "max_momentum"),
    (lambda: sl.StepLR(object(), 10), TypeError, "is not a scratch.optim Optimizer"),
    (lambda: sl.StepLR(_opt(), 10, last_epoch=5), ValueError, "initial_lr"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
