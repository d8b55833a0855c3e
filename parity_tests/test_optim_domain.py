"""The hyper-parameters and parameter lists torch.optim takes, and the trajectories it makes
of them: split from test_optim.py (which keeps the step-by-step parity and bad input).

NaN and inf learning rates, SGD's unchecked dampening, RMSprop's alpha above 1, a set of
parameters, empty groups and duplicate parameters: scratch takes what torch 2.14.1 takes,
with torch's trajectory.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.optim as so
import torch_ref.optim as to
from parity_check.core.harness import (
    PROFILES,
    assert_trajectory_close,
    measure,
)
from parity_tests.optim_cases import OPTIMIZERS, flat, race
from parity_tests.test_optim import feeder, random_grads, twin_groups
from scratch.nn import Parameter

# -- the arguments torch takes ----------------------------------------------------------------

nan, inf = float("nan"), float("inf")
# Hyper-parameters torch 2.14.1 accepts (SGD's ``lr < 0.0`` lets NaN through, Adam's and
# RMSprop's ``not 0.0 <= x`` do not; inf passes all; SGD never checks dampening; RMSprop's
# alpha may exceed 1) and the trajectories it makes of them, NaN and inf included.
EDGE_HYPERS = [
    ("SGD(lr=0)", "SGD", dict(lr=0)),
    ("SGD(lr=nan)", "SGD", dict(lr=nan)),
    ("SGD(lr=inf)", "SGD", dict(lr=inf, momentum=0.9)),
    ("SGD(lr=True)", "SGD", dict(lr=True)),
    ("SGD(momentum=nan)", "SGD", dict(momentum=nan)),
    ("SGD(momentum=1.5)", "SGD", dict(momentum=1.5)),
    ("SGD(dampening=-1)", "SGD", dict(momentum=0.9, dampening=-1)),
    ("SGD(dampening=nan)", "SGD", dict(momentum=0.9, dampening=nan)),
    ("SGD(weight_decay=inf)", "SGD", dict(weight_decay=inf)),
    ("RMSprop(alpha=0)", "RMSprop", dict(alpha=0)),
    ("RMSprop(alpha=1)", "RMSprop", dict(alpha=1)),
    ("RMSprop(alpha=1.5)", "RMSprop", dict(alpha=1.5)),
    ("RMSprop(eps=0, momentum=1.5)", "RMSprop", dict(eps=0, momentum=1.5)),
    ("RMSprop(lr=inf)", "RMSprop", dict(lr=inf)),
    ("Adam(eps=0)", "Adam", dict(eps=0)),
    ("Adam(eps=inf)", "Adam", dict(eps=inf)),
    ("Adam(lr=inf)", "Adam", dict(lr=inf)),
    ("Adam(betas=(0.0, 0.0))", "Adam", dict(betas=(0.0, 0.0))),
    ("Adam(betas of 3, the 3rd ignored)", "Adam", dict(betas=[0.8, 0.9, 7])),
    ("AdamW(weight_decay=inf)", "AdamW", dict(weight_decay=inf)),
]  # fmt: skip


def assert_same_trajectory(actual, expected, *, component: str, tensor: str) -> None:
    """``assert_trajectory_close`` (float64), plus ``measure``: a NaN or inf must sit where
    torch's does (the per-step test alone lets a NaN through)."""
    with np.errstate(invalid="ignore"):  # inf - inf where both twins reached inf
        assert_trajectory_close(actual, expected, component=component, tensor=tensor,
                                dtype="float64")  # fmt: skip
    p = PROFILES["float64"]
    comparison = measure(np.array(actual), np.array(expected), rtol=p.rtol, atol=p.atol)
    assert comparison.passed, f"[{component}] {tensor}: scratch != torch, {comparison}"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's note on inf·0 and NaN
@pytest.mark.parametrize("name,cls,kwargs", EDGE_HYPERS, ids=[c[0] for c in EDGE_HYPERS])
def test_edge_hyperparameters_give_torchs_trajectory(name, cls, kwargs):
    groups_s, groups_t = twin_groups("float64")
    grads = random_grads("float64", steps=8)
    traj_s, traj_t = race(cls, kwargs, groups_s, groups_t, feeder(groups_s, grads, False),
                          feeder(groups_t, grads, True), len(grads))  # fmt: skip
    assert_same_trajectory(traj_s, traj_t, component=name, tensor="parameters")


def _one_param(lib: str, value: float = 1.0, n: int = 3):
    data = np.linspace(-1.0, 1.0, n) * value
    return Parameter(data.copy()) if lib == "scratch" else torch.tensor(data, requires_grad=True)


# torch checks the constructor's arguments only, never a group's own values; a group may be
# empty, the top-level params may be a set, and a parameter listed twice draws a warning
# (then each copy is updated in turn). name, optimizer class, params factory, kwargs
GROUPS_TORCH_TAKES = [
    ("SGD(group lr=-0.1, momentum=-0.5)", "SGD", lambda lib: [{"params": [_one_param(lib)], "lr": -0.1, "momentum": -0.5}], dict(lr=0.1)),
    ("Adam(group betas=(0, 0.5))", "Adam", lambda lib: [{"params": [_one_param(lib)], "betas": (0, 0.5)}], dict(lr=0.1)),
    ("RMSprop(group alpha=-1)", "RMSprop", lambda lib: [{"params": [_one_param(lib)], "alpha": -1.0}], dict(lr=0.01)),
    ("SGD(an empty group)", "SGD", lambda lib: [{"params": []}, {"params": [_one_param(lib)]}], dict(lr=0.1)),
    ("SGD(a set of one parameter)", "SGD", lambda lib: {_one_param(lib)}, dict(lr=0.1, momentum=0.9)),
]  # fmt: skip


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    "name,cls,params,kwargs", GROUPS_TORCH_TAKES, ids=[c[0] for c in GROUPS_TORCH_TAKES]
)
def test_param_groups_torch_takes(name, cls, params, kwargs):
    trajectories = {}
    for lib, optim in (("scratch", so), ("torch", to)):
        optimizer = getattr(optim, cls)(params(lib), **kwargs)
        trajectories[lib] = []
        for t in range(6):
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = np.cos(np.arange(p.shape[0]) + t)
                    p.grad = g if lib == "scratch" else torch.from_numpy(g)
            optimizer.step()
            trajectories[lib].append(flat(optimizer))
    assert_same_trajectory(trajectories["scratch"], trajectories["torch"], component=name,
                           tensor="parameters")  # fmt: skip


@pytest.mark.parametrize("name,cls,kwargs", OPTIMIZERS, ids=[c[0] for c in OPTIMIZERS])
def test_duplicate_parameters_warn_and_match_torch(name, cls, kwargs):
    """[p, q, p]: torch warns, then updates p twice per step; its SGD reads every momentum
    buffer before updating, so at the first step both copies start a buffer from the gradient."""
    trajectories = {}
    for lib, optim in (("scratch", so), ("torch", to)):
        p, q = _one_param(lib, 1.0, 2), _one_param(lib, 0.5, 3)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            optimizer = getattr(optim, cls)([p, q, p], **dict(kwargs, lr=0.05))
        trajectories[lib] = []
        for _ in range(5):
            for x, k in ((p, 2.0), (q, 3.0)):
                x.grad = k * (x.data.copy() if lib == "scratch" else x.detach().clone())
            optimizer.step()
            trajectories[lib].append(flat(optimizer)[:5])  # p, q (p again last)
    assert_same_trajectory(trajectories["scratch"], trajectories["torch"], component=name,
                           tensor="[p, q, p] parameters")  # fmt: skip


# torch's kernel choices (foreach, fused): taken, and the trajectory is torch's
KERNEL_FLAGS = [
    ("SGD(foreach=True)", "SGD", dict(lr=0.1, momentum=0.9, foreach=True)),
    ("Adam(foreach=False)", "Adam", dict(lr=0.1, foreach=False)),
    ("Adam(fused=True)", "Adam", dict(lr=0.1, fused=True)),
    ("AdamW(foreach=True, amsgrad)", "AdamW", dict(lr=0.1, foreach=True, amsgrad=True)),
    ("RMSprop(foreach=True)", "RMSprop", dict(lr=0.01, foreach=True, centered=True)),
]  # fmt: skip


@pytest.mark.parametrize("name,cls,kwargs", KERNEL_FLAGS, ids=[c[0] for c in KERNEL_FLAGS])
def test_kernel_choices_are_taken_and_change_nothing(name, cls, kwargs):
    groups_s, groups_t = twin_groups("float64")
    grads = random_grads("float64", steps=4)
    traj_s, traj_t = race(cls, kwargs, groups_s, groups_t, feeder(groups_s, grads, False),
                          feeder(groups_t, grads, True), len(grads))  # fmt: skip
    assert_same_trajectory(traj_s, traj_t, component=name, tensor="parameters")


def test_rmsprop_takes_torchs_positional_order():
    """RMSprop(params, lr, alpha, eps, weight_decay, momentum, centered, capturable, foreach,
    maximize, differentiable): no keyword-only marker in torch's signature."""
    s = so.RMSprop([_one_param("scratch")], 0.01, 0.9, 1e-8, 0, 0, False, False, None, True)
    t = to.RMSprop([_one_param("torch")], 0.01, 0.9, 1e-8, 0, 0, False, False, None, True)
    assert s.param_groups[0]["maximize"] is t.param_groups[0]["maximize"] is True


@pytest.mark.parametrize("cls", ["SGD", "Adam", "AdamW", "RMSprop"])
@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_gpu_and_autograd_flags_are_refused_where_torch_fails_on_cpu(cls, flag):
    """capturable=True needs a GPU and differentiable=True autograd: torch fails at the step
    with a CPU leaf parameter; scratch refuses at once, naming the flag."""
    if flag == "capturable" and cls == "SGD":
        pytest.skip("torch's SGD has no capturable")
    p = _one_param("torch")
    p.grad = torch.ones(3, dtype=torch.float64)
    with pytest.raises((AssertionError, RuntimeError)):
        getattr(to, cls)([p], lr=0.1, **{flag: True}).step()
    with pytest.raises(ValueError, match=f"{flag}=True"):
        getattr(so, cls)([_one_param("scratch")], lr=0.1, **{flag: True})
