"""Specs of attention: ``scaled_dot_product_attention`` (a function) and ``MultiheadAttention``.

Cases follow parity_tests/test_attention.py: random masks leave every query at least one
key (rows that block every key are torch's special case, 0 or NaN, and not a course topic).

**SDPA protocol.** torch's ``(query, key, value, attn_mask=None, is_causal=False, scale=None)``
or the course's ``(Q, K, V, mask=None)`` returning ``(output, weights)``. A boolean mask means
True = takes part (torch's SDPA convention, and the course's) and goes to ``attn_mask`` or
``mask``, whichever the function takes; a function with no ``is_causal`` gets the causal mask
``tril(ones(L, S))`` as that boolean mask (the verdict says so). Returned weights are compared
with softmax(scale·QKᵀ + mask). With ``--derivative`` the backward is compared too: called
``derivative(grad_output, cache)`` when it takes two arguments (``cache``: the second thing
the function returned, as scratch's ``scaled_dot_product_attention_forward``/``_backward``
pair), else ``derivative(grad_output, Q, K, V, **the forward's keyword arguments)``; either
returns (dQ, dK, dV).

**MultiheadAttention protocol.** torch's constructor ``(embed_dim, num_heads, bias=True,
batch_first=True)`` (a constructor with no ``batch_first`` is taken to be batch first) and
parameter names (``in_proj_weight`` (3E, E), ``in_proj_bias``, ``out_proj.weight``,
``out_proj.bias``; or ``--map``); ``forward(query, key, value, attn_mask=None,
need_weights=True)`` returning (output, head-averaged weights), with torch's MHA mask
convention True = *blocked* under ``attn_mask`` (under ``mask``, the course's True = keep is
passed instead, noted); ``backward(grad_output)`` returning (d query, d key, d value) and
filling each parameter's gradient. Query, key and value are distinct arrays.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from parity_check import adapters
from parity_check.core.harness import PROFILES, randn, upstream_like
from parity_check.errors import UnsupportedSetting, UsageError, call_user
from parity_check.specs.base import Case, Result, Spec, Target, basic
from parity_check.specs.module_spec import torch_defaults

QKV = ("query", "key", "value")


def _mask(kind: str | None, shape: tuple, seed: int) -> np.ndarray | None:
    """A boolean mask, True = blocked, of kind "random" (each row keeps ≥ 1 key) or "causal"."""
    if kind is None:
        return None
    L, S = shape[-2:]
    if kind == "causal":
        return np.broadcast_to(np.triu(np.ones((L, S), bool), 1), shape).copy()
    rng = np.random.default_rng(seed)
    blocked = rng.random(shape) < 0.4
    np.put_along_axis(blocked, rng.integers(S, size=shape[:-1])[..., None], False, axis=-1)
    return blocked


def _grads(result: Result, prefix: str, grads, shapes: list[tuple], np_dtype) -> None:
    """(d query, d key, d value) from the user's backward, checked and added to ``result``."""
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        raise UsageError(f"{prefix} must return (d query, d key, d value): query, key and value are distinct arrays here, got {type(grads).__name__}")  # fmt: skip
    for name, g, shape in zip(QKV, grads, shapes, strict=True):
        result.add(f"grad of {name}", adapters.check_array(g, f"{prefix}'s d{name}", shape, np_dtype))  # fmt: skip


def _split_return(out) -> tuple:
    """(output, second) from a result that is an array or a tuple (output, weights or cache)."""
    if isinstance(out, (tuple, list)) and out and not isinstance(out, np.ndarray):
        return out[0], (out[1] if len(out) > 1 else None)
    return out, None


class AttentionSpec(Spec):
    """What both specs share: the cases and the inputs their setups describe."""

    def __init__(self, cases: list[Case], thorough: list[Case]) -> None:
        self._cases, self._thorough = cases, thorough

    def cases(self, thorough: bool) -> list[Case]:
        return self._cases + (self._thorough if thorough else [])

    def describe(self, case: Case) -> dict:
        mask = case.setup.get("mask")
        return {**case.config, **({"attn_mask": mask} if mask else {})}

    @staticmethod
    def backpropagate(out, weights, qkv, module=None) -> Result:
        """torch's output and weights, and the gradients of one random upstream gradient."""
        out.backward(torch.from_numpy(upstream_like(out, seed=100)))
        result = Result()
        result.add("output", out)
        result.add("attention weights", weights)
        for name, t in zip(QKV, qkv, strict=True):
            result.add(f"grad of {name}", t.grad)
        for name, p in [] if module is None else module.named_parameters():
            result.add(f"grad of {name}", p.grad)
        return result

    def arrays(self, case: Case, dtype: str) -> list[np.ndarray]:
        return [randn(s, dtype, seed=i) for i, s in enumerate(case.setup["shapes"])]


class SDPASpec(AttentionSpec):
    name, kind = "scaled_dot_product_attention", "function"
    reference = "scratch.functional.scaled_dot_product_attention"
    twin = "torch.nn.functional.scaled_dot_product_attention"

    def keep(self, case: Case, q: np.ndarray, k: np.ndarray) -> np.ndarray | None:
        """The case's boolean mask in SDPA's convention (True = takes part), or None."""
        blocked = _mask(case.setup.get("mask"), (*q.shape[:-1], k.shape[-2]), 7)
        return None if blocked is None else ~blocked

    def expected(self, case: Case, dtype: str) -> Result:
        q, k, v = (torch.tensor(a, requires_grad=True) for a in self.arrays(case, dtype))
        keep = self.keep(case, q, k)
        mask = None if keep is None else torch.from_numpy(keep)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **case.config)
        with torch.no_grad():  # torch's documented formula (its SDPA docstring)
            scale = case.config.get("scale") or 1 / q.shape[-1] ** 0.5
            scores = q @ k.transpose(-2, -1) * scale
            if case.config.get("is_causal"):
                mask = torch.ones(scores.shape[-2:], dtype=torch.bool).tril()
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
        return self.backpropagate(out, weights, (q, k, v))

    def _kwargs(self, target: Target, fn, case: Case, q, k) -> dict:
        """The keyword arguments that give ``fn`` the case's mask, is_causal and scale."""
        accepted, var_kw = adapters.accepted_names(fn)
        takes = lambda name: name in accepted or var_kw  # noqa: E731
        kwargs, keep = {}, self.keep(case, q, k)
        if case.config.get("is_causal"):
            if takes("is_causal"):
                kwargs["is_causal"] = True
            else:
                keep = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
                target.note("your function takes no is_causal: the causal mask tril(ones(L, S)) is passed as a boolean mask (True = takes part)")  # fmt: skip
        if keep is not None:
            name = next((n for n in ("attn_mask", "mask") if n in accepted), "attn_mask" if var_kw else None)  # fmt: skip
            if name is None:
                raise UnsupportedSetting("your function takes no attn_mask (or mask) argument")
            kwargs[name] = keep
        if case.config.get("scale") is not None:
            if not takes("scale"):
                raise UnsupportedSetting(f"your function takes no scale argument (scale={case.config['scale']})")  # fmt: skip
            kwargs["scale"] = case.config["scale"]
        return kwargs

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        fn = target.obj
        if not callable(fn):
            raise UsageError(f"{target.name} is a {type(fn).__name__}, not a function")
        np_dtype = PROFILES[dtype].np_dtype
        q, k, v = self.arrays(case, dtype)
        kwargs = self._kwargs(target, fn, case, q, k)
        out, second = _split_return(call_user(f"calling {target.name}", fn, q.copy(), k.copy(), v.copy(), **kwargs))  # fmt: skip
        result = Result()
        result.add("output", adapters.check_array(out, "your function's output", (*q.shape[:-1], v.shape[-1]), np_dtype))  # fmt: skip
        weights_shape = (*q.shape[:-1], k.shape[-2])
        if isinstance(second, np.ndarray) and second.ndim >= 2:  # returned weights are compared
            result.add("attention weights", adapters.check_array(second, "your attention weights", weights_shape, np_dtype))  # fmt: skip
        if target.derivative is not None:
            g = upstream_like(result["output"], seed=100)
            d = target.derivative
            sig = adapters._signature(d)
            if sig is not None and len(sig.parameters) == 2:
                grads = call_user("calling your derivative", d, g, second)
            else:
                grads = call_user("calling your derivative", d, g, q.copy(), k.copy(), v.copy(), **kwargs)  # fmt: skip
            _grads(result, "your derivative", grads, [q.shape, k.shape, v.shape], np_dtype)
        return result


class MHASpec(AttentionSpec):
    name, kind = "MultiheadAttention", "module"
    reference, twin = "scratch.nn.MultiheadAttention", "torch.nn.MultiheadAttention"

    def torch_module(self, config: dict, dtype: str) -> torch.nn.MultiheadAttention:
        """torch's module; its zero-initialised biases drawn at random, so they matter."""
        torch.manual_seed(0)
        module = torch.nn.MultiheadAttention(**config).to(PROFILES[dtype].torch_dtype)
        with torch.no_grad():
            for name, p in module.named_parameters():
                if name.endswith("bias"):
                    p.normal_(0.0, 0.5)
        return module

    def blocked(self, case: Case, q: np.ndarray, k: np.ndarray) -> np.ndarray | None:
        return _mask(case.setup.get("mask"), (q.shape[1], k.shape[1]), 7)

    def expected(self, case: Case, dtype: str) -> Result:
        module = self.torch_module(case.config, dtype)
        q, k, v = (torch.tensor(a, requires_grad=True) for a in self.arrays(case, dtype))
        blocked = self.blocked(case, q, k)
        mask = None if blocked is None else torch.from_numpy(blocked)
        out, weights = module(q, k, v, attn_mask=mask, need_weights=True)
        return self.backpropagate(out, weights, (q, k, v), module)

    def actual(self, target: Target, case: Case, dtype: str) -> Result:
        np_dtype = PROFILES[dtype].np_dtype
        config = dict(case.config)
        args = (config.pop("embed_dim"), config.pop("num_heads"))
        accepted, var_kw = adapters.accepted_names(target.obj)
        if "batch_first" not in accepted and not var_kw and callable(target.obj):
            config.pop("batch_first")
            target.note("your constructor takes no batch_first: inputs are passed batch first, (N, L, E)")  # fmt: skip
        defaults = torch_defaults(torch.nn.MultiheadAttention)
        obj, used = adapters.build(target, args, config, defaults, "MultiheadAttention's settings")
        adapters.require_module_protocol(target, obj)
        target.used = adapters.changed(used, config)
        reference = self.torch_module({**case.config, **target.used}, dtype)
        state = reference.state_dict()
        shapes = {n: tuple(p.shape) for n, p in reference.named_parameters()}
        slots = adapters.map_parameters(target, obj, shapes, {})
        for name, slot in slots.items():
            slot.set(state[name].numpy().astype(np_dtype))
        q, k, v = self.arrays(case, dtype)
        kwargs = self._forward_kwargs(target, obj, self.blocked(case, q, k))
        out, weights = _split_return(adapters.forward(target, obj, q.copy(), k.copy(), v.copy(), **kwargs))  # fmt: skip
        result = Result()
        result.add("output", adapters.check_array(out, "your forward's output", q.shape, np_dtype))
        if weights is not None:
            shape = (q.shape[0], q.shape[1], k.shape[1])
            result.add("attention weights", adapters.check_array(weights, "your attention weights (averaged over heads)", shape, np_dtype))  # fmt: skip
        grads = call_user("calling backward", obj.backward, upstream_like(result["output"], seed=100))  # fmt: skip
        _grads(result, "your backward", grads, [q.shape, k.shape, v.shape], np_dtype)
        for name, shape in shapes.items():
            what = f"the gradient of your {slots[name].user_name}"
            result.add(f"grad of {name}", adapters.check_array(slots[name].grad(), what, shape, np_dtype))  # fmt: skip
        return result

    def _forward_kwargs(self, target: Target, obj, blocked: np.ndarray | None) -> dict:
        accepted, var_kw = adapters.accepted_names(getattr(obj, "forward", obj))
        kwargs = {"need_weights": True} if "need_weights" in accepted else {}
        if blocked is None:
            return kwargs
        if "attn_mask" in accepted or var_kw:
            return {**kwargs, "attn_mask": blocked}
        if "mask" in accepted:
            target.note("the mask is passed as mask with True = keep (the course's convention; torch's attn_mask has True = blocked)")  # fmt: skip
            return {**kwargs, "mask": ~blocked}
        raise UnsupportedSetting("your forward takes no attn_mask (or mask) argument")


def C(label: str, shapes: list[tuple], mask: str | None = None, **config) -> Case:
    return Case(label, config, {"shapes": shapes, "mask": mask})


def M(label: str, N: int, L: int, S: int, E: int, mask: str | None = None, **config) -> Case:
    return C(label, [(N, L, E), (N, S, E), (N, S, E)], mask, embed_dim=E, batch_first=True, **config)  # fmt: skip


SPECS = [
    SDPASpec([
        basic(C("no mask", [(2, 3, 4), (2, 5, 4), (2, 5, 3)])),
        C("boolean attn_mask (True = takes part)", [(2, 3, 4), (2, 5, 4), (2, 5, 3)], "random"),
        C("is_causal", [(2, 4, 4), (2, 4, 4), (2, 4, 5)], is_causal=True),
        C("scale=0.3, batch and head dims", [(2, 2, 3, 4), (2, 2, 4, 4), (2, 2, 4, 2)], scale=0.3),
    ], [
        C("is_causal, L < S (top-left aligned)", [(2, 3, 4), (2, 5, 4), (2, 5, 3)], is_causal=True),
        C("one query, one key", [(1, 1, 2), (1, 1, 2), (1, 1, 3)]),
        C("boolean mask with batch dims, E = 8", [(3, 4, 8), (3, 6, 8), (3, 6, 8)], "random"),
    ]),
    MHASpec([
        basic(M("E=8, 2 heads, L=3, S=4", 2, 3, 4, 8, num_heads=2)),
        M("boolean attn_mask (True = blocked)", 2, 3, 4, 8, "random", num_heads=2),
        M("4 heads, no bias, causal attn_mask", 2, 4, 4, 8, "causal", num_heads=4, bias=False),
    ], [
        M("3 heads of 2, one sequence", 1, 5, 2, 6, num_heads=3),
        M("1 head, masked", 3, 2, 5, 4, "random", num_heads=1),
    ]),
]  # fmt: skip
