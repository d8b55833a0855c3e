"""Parity of scratch/optim (SGD, RMSprop, Adam, AdamW) with torch.optim, step by step.

Twin: torch_ref/optim/ (torch's own optimizers). Long trajectories on real problems are in
test_trajectories.py; here: defaults, param groups, skipped parameters, both dtypes,
state_dict, the seed's own rules (momentum with lr inside, RMSProp with ε inside the
root) against torch's, Adam's L2 against AdamW's decoupled decay, and bad input.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.optim as so
import torch_ref.optim as to
import torch_ref.optim.lr_scheduler as tl
from parity_check.core.harness import (
    DTYPES,
    PROFILES,
    assert_close,
    assert_trajectory_close,
)
from parity_tests.optim_cases import OPTIMIZERS, flat, race
from scratch.datasets import BEALE_START, beale_grad
from scratch.nn import Parameter
from scratch.optim.seed_rules import seed_momentum_step, seed_rmsprop_step
from torch_ref.datasets import beale

SHAPES = [(3, 4), (5,), (2, 2, 2)]
CLASSES = ["SGD", "RMSprop", "Adam", "AdamW"]


def twin_groups(dtype: str, seed: int = 0):
    """Three parameters in two groups (the second with its own lr and weight decay)."""
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(PROFILES[dtype].np_dtype) for s in SHAPES]
    ps = [Parameter(v) for v in values]
    ts = [torch.tensor(v, requires_grad=True) for v in values]
    extra = {"lr": 0.05, "weight_decay": 0.1}
    return ([{"params": ps[:2]}, {"params": ps[2:], **extra}],
            [{"params": ts[:2]}, {"params": ts[2:], **extra}])  # fmt: skip


def random_grads(dtype: str, steps: int = 30, seed: int = 1):
    """A fixed gradient sequence; the middle parameter has no gradient every third step."""
    rng = np.random.default_rng(seed)
    np_dtype = PROFILES[dtype].np_dtype
    return [[None if (k == 1 and t % 3 == 0) else rng.standard_normal(s).astype(np_dtype)
             for k, s in enumerate(SHAPES)] for t in range(steps)]  # fmt: skip


def feeder(groups, grads, to_torch: bool):
    """A ``grad()`` callback that hands out the next gradients of the fixed sequence."""
    params = [p for g in groups for p in g["params"]]
    step = iter(range(len(grads)))

    def grad():
        t = next(step)
        for p, g in zip(params, grads[t], strict=True):
            p.grad = None if g is None else (torch.from_numpy(g.copy()) if to_torch else g.copy())

    return grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,cls,kwargs", OPTIMIZERS, ids=[c[0] for c in OPTIMIZERS])
def test_steps_match_torch(name, cls, kwargs, dtype):
    groups_s, groups_t = twin_groups(dtype)
    grads = random_grads(dtype)
    traj_s, traj_t = race(cls, dict(kwargs, lr=0.01), groups_s, groups_t,
                          feeder(groups_s, grads, False), feeder(groups_t, grads, True), len(grads))  # fmt: skip
    assert_trajectory_close(traj_s, traj_t, component=name, dtype=dtype,
                            tensor="parameters (2 groups, one grad None every 3rd step)")  # fmt: skip
    assert all(p.dtype == PROFILES[dtype].np_dtype for g in groups_s for p in g["params"])


@pytest.mark.parametrize("cls", CLASSES)
def test_defaults_match_torch(cls):
    opt_s = getattr(so, cls)([Parameter(np.zeros(2))])
    opt_t = getattr(to, cls)([torch.zeros(2, requires_grad=True)])
    group_s, group_t = opt_s.param_groups[0], opt_t.param_groups[0]
    shared = set(group_s) - {"params"}
    assert shared <= set(group_t), shared - set(group_t)
    assert {k: group_s[k] for k in shared} == {k: group_t[k] for k in shared}


@pytest.mark.parametrize("cls", CLASSES)
def test_state_dict_matches_torch_and_resumes(cls):
    groups_s, groups_t = twin_groups("float64")
    grads = random_grads("float64", steps=20)
    opt_s, opt_t = getattr(so, cls)(groups_s, lr=0.01), getattr(to, cls)(groups_t, lr=0.01)
    grad_s, grad_t = feeder(groups_s, grads, False), feeder(groups_t, grads, True)
    for _ in range(10):
        for grad, opt in ((grad_s, opt_s), (grad_t, opt_t)):
            grad()
            opt.step()
    saved_s, saved_t = opt_s.state_dict(), opt_t.state_dict()
    assert saved_s["state"].keys() == saved_t["state"].keys()
    for index, state in saved_s["state"].items():
        assert state.keys() == saved_t["state"][index].keys()
        for key, value in state.items():
            assert_close(np.asarray(value), saved_t["state"][index][key].double(), component=cls,
                         tensor=f"state[{index}][{key!r}]", dtype="float64")  # fmt: skip
    # resume twice: from scratch's own state_dict and from torch's; both go on like torch
    resumed = []
    for saved in (saved_s, saved_t):
        groups_r = [{**g, "params": [Parameter(p.data) for p in g["params"]]} for g in groups_s]
        opt_r = getattr(so, cls)(groups_r, lr=123.0)  # lr is restored by load_state_dict
        opt_r.load_state_dict(saved)
        resumed.append((opt_r, feeder(groups_r, grads[10:], False)))
    grad_t_rest = feeder(groups_t, grads[10:], True)
    for _ in range(10):
        for opt, grad in [(opt_t, grad_t_rest), *resumed]:
            grad()
            opt.step()
    for opt_r, _ in resumed:
        assert_close(flat(opt_r), flat(opt_t), component=cls, dtype="float64",
                     tensor="parameters 10 steps after load_state_dict")  # fmt: skip


def test_zero_grad_and_closure():
    p = Parameter(np.ones(3))
    opt = so.SGD([p], lr=0.5)
    p.grad = np.ones(3)
    assert opt.step(closure=lambda: 7.0) == 7.0
    np.testing.assert_array_equal(p.data, np.full(3, 0.5))
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # a parameter without a gradient is skipped, as in torch
    np.testing.assert_array_equal(p.data, np.full(3, 0.5))


# -- the seed's rules against torch's ------------------------------------------------------


def seed_vs_torch(seed_step, make_torch, steps: int = 300, schedule=None):
    """Run a seed rule (fed the lr torch's optimizer has at that step) against torch on Beale."""
    w, buf = np.array(BEALE_START), np.zeros(2)
    t = torch.tensor(BEALE_START, dtype=torch.float64, requires_grad=True)
    opt = make_torch([t])
    sched = schedule(opt) if schedule else None
    seed, ref = [], []
    for _ in range(steps):
        w, buf = seed_step(w, buf, np.array(beale_grad(*w)), opt.param_groups[0]["lr"])
        opt.zero_grad()
        beale(t[0], t[1]).backward()
        opt.step()
        if sched is not None:
            sched.step()
        seed.append(w)
        ref.append(t.detach().numpy().copy())
    return np.array(seed), np.array(ref)


def momentum_race(schedule=None):
    return seed_vs_torch(lambda w, v, g, lr: seed_momentum_step(w, v, g, lr, beta=0.9),
                         lambda p: to.SGD(p, lr=1e-3, momentum=0.9), schedule=schedule)  # fmt: skip


def test_seed_momentum_coincides_with_torch_at_constant_lr():
    """v = β v + lr g; w -= v  equals  b = μ b + g; θ -= lr b  when lr is constant (v = lr b)."""
    seed, ref = momentum_race()
    assert_trajectory_close(seed, ref, component="seed momentum vs torch SGD", dtype="float64",
                            tensor="Beale (x, y), constant lr")  # fmt: skip


def test_seed_momentum_diverges_from_torch_when_lr_changes():
    """Under StepLR (lr ÷ 10 at step 100) the rules agree until the drop, then part ways."""
    seed, ref = momentum_race(lambda opt: tl.StepLR(opt, step_size=100, gamma=0.1))
    assert_trajectory_close(seed[:100], ref[:100], component="seed momentum vs torch SGD",
                            dtype="float64", tensor="Beale (x, y), steps before the lr drop")  # fmt: skip
    # torch rescales the whole buffer by the new lr at once; the seed's v still carries
    # the old lr, so its first step after the drop is several times longer
    step_seed = np.linalg.norm(seed[100] - seed[99])
    step_torch = np.linalg.norm(ref[100] - ref[99])
    assert step_seed > 5 * step_torch, (step_seed, step_torch)
    assert np.abs(seed[-1] - ref[-1]).max() > 1e-3


def rmsprop_race(eps: float, eps_inside_root: bool, steps: int = 300):
    def seed_step(w, s, g, lr):
        return seed_rmsprop_step(w, s, g, lr, 0.99, eps, eps_inside_root=eps_inside_root)

    return seed_vs_torch(seed_step, lambda p: to.RMSprop(p, lr=1e-2, alpha=0.99, eps=eps), steps)


def test_seed_rmsprop_code_is_torchs_rule():
    """The seed's code, lr g / (√s + ε), is torch's RMSprop: same trajectory."""
    seed, ref = rmsprop_race(1e-8, eps_inside_root=False)
    assert_trajectory_close(seed, ref, component="seed RMSProp (ε outside) vs torch RMSprop",
                            dtype="float64", tensor="Beale (x, y)")  # fmt: skip


def test_seed_rmsprop_formula_meets_torch_only_as_eps_vanishes():
    """ε inside the root: the gap to torch shrinks in proportion to ε, and is far from 0."""
    gaps = {}
    for eps in (1e-4, 1e-8, 1e-12):
        seed, ref = rmsprop_race(eps, eps_inside_root=True, steps=100)  # 100 steps show it
        gaps[eps] = (np.abs(seed - ref) / np.abs(ref)).max()
    assert gaps[1e-8] > 1e-6, "with torch's default ε the seed's formula is a different rule"
    assert gaps[1e-4] > gaps[1e-8] > gaps[1e-12]
    assert 1e-5 < gaps[1e-12] / gaps[1e-8] < 1e-3, gaps  # ~1e-4: linear in ε


def test_rmsprop_eps_bound_and_vanishing_gradients():
    """|(√s + ε)/√(s + ε) - 1| ≤ ε max(1, 1/(2√s)) / √(s + ε); for s → 0 they differ by ~1/√ε."""
    eps = 1e-8
    s = np.logspace(-14, 4, 200)
    ratio = (np.sqrt(s) + eps) / np.sqrt(s + eps)
    assert (np.abs(ratio - 1) <= eps * np.maximum(1, 0.5 / np.sqrt(s)) / np.sqrt(s + eps)).all()
    meet = ((1 - eps) / 2) ** 2  # the one s where the two denominators are equal
    assert abs((np.sqrt(meet) + eps) / np.sqrt(meet + eps) - 1) < 1e-15
    # a gradient of 1e-9: torch (ε outside) steps ~10⁴ times further than the seed's formula
    g = np.array([1e-9])
    seed_w, _ = seed_rmsprop_step(np.zeros(1), np.zeros(1), g, 1e-2, 0.99, eps)
    t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    t.grad = torch.from_numpy(g.copy())
    to.RMSprop([t], lr=1e-2, alpha=0.99, eps=eps).step()
    assert abs(t.item()) > 5e3 * abs(seed_w[0])


# -- Adam's L2 against AdamW's decoupled decay ----------------------------------------------


def test_adamw_decay_is_not_normalised_by_the_gradient_history():
    """Adam's L2 term λθ is divided by √v; AdamW's θ(1 - lr λ) is not.

    Two weights start at 1; the first sees gradients ±100, the second ±0.01 (independent
    of the weights, so decay is the only difference between a run with λ and one without).
    AdamW shrinks both by the same amount; Adam barely decays the large-gradient weight and
    decays the small-gradient one far more.
    """
    G = np.random.default_rng(0).choice([-1.0, 1.0], (200, 2)) * np.array([100.0, 0.01])

    def final(lib, cls, weight_decay):
        p = Parameter(np.ones(2)) if lib is so else torch.ones(2, dtype=torch.float64)
        opt = getattr(lib, cls)([p], lr=1e-3, weight_decay=weight_decay)
        for g in G:
            p.grad = g.copy() if lib is so else torch.from_numpy(g.copy())
            opt.step()
        return p.data if lib is so else p.numpy()

    effect = {}
    for cls in ("Adam", "AdamW"):
        for wd in (0.0, 0.1):
            assert_close(final(so, cls, wd), final(to, cls, wd), component=cls,
                         tensor=f"final weights, weight_decay={wd}", dtype="float64")  # fmt: skip
        effect[cls] = final(so, cls, 0.0) - final(so, cls, 0.1)  # how much decay shrank each
    assert effect["AdamW"][0] == pytest.approx(effect["AdamW"][1], rel=0.01)
    assert effect["AdamW"][0] > 50 * effect["Adam"][0]  # large gradients hide Adam's L2
    assert effect["Adam"][1] > 5 * effect["AdamW"][1]  # small gradients amplify it
    assert (effect["Adam"] > 0).all() and (effect["AdamW"] > 0).all()


# -- bad input -----------------------------------------------------------------------------


def _ps():
    return [Parameter(np.zeros(2))]


BAD_INPUT = [
    (lambda: so.SGD(_ps(), lr=-0.1), ValueError, "lr must be >= 0"),
    (lambda: so.SGD(_ps(), lr="0.1"), TypeError, "lr must be a number"),
    (lambda: so.Adam(_ps(), lr=float("nan")), ValueError, "lr must be >= 0, got nan"),
    (lambda: so.RMSprop(_ps(), lr=float("nan")), ValueError, "lr"),
    (lambda: so.SGD(_ps(), momentum=-0.9), ValueError, "momentum must be"),
    (lambda: so.SGD(_ps(), dampening=None), TypeError, "dampening"),
    (lambda: so.SGD(_ps(), weight_decay=-1e-4), ValueError, "weight_decay"),
    (lambda: so.SGD(_ps(), nesterov=True), ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    (lambda: so.SGD(_ps(), momentum=0.9, dampening=0.1, nesterov=True), ValueError, "Nesterov"),
    (lambda: so.RMSprop(_ps(), alpha=-0.5), ValueError, "alpha"),
    (lambda: so.RMSprop(_ps(), eps=-1e-8), ValueError, "eps"),
    (lambda: so.RMSprop(_ps(), momentum=-0.1), ValueError, "momentum"),
    (lambda: so.RMSprop(_ps(), weight_decay=float("nan")), ValueError, "weight_decay"),
    (lambda: so.Adam(_ps(), betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (lambda: so.Adam(_ps(), betas=(0.9, 1.0)), ValueError, r"betas\[1\]"),
    (lambda: so.Adam(_ps(), betas=(-0.1, 0.999)), ValueError, r"betas\[0\]"),
    (lambda: so.Adam(_ps(), betas=(float("nan"), 0.999)), ValueError, r"betas\[0\]"),
    (lambda: so.Adam(_ps(), betas=(0, 0.999)), ValueError, "betas must both be floats"),
    (lambda: so.Adam(_ps(), betas=(np.float32(0.9), 0.999)), ValueError, "betas must both be floats"),
    (lambda: so.Adam(_ps(), betas=0.9), TypeError, "betas must be a pair"),
    (lambda: so.Adam(_ps(), betas=(0.9,)), TypeError, "betas must be a pair"),
    (lambda: so.Adam(_ps(), eps=-1e-8), ValueError, "eps"),
    (lambda: so.Adam(_ps(), eps=float("nan")), ValueError, "eps"),
    (lambda: so.AdamW(_ps(), weight_decay=-0.01), ValueError, "weight_decay"),
    (lambda: so.AdamW(_ps(), betas=(0.9, 1.5)), ValueError, r"betas\[1\]"),
    (lambda: so.SGD([]), ValueError, "optimizer got an empty parameter list"),
    (lambda: so.Adam(iter([])), ValueError, "empty parameter list"),
    (lambda: so.SGD(Parameter(np.zeros(2))), TypeError, "wrap it in a list"),
    (lambda: so.SGD([{"params": {Parameter(np.zeros(2))}}]), TypeError, "not a set"),
    (lambda: so.SGD([np.zeros(2)]), TypeError, "scratch.nn.Parameter"),
    (lambda: so.SGD([{"lr": 0.1}]), ValueError, "'params' entry"),
    (lambda: so.SGD([{"params": (p := _ps())}, {"params": p}]), ValueError, "more than one parameter group"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_bad_step_and_state():
    p = Parameter(np.zeros(2))
    opt = so.SGD([p], lr=0.1)
    p.grad = np.zeros(3)
    with pytest.raises(ValueError, match="grad has shape"):
        opt.step()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
