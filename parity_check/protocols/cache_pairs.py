"""CS231n's function pairs: ``X_forward(x, *params[, X_param]) -> (out, cache)`` and
``X_backward(dout, cache)`` returning every gradient (``dx`` first, then one per array in the
forward's order), the backward found beside the forward by its name (``affine_forward`` ->
``affine_backward``, ``conv_forward_naive`` -> ``conv_backward_naive``).

The arrays are torch's initial weights in CS231n's layout (``affine``'s ``w`` as (D, M), a
convolution's ``w`` as torch's (F, C, HH, WW)); torch's ``bias=False`` is a ``b`` of zeros,
not compared. The settings go in the dict CS231n gives them in, by its keys:

- ``conv_param``: ``stride``, ``pad`` (one number each: torch's pair of equal values, or
  padding 'valid', or 'same' where that is an equal pad on every side);
- ``pool_param``: ``pool_height``, ``pool_width``, ``stride`` (torch's stride None is the
  kernel size);
- ``bn_param``: ``mode`` ('train'/'test'), ``eps``, ``momentum`` and the running statistics,
  kept in the dict between steps. ``momentum`` is torch's name and gets torch's value:
  CS231n's docstring makes it the running statistics' decay (running = momentum·running +
  (1 − momentum)·batch), a torch name with another meaning, so such code fails and the
  diagnosis says "torch with momentum=0.9" (``MOMENTUM_AS_DECAY`` would convert it instead);
- ``dropout_param``: ``p``, ``mode``. CS231n's ``p`` is the keep probability, a torch name
  with another meaning: it is given torch's p, and the numbers then say so.

A setting the dict has no key for (``dilation``, ``groups``, a pool's ``padding``,
``ceil_mode``) at anything but torch's default raises ``UnsupportedSetting``: "not supported
by your code". So does an input of a rank the protocol does not take (``affine_forward``
flattens x to (N, D), which is not torch's Linear on a 3-D input).
"""

from __future__ import annotations

import inspect
import types

import numpy as np

from parity_check import adapters
from parity_check.errors import UnsupportedSetting, UsageError, UserCodeError, call_user
from parity_check.protocols import names
from parity_check.protocols.array_built import ARRAYS
from parity_check.specs.base import Target

MOMENTUM_AS_DECAY = False  # True: bn_param['momentum'] = 1 − torch's (CS231n's docstring)
DICT_NAMES = ("config", "params", "settings", "cfg")
SIZES = {"in_features", "out_features", "in_channels", "out_channels", "num_features", "bias", "affine", "device", "dtype", "inplace"}  # fmt: skip
RANKS = {"Linear": (2,), "BatchNorm1d": (2,), "BatchNorm2d": (4,), "Conv2d": (4,),
         "ConvTranspose2d": (4,), "MaxPool2d": (4,), "AvgPool2d": (4,)}  # fmt: skip
POOLS = ("MaxPool2d", "AvgPool2d")


def backward_of(fn):
    """The backward beside ``fn`` in its module: ``forward`` replaced by ``backward``."""
    name = fn.__name__
    head, _, tail = name.rpartition("forward")
    found = getattr(fn, "__globals__", {}).get(f"{head}backward{tail}")
    if not callable(found):
        raise UsageError(f"found no {head}backward{tail}(dout, cache) beside {name} in its file: a CS231n forward needs its backward")  # fmt: skip
    return found


def recognises(spec, obj) -> bool:
    return inspect.isfunction(obj) and "forward" in obj.__name__


def wrap(spec, fn, target: Target) -> type:
    bwd = backward_of(fn)
    target.note(f"protocol: CS231n function pair {fn.__name__}(x, ...) -> (out, cache) and {bwd.__name__}(dout, cache)")  # fmt: skip
    P = inspect.Parameter
    positional = tuple(getattr(spec, "positional", ()))
    sig = inspect.Signature([P(n, P.POSITIONAL_OR_KEYWORD) for n in positional] + [P("config", P.VAR_KEYWORD)])  # fmt: skip
    body = dict(spec=spec, fn=staticmethod(fn), bwd=staticmethod(bwd), target=target, __signature__=sig)  # fmt: skip
    return type(fn.__name__, (Pair,), body)


def _arg_roles(fn) -> list[tuple[str, str]]:
    """(name, role) of each argument after x: 'weight'/'bias', 'dict' or 'setting'."""
    roles = []
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        torch_name = next((t for t, known in ARRAYS.items() if p.name in known), None)
        if torch_name is not None:
            roles.append((p.name, torch_name))
        elif p.name.endswith("param") or p.name.endswith("params") or p.name in DICT_NAMES:
            roles.append((p.name, "dict"))
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            roles.append((p.name, "setting"))
    return roles


class Pair:
    """A forward/backward pair as a module; the class attributes come from ``wrap``."""

    spec = fn = bwd = target = None

    def __init__(self, *args, **config) -> None:
        spec = self.spec
        positional = tuple(getattr(spec, "positional", ()))
        config = {**dict(zip(positional, args, strict=False)), **config}
        defaults = getattr(spec, "defaults", {})
        self.training, self.cache, self.params = True, None, {}
        self.roles = _arg_roles(self.fn)
        self.settings: dict = {}
        self.param_dict: dict = {}
        handled = set(SIZES)
        for name, role in self.roles:
            if role == "dict":
                self.param_dict, keys = settings_dict(spec.name, config, defaults)
                handled |= keys
                self.dict_name = name
            elif role == "setting":
                for torch_name, value in config.items():
                    passed = adapters.translate(torch_name, value, {name}, False)
                    if passed:
                        self.settings.update(passed)
                        handled.add(torch_name)
        refused = [f"{k}={v!r}" for k, v in config.items() if k not in handled and not adapters._same(v, defaults.get(k, object()))]  # fmt: skip
        if refused:
            keys = f"{self.dict_name} ({', '.join(self.param_dict)})" if self.param_dict else "its arguments"  # fmt: skip
            raise UnsupportedSetting(f"{self.fn.__name__} takes its settings in {keys}: no way to give {', '.join(refused)}")  # fmt: skip
        self._arrays(config)

    def _arrays(self, config: dict) -> None:
        """torch's initial weights for the array arguments, in CS231n's layout."""
        wanted = [(n, r) for n, r in self.roles if r in ("weight", "bias")]
        if not wanted:
            return
        module = self.spec.torch_module({k: v for k, v in config.items() if k in SIZES or k == "kernel_size"}, "float64")  # fmt: skip
        torch_params = {k: v.detach().numpy().copy() for k, v in module.named_parameters()}
        size = next((config[k] for k in ("out_features", "out_channels", "num_features") if k in config), 1)  # fmt: skip
        for name, torch_name in wanted:
            value = torch_params.get(torch_name)
            shown = value is not None
            if value is None:  # bias=False (affine=False): zeros (γ: ones), not compared
                value = (np.ones if name == "gamma" else np.zeros)(size)
            if self.spec.name == "Linear" and torch_name == "weight":
                value = value.T  # affine_forward's w is (D, M)
            self.params[name] = types.SimpleNamespace(data=value, grad=None, shown=shown)

    # -- the module protocol -----------------------------------------------------------------
    def named_parameters(self):
        return [(n, p) for n, p in self.params.items() if p.shown]

    def zero_grad(self) -> None:
        for p in self.params.values():
            p.grad = None

    def parity_set_mode(self, training: bool) -> dict:
        self.training = training
        if "mode" in self.param_dict:
            word = "train" if training else names.eval_word(self.fn, "test")
            self.param_dict["mode"] = word
            self.target.note(f"train/eval set through {self.dict_name}['mode'] ('train'/{names.eval_word(self.fn, 'test')!r})")  # fmt: skip
        elif not training:
            self.target.note(f"eval mode asked for, but {self.fn.__name__} takes no mode")
        return {}

    def forward(self, x: np.ndarray):
        ranks = RANKS.get(self.spec.name)
        if ranks and x.ndim not in ranks:
            raise UnsupportedSetting(f"{self.fn.__name__} takes a {ranks[0]}-D input (CS231n's layout), not torch's {x.ndim}-D {self.spec.name} input")  # fmt: skip
        args = [x]
        for name, role in self.roles:
            if role == "dict":
                args.append(self.param_dict)
            elif role in ("weight", "bias"):
                param = self.params[name]
                if not param.shown:  # the zeros for bias=False, in the input's dtype
                    param.data = param.data.astype(x.dtype)
                args.append(param.data)
            elif name in self.settings:
                args.append(self.settings[name])
            else:
                break  # an argument with a default, left to it
        out = call_user(f"calling {self.fn.__name__}", self.fn, *args)
        if not isinstance(out, tuple) or len(out) != 2:
            raise UsageError(f"{self.fn.__name__} returned a {type(out).__name__}, expected (out, cache)")  # fmt: skip
        out, self.cache = out
        return out

    def backward(self, grad_output: np.ndarray):
        try:
            res = call_user(f"calling {self.bwd.__name__}", self.bwd, grad_output, self.cache)
        except UserCodeError as err:
            if self.training:
                raise
            # CS231n backpropagates in training only: a test-mode cache is often None
            raise UnsupportedSetting(f"{self.bwd.__name__} does not run after a test-mode forward ({err})") from err  # fmt: skip
        res = res if isinstance(res, tuple) else (res,)
        arrays = [n for n, r in self.roles if r in ("weight", "bias")]
        if len(res) != 1 + len(arrays):
            raise UsageError(f"{self.bwd.__name__} returned {len(res)} values, expected {1 + len(arrays)}: dx, then {', '.join('d' + a for a in arrays) or 'nothing'}")  # fmt: skip
        for name, g in zip(arrays, res[1:], strict=True):
            self.params[name].grad = g
        return res[0]

    @property
    def running_mean(self):
        return self.param_dict.get("running_mean")

    @running_mean.setter
    def running_mean(self, value) -> None:
        self.param_dict["running_mean"] = value

    @property
    def running_var(self):
        return self.param_dict.get("running_var")

    @running_var.setter
    def running_var(self, value) -> None:
        self.param_dict["running_var"] = value


def _one(name: str, value, what: str):
    """A setting CS231n gives as one number: torch's equal pair as that number."""
    a, b = names.pair(value)
    if a != b:
        raise UnsupportedSetting(f"CS231n's {what} is one number for both axes: no way to give {name}={value!r}")  # fmt: skip
    return a


def settings_dict(component: str, config: dict, defaults: dict) -> tuple[dict, set[str]]:
    """The dict CS231n's forward takes its settings in, and the torch settings it carries."""
    eff = {**defaults, **config}
    if component in ("Conv2d",):
        k = names.pair(eff["kernel_size"])
        pad = eff.get("padding", 0)
        if pad == "valid":
            pad = 0
        elif pad == "same":
            if _one("stride", eff.get("stride", 1), "stride") != 1 or names.pair(eff.get("dilation", 1)) != (1, 1) or k[0] != k[1] or k[0] % 2 == 0:  # fmt: skip
                raise UnsupportedSetting("CS231n's conv_param pad is the same on every side: no way to give padding='same' here (an even kernel pads unevenly)")  # fmt: skip
            pad = (k[0] - 1) // 2
        stride = _one("stride", eff.get("stride", 1), "conv_param stride")
        return {"stride": stride, "pad": _one("padding", pad, "conv_param pad")}, {"stride", "padding", "kernel_size"}  # fmt: skip
    if component in POOLS:
        h, w = names.pair(eff["kernel_size"])
        stride = eff.get("stride") or eff["kernel_size"]
        keys = {"kernel_size", "stride"}
        if not eff.get("padding"):  # no padding: counting it or not is the same
            keys.add("count_include_pad")
        return {"pool_height": h, "pool_width": w, "stride": _one("stride", stride, "pool_param stride")}, keys  # fmt: skip
    if component.startswith("BatchNorm"):
        momentum = eff.get("momentum", 0.1)
        if momentum is None:
            raise UnsupportedSetting("CS231n's bn_param momentum is a number: no way to give momentum=None (a cumulative average)")  # fmt: skip
        given = 1 - momentum if MOMENTUM_AS_DECAY else momentum
        return {"mode": "train", "eps": eff.get("eps", 1e-5), "momentum": given}, {"eps", "momentum"}  # fmt: skip
    if component == "Dropout":
        return {"mode": "train", "p": eff.get("p", 0.5)}, {"p"}
    return {}, set()
