"""Specs of the layers with torch's Module protocol: Linear, the activations, BatchNorm, Flatten.

Each case is a line: a label, torch's constructor arguments, and the input's setup. The
``ci`` set is small and fixed; ``--thorough`` adds the wider ones.
"""

from __future__ import annotations

import torch

from parity_check.specs.base import FAR_LOGITS, TIED_LOGITS, Case, basic
from parity_check.specs.module_spec import ModuleSpec


def C(label: str, setup: dict, **config) -> Case:
    return Case(label, config, setup)


def _random_affine(module: torch.nn.Module) -> None:
    """torch starts BatchNorm at γ=1, β=0; random values make the parameter gradients telling."""
    if getattr(module, "weight", None) is not None:
        torch.nn.init.normal_(module.weight, 1.0, 0.5)
        torch.nn.init.normal_(module.bias, 0.0, 0.5)


ACTIVATION_SETUP = dict(shape=(4, 7), scale=3.0)
# six inputs exactly at 0, the kink: torch's ReLU'(0) = 0 and LeakyReLU'(0) = negative_slope
AT_KINK = dict(ACTIVATION_SETUP, at_kinks=6)
BN_STEPS = ("train", "train", "train", "eval")  # three updates of the running stats, then eval
BN_SETUP = dict(modes=BN_STEPS, scale=2.0, shift=3.0)  # mean 3, std 2: normalising does work


def activation(name: str, cases=None, **kw) -> ModuleSpec:
    cases = cases or [basic(C(name, ACTIVATION_SETUP))]
    return ModuleSpec(name, getattr(torch.nn, name), f"scratch.nn.{name}", cases, **kw)


SPECS = [
    ModuleSpec("Linear", torch.nn.Linear, "scratch.nn.Linear", [
        basic(C("Linear(5, 3)", dict(shape=(4, 5)), in_features=5, out_features=3)),
        C("Linear(5, 3), 3-D input", dict(shape=(2, 3, 5)), in_features=5, out_features=3),
        C("Linear(4, 6, bias=False)", dict(shape=(3, 4)), in_features=4, out_features=6, bias=False),
        # square: a weight gradient transposed keeps its shape, so only its numbers can tell
        C("Linear(4, 4), square", dict(shape=(5, 4)), in_features=4, out_features=4),
    ], thorough=[
        C("Linear(1, 1)", dict(shape=(7, 1)), in_features=1, out_features=1),
        C("Linear(32, 17)", dict(shape=(16, 32)), in_features=32, out_features=17),
    ], positional=("in_features", "out_features")),
    activation("ReLU", [basic(C("ReLU", ACTIVATION_SETUP)), C("ReLU, inputs exactly at 0", AT_KINK)]),
    activation("LeakyReLU", [basic(C("LeakyReLU()", ACTIVATION_SETUP)),
                             C("LeakyReLU(0.2)", ACTIVATION_SETUP, negative_slope=0.2),
                             C("LeakyReLU(0.2), inputs exactly at 0", AT_KINK, negative_slope=0.2)]),
    activation("Sigmoid"),
    activation("Tanh"),
    activation("GELU", [basic(C("GELU()", ACTIVATION_SETUP)),
                        C("GELU('tanh')", ACTIVATION_SETUP, approximate="tanh")]),
    activation("SiLU"),
    *(activation(name, assume={"dim": -1}, cases=[  # a class without dim: the last axis
        basic(C(f"{name}(dim=-1)", ACTIVATION_SETUP, dim=-1)),
        C(f"{name}(dim=-1), logits near 800", dict(shape=(3, 2, 4), scale=3.0, shift=800.0), dim=-1),
        C(f"{name}(dim=1)", dict(shape=(3, 4, 2), scale=3.0), dim=1),
        C(f"{name}(dim=-1), tied maxima", dict(values=TIED_LOGITS), dim=-1),
        C(f"{name}(dim=-1), logits hundreds apart", dict(values=FAR_LOGITS), dim=-1),
    ]) for name in ("Softmax", "LogSoftmax")),
    ModuleSpec("Flatten", torch.nn.Flatten, "scratch.nn.Flatten", [
        basic(C("Flatten()", dict(shape=(2, 3, 4, 5)))),
        C("Flatten(0, 2)", dict(shape=(2, 3, 4, 5)), start_dim=0, end_dim=2),
    ]),
    *(ModuleSpec(name, getattr(torch.nn, name), f"scratch.nn.{name}", cases,
                 positional=("num_features",), buffers=("running_mean", "running_var"),
                 init=_random_affine, thorough=more)
      for name, cases, more in [
        ("BatchNorm1d", [
            basic(C("BatchNorm1d(3)", dict(BN_SETUP, shape=(6, 3)), num_features=3)),
            # the basic case but for the input's rank: a 2-D-only BatchNorm1d is in scope
            C("BatchNorm1d(3), (N, C, L)", dict(BN_SETUP, shape=(4, 3, 5)), num_features=3),
            # a momentum other than the default: where a momentum meant as 1 - torch's shows
            C("BatchNorm1d(4, momentum=0.3)", dict(BN_SETUP, shape=(5, 4)), num_features=4, momentum=0.3),
        ], [
            C("BatchNorm1d(4, momentum=None)", dict(BN_SETUP, shape=(5, 4)), num_features=4, momentum=None),
        ]),
        ("BatchNorm2d", [
            basic(C("BatchNorm2d(3)", dict(BN_SETUP, shape=(4, 3, 3, 3)), num_features=3)),
            C("BatchNorm2d(2, momentum=0.3)", dict(BN_SETUP, shape=(2, 2, 2, 3)), num_features=2, momentum=0.3),
        ], [
            C("BatchNorm2d(2, momentum=None)", dict(BN_SETUP, shape=(2, 2, 2, 3)), num_features=2, momentum=None),
            C("BatchNorm2d(3, affine=False)", dict(BN_SETUP, shape=(3, 3, 2, 2)), num_features=3, affine=False),
        ]),
    ]),  # fmt: skip
]  # fmt: skip
