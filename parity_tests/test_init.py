"""Parity of scratch/nn/init.py with torch.nn.init (torch_ref/nn/init.py), and of the seed's
activations-by-depth experiment (scratch/experiments.py ↔ torch_ref/experiments.py).

The twins draw from different random streams, so the proof is in three layers:
1. exact: the bound/std each twin asks its sampler for (scratch's recorded from a spying
   ``numpy.random.Generator``, torch's from a ``TorchFunctionMode``) are bitwise equal;
2. moments: each twin's sample mean and variance are within 5 standard errors of the
   theoretical ones (standard errors from the distribution's fourth moment);
3. shape: a two-sample Kolmogorov-Smirnov test cannot tell scratch's samples from torch's
   (p > 1e-4), while it does reject a sample of the wrong scheme (p < 1e-6), so it can fail.
All seeds are fixed: the tests are deterministic and never flake.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp

import scratch.experiments as sx
import scratch.nn.init as si
import torch_ref.experiments as tx
import torch_ref.nn.init as ti
from parity_check.core.harness import assert_close

LINEAR, CONV2D, CONV1D = (48, 80), (16, 8, 3, 3), (6, 4, 5)
# name, scratch init, torch init, shape, kwargs
CASES = [
    ("uniform_", si.uniform_, ti.uniform_, LINEAR, dict(a=-0.3, b=0.7)),
    ("normal_", si.normal_, ti.normal_, LINEAR, dict(mean=0.5, std=2.0)),
    ("xavier_uniform_", si.xavier_uniform_, ti.xavier_uniform_, LINEAR, {}),
    ("xavier_uniform_(conv, gain)", si.xavier_uniform_, ti.xavier_uniform_, CONV2D, dict(gain=si.calculate_gain("tanh"))),
    ("xavier_normal_", si.xavier_normal_, ti.xavier_normal_, CONV1D, {}),
    ("xavier_normal_(gain)", si.xavier_normal_, ti.xavier_normal_, LINEAR, dict(gain=2.5)),
    ("kaiming_uniform_", si.kaiming_uniform_, ti.kaiming_uniform_, LINEAR, {}),
    ("kaiming_uniform_(a=sqrt5)", si.kaiming_uniform_, ti.kaiming_uniform_, CONV2D, dict(a=math.sqrt(5))),
    ("kaiming_uniform_(fan_out, relu)", si.kaiming_uniform_, ti.kaiming_uniform_, CONV2D, dict(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", si.kaiming_normal_, ti.kaiming_normal_, CONV2D, {}),
    ("kaiming_normal_(fan_out, leaky 0.2)", si.kaiming_normal_, ti.kaiming_normal_, LINEAR, dict(a=0.2, mode="fan_out")),
    ("kaiming_normal_(FAN_IN, tanh)", si.kaiming_normal_, ti.kaiming_normal_, CONV1D, dict(mode="FAN_IN", nonlinearity="tanh")),
    ("kaiming_normal_(selu)", si.kaiming_normal_, ti.kaiming_normal_, LINEAR, dict(nonlinearity="selu")),
    ("lecun_normal_", si.lecun_normal_, ti.lecun_normal_, CONV2D, {}),
]  # fmt: skip
IDS = [c[0] for c in CASES]


class SpyGenerator:
    """A ``numpy.random.Generator`` stand-in that records what it is asked to sample."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.calls: list[tuple[str, float, float]] = []

    def uniform(self, low, high, size):
        self.calls.append(("uniform", float(low), float(high)))
        return self.rng.uniform(low, high, size)

    def normal(self, loc, scale, size):
        self.calls.append(("normal", float(loc), float(scale)))
        return self.rng.normal(loc, scale, size)


@pytest.mark.parametrize("name,init,torch_init,shape,kwargs", CASES, ids=IDS)
def test_requested_bound_or_std_is_bitwise_torch(name, init, torch_init, shape, kwargs):
    spy = SpyGenerator()
    w = np.zeros(shape)
    out = init(w, **kwargs, generator=spy)
    assert out is w and np.all(w != 0), f"{name} must fill its argument in place and return it"
    ((kind, a, b),) = spy.calls
    t_kind, t_a, t_b = ti.requested_distribution(torch_init, shape, **kwargs)
    assert kind == t_kind, f"{name}: scratch samples {kind}, torch {t_kind}"
    # the same double-precision formula in the same order: equal to the last bit (atol is a
    # denormal rather than 0 only so the harness's headroom ratio is not 0/0)
    assert_close(np.array([a, b]), torch.tensor([t_a, t_b], dtype=torch.float64), component=name,
                 tensor=f"{kind} parameters", dtype="float64", rtol=0, atol=1e-300)  # fmt: skip


def theoretical_moments(kind: str, a: float, b: float) -> tuple[float, float, float]:
    """mean, variance and fourth central moment of U(a, b) or N(a, b²)."""
    if kind == "uniform":
        var = (b - a) ** 2 / 12
        return (a + b) / 2, var, 9 / 5 * var**2
    return a, b**2, 3 * b**4


def assert_moments(name: str, twin: str, x: np.ndarray, kind: str, a: float, b: float) -> None:
    mean, var, mu4 = theoretical_moments(kind, a, b)
    n = x.size
    z_mean = (x.mean() - mean) / math.sqrt(var / n)
    z_var = (x.var() - var) / math.sqrt((mu4 - var**2) / n)
    assert abs(z_mean) < 5 and abs(z_var) < 5, f"{name} ({twin}): z(mean)={z_mean:.2f}, z(var)={z_var:.2f}"  # fmt: skip


BIG = {LINEAR: (256, 128), CONV2D: (64, 32, 3, 3), CONV1D: (64, 32, 9)}  # ~20k-33k samples


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,init,torch_init,shape,kwargs", CASES, ids=IDS)
def test_samples_match_torch_in_distribution(name, init, torch_init, shape, kwargs, dtype):
    shape = BIG[shape]
    kind, a, b = ti.requested_distribution(torch_init, shape, **kwargs)
    x_s = init(np.empty(shape, dtype), **kwargs, generator=np.random.default_rng(11))
    assert x_s.dtype == np.dtype(dtype)
    x_t = torch_init(torch.empty(shape, dtype=getattr(torch, dtype)), **kwargs,
                     generator=torch.Generator().manual_seed(11)).numpy()  # fmt: skip
    for twin, x in (("scratch", x_s), ("torch", x_t)):
        assert_moments(name, twin, x.astype(np.float64), kind, a, b)
    p = ks_2samp(x_s.ravel(), x_t.ravel()).pvalue
    assert p > 1e-4, f"{name}: KS test tells scratch's samples from torch's (p={p:.2e})"


def test_ks_test_can_fail():
    """The negative control: He normal (std sqrt(2/fan_in)) vs Xavier normal are told apart."""
    shape = BIG[LINEAR]
    x_s = si.xavier_normal_(np.empty(shape), generator=np.random.default_rng(0))
    x_t = ti.kaiming_normal_(torch.empty(shape, dtype=torch.float64), generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert ks_2samp(x_s.ravel(), x_t.numpy().ravel()).pvalue < 1e-6


GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
         ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)), ("selu", None)]  # fmt: skip


@pytest.mark.parametrize("nonlinearity,param", GAINS)
def test_calculate_gain(nonlinearity, param):
    gain, t_gain = si.calculate_gain(nonlinearity, param), ti.calculate_gain(nonlinearity, param)
    assert gain == t_gain, f"calculate_gain({nonlinearity!r}, {param}): {gain} != {t_gain}"


# torch takes only a Python int (not a bool) or float as leaky_relu's slope: np.float64 is a
# float; np.float32, np.int64 and NumPy's bool are not
SLOPES = [np.float32(0.2), np.int64(1), np.bool_(True), True, "0.2", np.float64(0.2), 1, 0.2]


@pytest.mark.parametrize("param", SLOPES, ids=repr)
def test_leaky_relu_slope_types_as_torch(param):
    """calculate_gain and kaiming_*_'s ``a`` take and refuse exactly the slopes torch does."""
    calls = [(si.calculate_gain, ti.calculate_gain, ("leaky_relu", param))]
    for f in ("kaiming_uniform_", "kaiming_normal_"):
        calls.append((lambda a, f=f: getattr(si, f)(np.empty((3, 4)), a=a),
                      lambda a, f=f: getattr(ti, f)(torch.empty(3, 4), a=a), (param,)))  # fmt: skip
    for ours, theirs, args in calls:
        try:
            expected = theirs(*args)
        except ValueError as error:
            assert "not a valid number" in str(error)
            with pytest.raises(ValueError, match="not a valid number"):
                ours(*args)
        else:
            got = ours(*args)
            if isinstance(expected, float):
                assert got == expected


@pytest.mark.parametrize(
    "shape", [(3, 5), (5, 3), LINEAR, CONV1D, CONV2D, (4, 2, 3, 3, 3), (7, 1, 1, 1)]
)
def test_fan_in_and_fan_out(shape):
    fans = si.calculate_fan_in_and_fan_out(np.empty(shape))
    assert fans == ti.calculate_fan_in_and_fan_out(torch.empty(shape)), shape


# -- the seed's experiment: 10 ReLU layers of 256 units, one run per init scheme -------------
SEEDS = range(4)  # independent networks per twin; their spread is the sampling error
BATCH = 16


def log_stats(twin: str, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """log(mean) and log(std) per layer, one row per seed."""
    runs = []
    for seed in SEEDS:
        if twin == "scratch":
            m, s = sx.activation_stats_by_depth(scheme, batch=BATCH, generator=np.random.default_rng(seed))  # fmt: skip
        else:
            m, s = (t.numpy() for t in tx.activation_stats_by_depth(
                scheme, batch=BATCH, generator=torch.Generator().manual_seed(1000 + seed)))  # fmt: skip
        runs.append((np.log(m), np.log(s)))
    return tuple(np.array(r) for r in zip(*runs, strict=True))


@pytest.mark.parametrize("scheme", sx.INIT_SCHEMES)
def test_activation_stats_by_depth_parity_and_story(scheme):
    stats = {twin: log_stats(twin, scheme) for twin in ("scratch", "torch")}
    for i, what in enumerate(("mean", "std")):
        a, b = stats["scratch"][i], stats["torch"][i]
        # Welch's z per layer on log scale; the noise is mostly the random weights (it grows
        # with depth), estimated from the seeds' spread; 6 standard errors = never by chance
        se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
        z = (a.mean(axis=0) - b.mean(axis=0)) / se
        assert np.all(np.abs(z) < 6), (
            f"{scheme}: activation {what} by layer differs, z={z.round(1)}"
        )
    for twin, (_, log_std) in stats.items():
        ratio = np.exp(log_std[:, -1] - log_std[:, 0])  # last layer's std / first layer's
        if scheme == "kaiming":
            assert np.all((0.5 <= ratio) & (ratio <= 2)), (
                f"He init must keep std stable ({twin}): {ratio}"
            )
        if scheme == "normal_0.01":
            assert np.all(ratio < 1e-6), f"std 0.01 must collapse ({twin}): {ratio}"
        if scheme == "normal_1":
            assert np.all(ratio > 1e6), f"std 1 must explode ({twin}): {ratio}"
        if scheme in ("xavier", "lecun"):  # gain 1 loses sqrt(2) per ReLU layer: ≈ 2^-4.5
            assert np.all((0.01 < ratio) & (ratio < 0.2)), (
                f"{scheme} must decay slowly ({twin}): {ratio}"
            )


def test_activation_stats_take_the_course_input_width():
    """The course feeds 784 inputs (an MNIST image) to its first layer of 256 (in_features).

    With N(0, 1) weights the first layer's pre-activations have variance 784, so its ReLU
    outputs have std √(784·(1 - 1/π)/2) ≈ 16.35 (it would be 9.3 with 256 inputs).
    """
    expected = math.sqrt(784 * (1 - 1 / math.pi) / 2)
    _, s_std = sx.activation_stats_by_depth("normal_1", batch=200, in_features=784,
                                            generator=np.random.default_rng(0))  # fmt: skip
    _, t_std = tx.activation_stats_by_depth("normal_1", batch=200, in_features=784,
                                            generator=torch.Generator().manual_seed(0))  # fmt: skip
    for twin, std in (("scratch", s_std[0]), ("torch", float(t_std[0]))):
        assert abs(std / expected - 1) < 0.05, f"{twin}: first-layer std {std:.2f}, expected {expected:.2f}"  # fmt: skip


BAD_INPUT = [
    (lambda: si.calculate_gain("swish"), ValueError, "Unsupported nonlinearity 'swish'"),
    (lambda: si.kaiming_normal_(np.empty((3, 3)), nonlinearity="gelu"), ValueError, "Unsupported nonlinearity"),
    (lambda: si.calculate_gain("leaky_relu", True), ValueError, "negative_slope True not a valid number"),
    (lambda: si.calculate_gain("leaky_relu", "0.1"), ValueError, "not a valid number"),
    (lambda: si.kaiming_uniform_(np.empty((3, 3)), mode="fan_avg"), ValueError, "Mode 'fan_avg' not supported"),
    (lambda: si.xavier_uniform_(np.empty(3)), ValueError, "fewer than 2 dimensions"),
    (lambda: si.kaiming_normal_(np.empty(3)), ValueError, "fewer than 2 dimensions"),
    (lambda: si.xavier_normal_(np.zeros((3, 3), np.int64)), TypeError, "tensor must have dtype float32 or float64"),
    (lambda: si.normal_([[0.0, 1.0]]), TypeError, "writeable ndarray"),
    (lambda: sx.activation_stats_by_depth("orthogonal"), ValueError, "scheme must be one of"),
    (lambda: si.uniform_(np.empty(3), 1.0, 0.0), ValueError, "uniform_ needs a <= b"),
    (lambda: si.uniform_(np.empty(3), float("nan"), 1.0), ValueError, "uniform_'s a must be finite"),
    (lambda: si.uniform_(np.empty(3), 0.0, float("inf")), ValueError, "uniform_'s b must be finite"),
    (lambda: si.normal_(np.empty(3), 0.0, -1.0), ValueError, "normal_'s std must be >= 0"),
    (lambda: si.normal_(np.empty(3), 0.0, float("nan")), ValueError, "normal_'s std"),
    (lambda: si.xavier_normal_(np.empty((3, 3)), gain=-1.0), ValueError, r"std must be >= 0, got .* \(from gain=-1.0\)"),
    (lambda: si.xavier_uniform_(np.empty((3, 3)), gain=float("nan")), ValueError, "from gain=nan"),
    (lambda: si.kaiming_uniform_(np.empty((3, 3)), a=float("nan")), ValueError, "from a=nan"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# what torch's samplers refuse (scratch's are NumPy's, whose errors did not name the argument
# and let a NaN std through): the same calls, torch's side
TORCH_REFUSES = [
    lambda: ti.uniform_(torch.empty(3), 1.0, 0.0),
    lambda: ti.uniform_(torch.empty(3), float("nan"), 1.0),
    lambda: ti.uniform_(torch.empty(3), 0.0, float("inf")),
    lambda: ti.normal_(torch.empty(3), 0.0, -1.0),
    lambda: ti.normal_(torch.empty(3), 0.0, float("nan")),
    lambda: ti.xavier_normal_(torch.empty(3, 3), gain=-1.0),
    lambda: ti.xavier_uniform_(torch.empty(3, 3), gain=float("nan")),
    lambda: ti.kaiming_uniform_(torch.empty(3, 3), a=float("nan")),
]


@pytest.mark.parametrize("call", TORCH_REFUSES)
def test_torch_refuses_the_same_bounds(call):
    with pytest.raises(RuntimeError):
        call()


@pytest.mark.parametrize("mean,std", [(0.0, 0.0), (float("inf"), 1.0), (float("nan"), 1.0), (0.0, float("inf"))])  # fmt: skip
def test_normal_takes_the_mean_and_std_torch_takes(mean, std):
    """torch's normal_ takes any mean and any std >= 0 (inf too); so does scratch's."""
    ti.normal_(torch.empty(3), mean, std)
    with np.errstate(invalid="ignore"):
        si.normal_(np.empty(3), mean, std)


def test_torch_rejects_the_same_names():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        ti.calculate_gain("swish")
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        ti.kaiming_uniform_(torch.empty(3, 3), mode="fan_avg")
