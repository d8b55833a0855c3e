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
from parity_check.core.harness import assert_trajectory_close, measure
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


def assert_same_sequence(actual, expected, *, component: str, tensor: str) -> None:
    """``assert_trajectory_close`` at EXACT, plus ``measure`` so a NaN or inf must sit where
    torch's does (the per-step test lets a NaN through; torch's own NaN lrs are the point here).
    """
    with np.errstate(invalid="ignore"):  # inf - inf where both twins reached inf
        assert_trajectory_close(actual, expected, component=component, tensor=tensor,
                                dtype="float64", **EXACT)  # fmt: skip
    comparison = measure(np.array(actual, float), np.array(expected, float), **EXACT)
    assert comparison.passed, f"[{component}] {tensor}: scratch != torch, {comparison}"


nan, inf = float("nan"), float("inf")
# Arguments torch 2.14.1 takes (it checks few) and the schedules it makes of them: zero,
# negative, NaN and inf factors, non-integer and negative periods, milestones 0 and below.
EDGE_SCHEDULES = [
    ("StepLR(step_size=2.5)", "SGD", lambda m, o: m.StepLR(o, step_size=2.5)),
    ("StepLR(step_size=-3)", "SGD", lambda m, o: m.StepLR(o, step_size=-3, gamma=0.5)),
    ("StepLR(step_size=True)", "SGD", lambda m, o: m.StepLR(o, step_size=True, gamma=0.9)),
    ("StepLR(gamma=0)", "SGD", lambda m, o: m.StepLR(o, 3, gamma=0)),
    ("StepLR(gamma=-0.5)", "SGD", lambda m, o: m.StepLR(o, 3, gamma=-0.5)),
    ("StepLR(gamma=nan)", "SGD", lambda m, o: m.StepLR(o, 3, gamma=nan)),
    ("MultiStepLR([0, 0, 7])", "SGD", lambda m, o: m.MultiStepLR(o, [0, 0, 7], gamma=0.5)),
    ("MultiStepLR([-1, 5.0], gamma=-1)", "SGD", lambda m, o: m.MultiStepLR(o, [-1, 5.0], gamma=-1)),
    ("ExponentialLR(gamma=0)", "SGD", lambda m, o: m.ExponentialLR(o, 0)),
    ("ExponentialLR(gamma=-0.9)", "SGD", lambda m, o: m.ExponentialLR(o, -0.9)),
    ("ExponentialLR(gamma=inf)", "SGD", lambda m, o: m.ExponentialLR(o, inf)),
    ("CosineAnnealingLR(T_max=-8)", "SGD", lambda m, o: m.CosineAnnealingLR(o, T_max=-8)),
    ("CosineAnnealingLR(T_max=2.5)", "SGD", lambda m, o: m.CosineAnnealingLR(o, T_max=2.5)),
    ("CosineAnnealingLR(eta_min=-0.05)", "SGD", lambda m, o: m.CosineAnnealingLR(o, 10, eta_min=-0.05)),
    ("CosineAnnealingLR(eta_min=nan)", "SGD", lambda m, o: m.CosineAnnealingLR(o, 10, eta_min=nan)),
    ("LinearLR(start_factor=nan)", "SGD", lambda m, o: m.LinearLR(o, start_factor=nan)),
    ("LinearLR(end_factor=nan)", "SGD", lambda m, o: m.LinearLR(o, end_factor=nan)),
    ("LinearLR(total_iters=0)", "SGD", lambda m, o: m.LinearLR(o, total_iters=0)),
    ("LinearLR(total_iters=-2)", "SGD", lambda m, o: m.LinearLR(o, total_iters=-2)),
    ("LinearLR(total_iters=2.5)", "SGD", lambda m, o: m.LinearLR(o, 0.2, total_iters=2.5)),
    ("SequentialLR(milestones=[-1])", "SGD", lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1), m.ExponentialLR(o, 0.9)], [-1])),
    ("SequentialLR(milestones=[2.5])", "SGD", lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1), m.ExponentialLR(o, 0.9)], [2.5])),
    ("OneCycleLR(max_lr=0)", "SGD", lambda m, o: m.OneCycleLR(o, 0, total_steps=40)),
    ("OneCycleLR(max_lr=-0.1)", "SGD", lambda m, o: m.OneCycleLR(o, -0.1, total_steps=40)),
    ("OneCycleLR(div_factor=-2)", "SGD", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=40, div_factor=-2)),
    ("OneCycleLR(final_div_factor=inf)", "SGD", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=40, final_div_factor=inf)),
    ("OneCycleLR(pct_start=nan)", "SGD", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=40, pct_start=nan)),
    ("OneCycleLR(Adam, beta1 1.5 -> -0.5)", "Adam", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=40, max_momentum=1.5, base_momentum=-0.5)),
]  # fmt: skip


@pytest.mark.parametrize("name,cls,make", EDGE_SCHEDULES, ids=[c[0] for c in EDGE_SCHEDULES])
def test_edge_arguments_give_torchs_schedule(name, cls, make):
    opt_s, opt_t = make_optimizers(cls)
    sched_s, sched_t = make(sl, opt_s), make(tl, opt_t)
    lrs_s, moms_s, epochs_s = history(opt_s, sched_s, 40)
    lrs_t, moms_t, epochs_t = history(opt_t, sched_t, 40)
    assert epochs_s == epochs_t
    assert_same_sequence(lrs_s, lrs_t, component=name, tensor="lr per group")
    assert_same_sequence(moms_s, moms_t, component=name, tensor="momentum / beta1 per group")


@pytest.mark.parametrize("last_epoch", [-2, 0, 1.5, 7])
def test_resuming_at_any_last_epoch_matches_torch(last_epoch):
    """torch resumes from any last_epoch but -1 (initial_lr must be in the groups), -2 too."""
    opt_s, opt_t = make_optimizers("SGD")
    for opt in (opt_s, opt_t):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
    sched_s, sched_t = (
        sl.StepLR(opt_s, 2, last_epoch=last_epoch),
        tl.StepLR(opt_t, 2, last_epoch=last_epoch),
    )
    lrs_s, _, epochs_s = history(opt_s, sched_s, 12)
    lrs_t, _, epochs_t = history(opt_t, sched_t, 12)
    assert epochs_s == epochs_t
    assert_same_sequence(lrs_s, lrs_t, component=f"StepLR(last_epoch={last_epoch})", tensor="lr")


# torch builds these, then divides by zero at the first step(); scratch refuses them when built
DIVIDE_BY_ZERO_LATER = [
    ("StepLR(step_size=0)", lambda m, o: m.StepLR(o, step_size=0), "step_size must be non-zero"),
    ("CosineAnnealingLR(T_max=0)", lambda m, o: m.CosineAnnealingLR(o, T_max=0), "T_max must be non-zero"),
]  # fmt: skip


@pytest.mark.parametrize(
    "name,make,match", DIVIDE_BY_ZERO_LATER, ids=[c[0] for c in DIVIDE_BY_ZERO_LATER]
)
def test_zero_periods_fail_in_torch_and_are_refused_up_front(name, make, match):
    opt_s, opt_t = make_optimizers("SGD")
    sched_t = make(tl, opt_t)
    opt_t.step()
    with pytest.raises(ZeroDivisionError):
        sched_t.step()
    with pytest.raises(ValueError, match=match):
        make(sl, opt_s)


def _opt():
    return make_optimizers("SGD")[0]


BAD_INPUT = [
    (lambda: sl.StepLR(_opt(), step_size="10"), TypeError, "step_size must be a number"),
    (lambda: sl.StepLR(_opt(), 10, gamma=None), TypeError, "gamma must be a number"),
    (lambda: sl.MultiStepLR(_opt(), 10), TypeError, "milestones must be an iterable"),
    (lambda: sl.ExponentialLR(_opt(), gamma="0.9"), TypeError, "gamma"),
    (lambda: sl.CosineAnnealingLR(_opt(), T_max=10, eta_min="0"), TypeError, "eta_min"),
    (lambda: sl.LinearLR(_opt(), start_factor=0.0), ValueError, "start_factor must be in"),
    (lambda: sl.LinearLR(_opt(), start_factor=1.5), ValueError, "start_factor"),
    (lambda: sl.LinearLR(_opt(), end_factor=2.0), ValueError, "end_factor"),
    (lambda: sl.LinearLR(_opt(), end_factor=-0.1), ValueError, "end_factor"),
    (lambda: sl.LinearLR(_opt(), total_iters=None), TypeError, "total_iters"),
    (lambda: sl.SequentialLR(_opt(), [], []), ValueError, "at least one scheduler"),
    (lambda: sl.SequentialLR(o := _opt(), [sl.StepLR(o, 5), sl.StepLR(o, 5)], []), ValueError, "one milestone fewer"),
    (lambda: sl.SequentialLR(_opt(), [sl.StepLR(_opt(), 5)], []), ValueError, "same optimizer"),
    (lambda: sl.SequentialLR(o := _opt(), [sl.StepLR(o, 5), sl.StepLR(o, 5)], ["10"]), TypeError, r"milestones\[0\] must be a number"),
    (lambda: sl.OneCycleLR(_opt(), 0.1), ValueError, "either total_steps OR"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, total_steps=0), ValueError, "total_steps must be a positive integer"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, total_steps=10.0), ValueError, "total_steps must be a positive integer"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, total_steps=np.int64(10)), ValueError, "a Python int"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, epochs=3, steps_per_epoch=-1), ValueError, "steps_per_epoch"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, 10, pct_start=1.5), ValueError, "pct_start"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, 10, pct_start=0), ValueError, "pct_start must be a float"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, 10, anneal_strategy="step"), ValueError, "anneal_strategy"),
    (lambda: sl.OneCycleLR(_opt(), "0.1", 10), TypeError, "max_lr"),
    (lambda: sl.OneCycleLR(_opt(), [0.1], 10), ValueError, "one value per param group"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, 10, div_factor=0), ValueError, "div_factor must be non-zero"),
    (lambda: sl.OneCycleLR(_opt(), 0.1, 10, final_div_factor=0.0), ValueError, "final_div_factor"),
    (lambda: sl.OneCycleLR(so.Adam([Parameter(np.zeros(1))]), 0.1, 10, max_momentum=None), TypeError, "max_momentum"),
    (lambda: sl.StepLR(object(), 10), TypeError, "is not a scratch.optim Optimizer"),
    (lambda: sl.StepLR(_opt(), 10, last_epoch=5), ValueError, "initial_lr"),
    (lambda: sl.StepLR(_opt(), 10, last_epoch=None), TypeError, "last_epoch"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
