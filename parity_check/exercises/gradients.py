"""Exercise 2, gradient checking: the learner's central differences against torch's autograd.

``numerical_gradient(f, x, eps=1e-5)`` returns df/dx for a scalar ``f`` by central
differences, (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) entry by entry (CS231n's recipe;
scratch/gradcheck.py), leaving ``x`` as it found it. Each case is a scalar function written
once over an array namespace, so NumPy evaluates it for the learner and torch differentiates
it exactly (``backward()``).

Tolerance: rtol 1e-6, atol 1e-8, not the float64 profile's 1e-10, because a finite
difference is an approximation. Central differences err by ``eps²/6·|f'''|`` (truncation,
≤ 1e-10 on these functions, whose derivatives are O(1)) plus about ``2^-52·|f|/eps``
(rounding, ≈ 2e-10 for ``|f| ≤ 10``), so a correct implementation stays well inside the
tolerance for any eps from 1e-6 to 1e-4 (measured worst headroom: 0.0009 at eps 1e-6,
0.0005 at 1e-5, 0.05 at 1e-4), while a forward difference errs by ``eps/2·|f''|`` ≈ 5e-6 and
is caught. Also compared: ``x`` after the call, which must be unchanged (float64 profile).
"""

from __future__ import annotations

import numpy as np
import torch

from parity_check import adapters
from parity_check.core.harness import PROFILES, randn
from parity_check.errors import UsageError, call_user
from parity_check.exercises.common import (
    ExerciseChecker,
    Outcome,
    one_thread,
    verdict_outcome,
)
from parity_check.mistakes.base import Mistake
from parity_check.specs.base import Case, Result, Spec, Target, basic_first

EPS = 1e-5
RTOL, ATOL = 1e-6, 1e-8


def _lse(z, m):
    top = z.max()
    return top + m.log(m.exp(z - top).sum())


# name -> (x's shape, the function of (x, constants, array namespace)); constants are drawn
# per case from the seed, in the same namespace as x.
FUNCTIONS = {
    "sum(c * tanh(x))": ((3, 4), {"c": (3, 4)}, lambda x, k, m: (k["c"] * m.tanh(x)).sum()),
    "log-sum-exp(x)": ((6,), {}, lambda x, k, m: _lse(x, m)),
    "0.5 * |V tanh(x a)|^2 (x a weight matrix)": (
        (4, 3), {"a": (3,), "V": (2, 4)},
        lambda x, k, m: 0.5 * ((k["V"] @ m.tanh(x @ k["a"])) ** 2).sum()),
    "cross-entropy of softmax(x), classes (2, 0)": (
        (2, 3), {},
        lambda x, k, m: -(x[[0, 1], [2, 0]] - m.log(m.exp(x).sum(1))).mean()),
    "sum(x^3) / 6 + prod(sigmoid(x))": (
        (5,), {},
        lambda x, k, m: (x**3).sum() / 6 + (1 / (1 + m.exp(-x))).prod()),
}  # fmt: skip


def _inputs(case: Case):
    shape, consts, _ = FUNCTIONS[case.setup["function"]]
    seed = case.setup["seed"]
    x = randn(shape, "float64", seed=seed)
    k = {name: randn(s, "float64", seed=seed + 1 + i) for i, (name, s) in enumerate(consts.items())}  # fmt: skip
    return x, k


class GradientSpec(Spec):
    name, kind = "numerical_gradient", "exercise"
    reference = "scratch.gradcheck.numerical_gradient"
    twin = "torch.autograd (backward of the same function)"

    def cases(self, thorough: bool) -> list[Case]:
        seeds = (0, 10) if thorough else (0,)
        return basic_first([Case(f"{f}, seed {s}", {"eps": EPS}, {"function": f, "seed": s})
                            for f in FUNCTIONS for s in seeds])  # fmt: skip

    def tolerance(self, tensor: str, case: Case, dtype: str) -> tuple[float, float]:
        if tensor == "gradient":
            return RTOL, ATOL
        return PROFILES["float64"].rtol, PROFILES["float64"].atol

    def expected(self, case: Case, dtype: str) -> Result:
        x, k = _inputs(case)
        f = FUNCTIONS[case.setup["function"]][2]
        xt = torch.tensor(x, requires_grad=True)
        f(xt, {n: torch.from_numpy(v) for n, v in k.items()}, torch).backward()
        result = Result()
        result.add("gradient", xt.grad)
        result.add("x after the call", x)
        return result

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        fn = target.obj
        if not callable(fn):
            raise UsageError(f"{target.name} is a {type(fn).__name__}, not a function")
        x, k = _inputs(case)
        f = FUNCTIONS[case.setup["function"]][2]

        def scalar(z) -> float:  # the learner's f: one NumPy evaluation
            return float(f(np.asarray(z, dtype=np.float64), k, np))

        accepted, var_kw = adapters.accepted_names(fn)
        extra = {"eps": case.config["eps"]} if "eps" in accepted or var_kw else {}
        if not extra:
            target.note("your function takes no eps: its own step was used")
        x_yours = x.copy()
        grad = call_user(f"calling {target.name}", fn, scalar, x_yours, **extra)
        grad = adapters.check_array(grad, f"{target.name}'s return (df/dx)", x.shape, np.float64)  # fmt: skip
        result = Result()
        result.add("gradient", grad)
        result.add("x after the call", x_yours)
        return result


# -- the exercise's classic mistakes: scratch's numerical_gradient with one thing changed -------
def _differences(f, x, eps=EPS, *, forward=False, restore=True, span=2.0):
    """Central differences over ``span``·eps; ``forward``: (f(x + eps) - f(x)) / eps."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x)
        x[i] = old if forward else old - eps
        minus = f(x)
        if restore:
            x[i] = old
        grad[i] = (plus - minus) / (eps if forward else span * eps)
    return grad


SECTION = "Exercises"
MISTAKES = [
    Mistake("gradcheck-forward-difference", ("numerical_gradient",), SECTION,
            "your gradient matches the forward difference (f(x + eps) - f(x)) / eps, whose "
            "error is O(eps): take the central one, (f(x + eps) - f(x - eps)) / (2 eps), O(eps^2)",
            lambda f, x, eps=EPS: _differences(f, x, eps, forward=True)),
    Mistake("gradcheck-divided-by-eps", ("numerical_gradient",), SECTION,
            "your gradient is twice torch's: the central difference spans 2 eps, so divide "
            "f(x + eps) - f(x - eps) by 2 eps, not eps",
            lambda f, x, eps=EPS: _differences(f, x, eps, span=1.0)),
    Mistake("gradcheck-x-not-restored", ("numerical_gradient",), SECTION,
            "your function leaves x changed (each entry ends at x - eps): put x[i] back after "
            "the two evaluations, or every later entry is differentiated at a shifted point",
            lambda f, x, eps=EPS: _differences(f, x, eps, restore=False)),
]  # fmt: skip


def check_numerical_gradient(obj, name: str = "numerical_gradient", *, thorough: bool = False) -> Outcome:  # fmt: skip
    """Run the learner's ``numerical_gradient`` on the cases against torch's autograd."""
    with one_thread():
        verdict = ExerciseChecker(GradientSpec(), MISTAKES, thorough=thorough).run(
            Target(obj, name)
        )
    return verdict_outcome(verdict)
