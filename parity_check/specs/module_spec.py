"""The spec of a Module with torch's protocol: forward, backward, parameters, buffers, modes.

One run builds the module from the case's constructor arguments, gives it torch's initial
weights, and takes ``setup["modes"]`` steps ("train" or "eval"): each a forward on a fresh
input kept off the kinks (but for ``setup["at_kinks"]`` values exactly on them, or the fixed
``setup["values"]``), a backward of a random upstream gradient, and a reading of the
output, the input gradient, every parameter's gradient and the tracked buffers.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable

import numpy as np
import torch

from parity_check import adapters
from parity_check.core.harness import PROFILES, randn, sum_atol, upstream_like
from parity_check.errors import call_user
from parity_check.specs.base import Case, Result, Spec, Target


def torch_defaults(factory) -> dict:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in params if p.default is not p.empty}


class ModuleSpec(Spec):
    kind = "module"

    def __init__(self, name: str, factory: Callable, reference: str, cases: list[Case], *,
                 thorough: list[Case] = (), positional: tuple[str, ...] = (),
                 buffers: tuple[str, ...] = (), init: Callable | None = None,
                 kinks: tuple[float, ...] = (0.0,), sum_params: bool = False,
                 twin: str | None = None, assume: dict | None = None) -> None:  # fmt: skip
        self.name, self.factory, self.reference = name, factory, reference
        self.twin = twin or f"torch.nn.{name}"
        self._cases, self._thorough = list(cases), list(thorough)
        self.positional, self.buffers, self.init = positional, buffers, init
        self.kinks, self.sum_params = kinks, sum_params
        # what a constructor that takes no argument for a setting is assumed to do: torch's
        # default, or ``assume`` (a Softmax class without ``dim`` works on the last axis)
        self.defaults = {**torch_defaults(factory), **(assume or {})}

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def tolerance(self, tensor: str, case: Case, dtype: str) -> tuple[float, float]:
        rtol, atol = super().tolerance(tensor, case, dtype)
        if self.sum_params and "grad of " in tensor and not tensor.endswith("input"):
            # a convolution's weight and bias gradients sum N·OH·OW terms (harness.sum_atol)
            atol = sum_atol(dtype, case.setup["terms"])
        return rtol, atol

    # -- the two twins ---------------------------------------------------------------------
    def torch_module(self, config: dict, dtype: str) -> torch.nn.Module:
        torch.manual_seed(0)
        module = self.factory(**config).to(PROFILES[dtype].torch_dtype)
        if self.init is not None:
            with torch.no_grad():
                self.init(module)
        return module

    def inputs(self, case: Case, dtype: str, step: int) -> np.ndarray:
        setup = case.setup
        if "values" in setup:  # fixed values (tied logits): the same at every step
            return np.array(setup["values"], dtype=PROFILES[dtype].np_dtype)
        x = randn(setup["shape"], dtype, seed=step, kinks=self.kinks,
                  scale=setup.get("scale", 1.0), at_kinks=setup.get("at_kinks", 0))  # fmt: skip
        return (x + setup.get("shift", 0.0)).astype(x.dtype)

    def modes(self, case: Case) -> tuple[str, ...]:
        return tuple(case.setup.get("modes", ("train",)))

    def _collect(self, case: Case, steps: list[dict]) -> Result:
        """One step: its arrays as they are; several: each name stacked into a trajectory."""
        result = Result()
        if len(steps) == 1:
            for name, value in steps[0].items():
                result.add(name, value)
            return result
        result.step_labels = [f"{i} ({mode})" for i, mode in enumerate(self.modes(case))]
        for name in steps[0]:
            result.add_steps(name, [s[name] for s in steps])
        return result

    def expected(self, case: Case, dtype: str) -> Result:
        module = self.torch_module(case.config, dtype)
        steps = []
        for step, mode in enumerate(self.modes(case)):
            module.train(mode == "train")
            module.zero_grad()
            x = torch.tensor(self.inputs(case, dtype, step), requires_grad=True)
            out = module(x)
            out.backward(torch.from_numpy(upstream_like(out, seed=100 + step)))
            got = {"output": out.detach().clone(), "grad of input": x.grad}
            for name, p in module.named_parameters():
                got[f"grad of {name}"] = p.grad.clone()
            for name, b in module.named_buffers():
                if name in self.buffers:
                    got[name] = b.clone()
            steps.append(got)
        return self._collect(case, steps)

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        np_dtype = PROFILES[dtype].np_dtype
        args = tuple(case.config[k] for k in self.positional)
        config = {k: v for k, v in case.config.items() if k not in self.positional}
        obj, used = adapters.build(
            target,
            args,
            config,
            self.defaults,
            f"{self.name}'s settings",
            self.positional,
            explicit=True,
        )
        adapters.require_module_protocol(target, obj)
        target.used = adapters.changed(used, config)
        reference = self.torch_module({**case.config, **target.used}, dtype)
        shapes = {n: tuple(p.shape) for n, p in reference.named_parameters()}
        buffers = {n: tuple(b.shape) for n, b in reference.named_buffers() if n in self.buffers}
        slots = adapters.map_parameters(target, obj, shapes, buffers)
        state = reference.state_dict()
        for name, slot in slots.items():
            slot.set(state[name].detach().numpy().astype(np_dtype))
        steps = []
        for step, mode in enumerate(self.modes(case)):
            extra = adapters.set_mode(target, obj, mode == "train")
            _zero_grad(obj, slots, shapes)
            x = self.inputs(case, dtype, step)
            with torch.no_grad():
                probe = copy.deepcopy(reference).train(mode == "train")
                out_shape = tuple(probe(torch.from_numpy(x)).shape)
            out = adapters.check_array(adapters.forward(target, obj, x, **extra),
                                       "your forward's output", out_shape, np_dtype)  # fmt: skip
            dx = adapters.backward(target, obj, upstream_like(out, seed=100 + step))
            dx = adapters.check_array(dx, "your backward's return (the input gradient)", x.shape, np_dtype)  # fmt: skip
            got = {"output": out.copy(), "grad of input": dx.copy()}
            for name, shape in shapes.items():
                what = f"the gradient of your {slots[name].user_name}"
                got[f"grad of {name}"] = adapters.check_array(slots[name].grad(), what, shape, np_dtype).copy()  # fmt: skip
            for name, shape in buffers.items():
                if name in slots:
                    value = np.array(slots[name].get(), dtype=np.float64)
                    got[name] = adapters.check_array(value, f"your {slots[name].user_name}", shape, np.float64)  # fmt: skip
            steps.append(got)
        return self._collect(case, steps)


def _zero_grad(obj, slots, shapes) -> None:
    """Forget the last step's gradients, as torch's zero_grad does between steps."""
    if callable(getattr(obj, "zero_grad", None)):
        call_user("calling zero_grad()", obj.zero_grad)
        return
    for name in shapes:
        param = slots[name].param
        if param is not None and hasattr(param, "grad"):
            param.grad = None
