"""The spec of a ``torch.nn.functional`` op of several arguments (conv2d, the pools): forward only.

Protocol: the user's function is called the way torch's is: the case's arrays first
(``input``, ``weight``, ``bias``), then torch's leading settings positionally (``kernel_size``,
``output_size``), then the rest by keyword under torch's name or a course alias the function
takes (``pad`` for ``padding``). A setting the function takes no argument for is left out
when it equals torch's default (the verdict says so); any other such setting skips the case
(``UnsupportedSetting``): ``function_spec.settings_for``. A tuple result counts by its first
element (a CS231n-style ``(out, cache)``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch

from parity_check import adapters
from parity_check.core.harness import PROFILES, randn
from parity_check.errors import UsageError, call_user
from parity_check.specs.base import Case, Result, Spec, Target
from parity_check.specs.function_spec import first, settings_for

ArrayMaker = Callable[[tuple, str, int], np.ndarray]  # (shape, dtype, seed) -> array


class FunctionalSpec(Spec):
    """``torch_fn(*arrays, *positional settings, **other settings)``, compared on its output.

    A case's ``setup["shapes"]`` gives each array's shape by name (``None``: passed as None,
    e.g. no bias); ``make`` draws the values (default: ``harness.randn``, seed = position).
    ``defaults``: torch's default of each setting (the builtins have no signature to read).
    """

    kind = "function"

    def __init__(self, name: str, torch_fn: Callable, reference: str, cases: list[Case], *,
                 thorough: list[Case] = (), positional: tuple[str, ...] = (),
                 defaults: dict | None = None, make: ArrayMaker | None = None,
                 twin: str | None = None) -> None:  # fmt: skip
        self.name, self.torch_fn, self.reference = name, torch_fn, reference
        self.twin = twin or f"torch.nn.functional.{name}"
        self._cases, self._thorough = list(cases), list(thorough)
        self.positional, self.defaults = positional, defaults or {}
        self.make = make or (lambda shape, dtype, seed: randn(shape, dtype, seed=seed))

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def arrays(self, case: Case, dtype: str) -> list[np.ndarray | None]:
        shapes = case.setup["shapes"].values()
        return [None if s is None else self.make(s, dtype, i) for i, s in enumerate(shapes)]

    def _split(self, case: Case) -> tuple[list, dict]:
        config = dict(case.config)
        return [config.pop(k) for k in self.positional], config

    def torch_output(self, case: Case, dtype: str) -> torch.Tensor:
        tensors = [None if a is None else torch.from_numpy(a) for a in self.arrays(case, dtype)]
        args, kwargs = self._split(case)
        with warnings.catch_warnings():  # torch warns that an even 'same' kernel pads a copy
            warnings.simplefilter("ignore")
            return self.torch_fn(*tensors, *args, **kwargs)

    def expected(self, case: Case, dtype: str) -> Result:
        result = Result()
        result.add("output", self.torch_output(case, dtype))
        return result

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        fn = target.obj
        if not callable(fn):
            raise UsageError(f"{target.name} is a {type(fn).__name__}, not a function")
        args, config = self._split(case)
        kwargs = settings_for(target, fn, config, self.defaults, "your function")
        arrays = [None if a is None else a.copy() for a in self.arrays(case, dtype)]
        out = call_user(f"calling {target.name}", fn, *arrays, *args, **kwargs)
        out = first(out)
        shape = tuple(self.torch_output(case, dtype).shape)
        result = Result()
        result.add("output", adapters.check_array(out, "your function's output", shape, PROFILES[dtype].np_dtype))  # fmt: skip
        return result
