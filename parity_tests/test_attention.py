"""Parity of scratch/nn/attention.py with torch (torch_ref/nn/attention.py).

Configurations (shapes, heads, masks, scale, layout) are drawn by Hypothesis; the values come
from a NumPy generator seeded by a drawn integer, so a shrunk failure names the configuration.
Random masks always leave every query at least one key; rows that block every key are
explicit boundary ``@example``s where torch answers 0, and ``test_all_blocked_rows`` where
it answers NaN (MultiheadAttention with need_weights=True).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.attention as tnn
from parity_check.core.harness import DTYPES, PROFILES, assert_close, sync_weights, upstream_like

# -- the comparisons -------------------------------------------------------------------------


def compare_sdpa(component, out_s, cache, out_t, t_qkv, dtype):
    """Compare outputs, then backpropagate one random upstream gradient through both."""
    tol = dict(component=component, dtype=dtype)
    assert_close(out_s, out_t, tensor="output", **tol)
    g = upstream_like(out_s)
    out_t.backward(torch.from_numpy(g))
    grads = sf.scaled_dot_product_attention_backward(g, cache)
    for name, g_s, t in zip("qkv", grads, t_qkv, strict=True):
        assert_close(g_s, t.grad, tensor=f"grad of {name}", **tol)


def check_sdpa(component, q, k, v, *, dtype, attn_mask=None, is_causal=False, scale=None):
    """SDPA's output and (dQ, dK, dV) against torch's, under one random upstream gradient."""
    t_qkv = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    t_mask = None if attn_mask is None else torch.from_numpy(attn_mask)
    out_t = tnn.scaled_dot_product_attention(*t_qkv, attn_mask=t_mask, is_causal=is_causal,
                                             scale=scale)  # fmt: skip
    out_s, cache = sf.scaled_dot_product_attention_forward(
        q, k, v, attn_mask, 0.0, is_causal, scale
    )
    compare_sdpa(component, out_s, cache, out_t, t_qkv, dtype)


def check_mha(component, s_mha, t_mha, q, k, v, *, dtype, **kwargs):
    """MultiheadAttention: output, weights, grads of query/key/value and of every parameter.

    ``check_module`` compares one output tensor; MHA returns (output, weights), so this is
    its tuple-aware twin. ``q is k is v`` runs self-attention: torch's single leaf then gets
    the sum of the three input gradients.
    """
    tol = dict(component=component, dtype=dtype)
    t_mha.to(PROFILES[dtype].torch_dtype)
    s_mha.to(PROFILES[dtype].np_dtype)
    sync_weights(s_mha, t_mha)
    leaves = {id(x): torch.tensor(x, requires_grad=True) for x in (q, k, v)}
    t_qkv = [leaves[id(x)] for x in (q, k, v)]
    t_kwargs = {n: torch.from_numpy(m) if isinstance(m, np.ndarray) else m
                for n, m in kwargs.items()}  # fmt: skip
    out_t, w_t = t_mha(*t_qkv, **t_kwargs)
    out_s, w_s = s_mha(q, k, v, **kwargs)
    assert_close(out_s, out_t, tensor="output", **tol)
    if w_t is None:
        assert w_s is None, "need_weights=False must return None weights"
    else:
        assert_close(w_s, w_t, tensor="attention weights", **tol)
    g = upstream_like(out_s)
    out_t.backward(torch.from_numpy(g))
    grads = s_mha.backward(g)
    if len(leaves) == 1:
        assert_close(sum(grads), t_qkv[0].grad, tensor="grad of x (self-attention)", **tol)
    else:
        for name, g_s, t in zip(("query", "key", "value"), grads, t_qkv, strict=True):
            assert_close(g_s, t.grad, tensor=f"grad of {name}", **tol)
    torch_params = dict(t_mha.named_parameters())
    for name, param in s_mha.named_parameters():
        assert_close(param.grad, torch_params[name].grad, tensor=f"grad of {name}", **tol)
    return out_s, w_s


# -- drawing configurations ------------------------------------------------------------------


def keep_one_key(blocked: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unblock one random key per query row, so no row blocks every key."""
    idx = rng.integers(blocked.shape[-1], size=blocked.shape[:-1])
    np.put_along_axis(blocked, idx[..., None], False, axis=-1)
    return blocked


SDPA_CFG = dict(batch=(2,), L=3, S=4, E=4, Ev=3, mask="none", full=False, scale=None, seed=0,
                blocked_row=None)  # fmt: skip


@st.composite
def sdpa_configs(draw):
    """A point of SDPA's configuration space (``SDPA_CFG``'s keys; values drawn from ``seed``).
    ``blocked_row``, a query row whose mask blocks every key, is left to explicit examples."""
    return dict(
        SDPA_CFG,
        batch=tuple(draw(st.lists(st.integers(1, 3), max_size=2), label="batch dims")),
        L=draw(st.integers(1, 5), label="L"), S=draw(st.integers(1, 5), label="S"),
        E=draw(st.integers(1, 6), label="E"), Ev=draw(st.integers(1, 6), label="Ev"),
        mask=draw(st.sampled_from(["none", "bool", "float", "causal"]), label="mask"),
        full=draw(st.booleans(), label="mask has batch dims"),
        scale=draw(st.one_of(st.none(), st.floats(0.05, 2.0)), label="scale"),
        seed=draw(st.integers(0, 2**32 - 1), label="seed"),
    )  # fmt: skip


# The @examples are the boundaries, run in every profile (ci too) before the drawn ones.
@given(cfg=sdpa_configs())
@example(cfg=dict(SDPA_CFG, batch=(), L=1, S=1, E=1, Ev=1))  # no batch dims, one query, one key: softmax = 1  # fmt: skip
@example(cfg=dict(SDPA_CFG, batch=(1,), L=1, S=5, mask="bool"))  # batch 1, one query
@example(cfg=dict(SDPA_CFG, batch=(1, 2), L=4, S=1, mask="float", full=True))  # one key: every row keeps it  # fmt: skip
@example(cfg=dict(SDPA_CFG, L=2, S=5, mask="causal"))  # causal, L < S: top-left aligned
@example(cfg=dict(SDPA_CFG, L=5, S=2, mask="causal", scale=0.5))  # causal, L > S: later rows see every key  # fmt: skip
@example(cfg=dict(SDPA_CFG, mask="bool", blocked_row=1))  # a row blocks every key: safe softmax gives 0, grads 0  # fmt: skip
@example(cfg=dict(SDPA_CFG, batch=(2, 2), mask="float", full=True, blocked_row=0))  # an all -inf row: 0 too  # fmt: skip
@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_parity(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    batch, L, S, kind, np_dtype = cfg["batch"], cfg["L"], cfg["S"], cfg["mask"], PROFILES[dtype].np_dtype  # fmt: skip
    q, k, v = (rng.standard_normal((*batch, n, d)).astype(np_dtype)
               for n, d in ((L, cfg["E"]), (S, cfg["E"]), (S, cfg["Ev"])))  # fmt: skip
    mask_shape = (*batch, L, S) if cfg["full"] else (L, S)
    blocked = keep_one_key(rng.random(mask_shape) < 0.4, rng)
    if cfg["blocked_row"] is not None:
        blocked[..., cfg["blocked_row"], :] = True
    mask = None
    if kind == "bool":
        mask = ~blocked  # SDPA: True = take part
    elif kind == "float":
        mask = np.where(blocked, -np.inf, rng.standard_normal(mask_shape)).astype(np_dtype)
    check_sdpa(f"sdpa[{kind}]", q, k, v, dtype=dtype, attn_mask=mask, is_causal=kind == "causal",
               scale=cfg["scale"])  # fmt: skip


MHA_CFG = dict(N=2, H=2, head_dim=2, L=3, S=4, batched=True, batch_first=True, self_attn=False,
               mask="none", padding=False, as_float=False, need_weights=False, average=True,
               bias=True, seed=0, blocked=None)  # fmt: skip


@st.composite
def mha_configs(draw):
    """A point of MultiheadAttention's configuration space (``MHA_CFG``'s keys). ``blocked``
    is left to explicit examples: "row" blocks one query row of attn_mask, "batch" one batch
    element of key_padding_mask (every key)."""
    return dict(
        MHA_CFG,
        N=draw(st.integers(1, 3), label="N"), H=draw(st.integers(1, 3), label="heads"),
        head_dim=draw(st.integers(1, 3), label="head_dim"), bias=draw(st.booleans(), label="bias"),
        L=draw(st.integers(1, 4), label="L"), S=draw(st.integers(1, 4), label="S"),
        batched=draw(st.booleans(), label="batched"), batch_first=draw(st.booleans(), label="bf"),
        self_attn=draw(st.booleans(), label="self-attention"), padding=draw(st.booleans(), label="key_padding_mask"),
        mask=draw(st.sampled_from(["none", "2d", "3d", "causal"]), label="attn_mask"),
        as_float=draw(st.booleans(), label="float masks"), need_weights=draw(st.booleans(), label="need_weights"),
        average=draw(st.booleans(), label="average"), seed=draw(st.integers(0, 2**32 - 1), label="seed"),
    )  # fmt: skip


# The @examples are the boundaries, run in every profile (ci too) before the drawn ones. A row
# that blocks every key gives 0 with need_weights=False; its NaN (need_weights=True) is
# compared in test_all_blocked_rows.
@given(cfg=mha_configs())
@example(cfg=dict(MHA_CFG, N=1, H=1, head_dim=1, L=1, S=1, need_weights=True))  # batch 1, one query, one key, E = 1  # fmt: skip
@example(cfg=dict(MHA_CFG, batched=False, L=1, S=3, mask="2d", need_weights=True))  # unbatched, one query  # fmt: skip
@example(cfg=dict(MHA_CFG, N=1, L=1, self_attn=True, padding=True, batch_first=False))  # batch 1, self-attention on one token  # fmt: skip
@example(cfg=dict(MHA_CFG, L=2, S=4, mask="causal"))  # causal, L < S: torch trusts is_causal (SDPA's causal)  # fmt: skip
@example(cfg=dict(MHA_CFG, L=4, S=2, mask="causal", need_weights=True, average=False))  # causal, L > S, explicit mask  # fmt: skip
@example(cfg=dict(MHA_CFG, mask="2d", blocked="row"))  # a query row blocks every key: it attends to nothing, 0  # fmt: skip
@example(cfg=dict(MHA_CFG, mask="3d", as_float=True, padding=True, blocked="row"))  # an all -inf row, with padding: 0  # fmt: skip
@example(cfg=dict(MHA_CFG, padding=True, blocked="batch"))  # key_padding_mask blocks a whole batch element: 0  # fmt: skip
@example(cfg=dict(MHA_CFG, N=3, padding=True, as_float=True, batch_first=False, blocked="batch"))  # the same, float mask  # fmt: skip
@pytest.mark.parametrize("dtype", DTYPES)
def test_mha_parity(cfg, dtype):
    rng = np.random.default_rng(cfg["seed"])
    np_dtype = PROFILES[dtype].np_dtype
    H, L, batched, batch_first, mask = cfg["H"], cfg["L"], cfg["batched"], cfg["batch_first"], cfg["mask"]  # fmt: skip
    E = H * cfg["head_dim"]
    S = L if cfg["self_attn"] else cfg["S"]
    N = cfg["N"] if batched else 1
    lead = (N,) if not batched else ((N,) if batch_first else ())
    kwargs = dict(need_weights=cfg["need_weights"], average_attn_weights=cfg["average"])

    def seq(n):
        shape = (n, N, E) if batched and not batch_first else (*lead, n, E)
        return rng.standard_normal(shape[-2:] if not batched else shape).astype(np_dtype)

    def as_mask(blocked, noise=True):  # MHA convention: bool True = blocked; float = added
        added = rng.standard_normal(blocked.shape) if noise else 0.0
        return np.where(blocked, -np.inf, added).astype(np_dtype) if cfg["as_float"] else blocked

    q = seq(L)
    k = v = q if cfg["self_attn"] else seq(S)
    if not cfg["self_attn"]:
        v = seq(S)
    free = 0 if mask == "causal" else int(rng.integers(S))  # one key nobody blocks
    if mask in ("2d", "3d"):
        shape = (L, S) if mask == "2d" else ((N * H) if batched else H, L, S)
        blocked = rng.random(shape) < 0.4
        blocked[..., free] = False
        if cfg["blocked"] == "row":
            blocked[..., L // 2, :] = True
        kwargs["attn_mask"] = as_mask(blocked)
    elif mask == "causal":
        # exactly causal (no noise): with need_weights=False and no padding mask torch trusts
        # the is_causal hint and drops attn_mask, while scratch always applies attn_mask
        kwargs["attn_mask"] = as_mask(np.triu(np.ones((L, S), bool), 1), noise=False)
        kwargs["is_causal"] = True
    if cfg["padding"]:
        blocked = rng.random((N, S) if batched else (S,)) < 0.4
        blocked[..., free] = False
        if cfg["blocked"] == "batch":
            blocked[0] = True
        kwargs["key_padding_mask"] = as_mask(blocked)
    s_mha = snn.MultiheadAttention(E, H, bias=cfg["bias"], batch_first=batch_first)
    t_mha = tnn.MultiheadAttention(E, H, bias=cfg["bias"], batch_first=batch_first)
    check_mha(f"MultiheadAttention[{mask}]", s_mha, t_mha, q, k, v, dtype=dtype, **kwargs)


# -- fixed cases -----------------------------------------------------------------------------


def qkv(dtype, N=2, L=3, S=4, E=4, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal((N, n, E)).astype(dtype) for n in (L, S, S))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_matches_documented_reference(dtype):
    """torch's docstring formula (the twin used for dropout) agrees with torch's kernel."""
    q, k, v = (torch.from_numpy(x) for x in qkv(dtype))
    mask = torch.from_numpy(np.random.default_rng(3).random((3, 4)) < 0.7)
    mask[:, 0] = True
    for kw in (dict(attn_mask=mask), dict(is_causal=True), dict(scale=0.3)):
        assert_close(tnn.sdpa_reference(q, k, v, **kw),
                     tnn.scaled_dot_product_attention(q, k, v, **kw),
                     component="sdpa_reference", tensor="output", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_dropout_matches_reference(dtype):
    """Dropout: scratch's NumPy mask, fed to torch's documented formula, gives the same result.

    The keep-mask is re-drawn here from the same seed (torch's RNG cannot be matched).
    """
    q, k, v = qkv(dtype)
    p, seed = 0.3, 7
    out_s, cache = sf.scaled_dot_product_attention_forward(
        q, k, v, dropout_p=p, generator=np.random.default_rng(seed)
    )
    keep = np.random.default_rng(seed).random((2, 3, 4)) >= p
    t_qkv = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    out_t = tnn.sdpa_reference(*t_qkv, dropout_p=p, keep=torch.from_numpy(keep))
    compare_sdpa("sdpa(dropout)", out_s, cache, out_t, t_qkv, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_blocked_rows(dtype):
    """A query row with no allowed key: SDPA gives 0 (and zero grads); MHA gives NaN when it
    must return weights (explicit softmax) and 0 when it need not (it calls SDPA)."""
    q, k, v = qkv(dtype)
    allowed = np.ones((3, 4), bool)
    allowed[1] = False  # query 1 may attend to nothing
    check_sdpa("sdpa(all blocked)", q, k, v, dtype=dtype, attn_mask=allowed)
    assert not sf.scaled_dot_product_attention(q, k, v, allowed)[:, 1].any()
    float_mask = np.where(allowed, 0.0, -np.inf).astype(dtype)
    check_sdpa("sdpa(all -inf)", q, k, v, dtype=dtype, attn_mask=float_mask)
    kpm = np.zeros((2, 4), bool)
    kpm[1] = True  # batch item 1: every key is padding
    for masks in (dict(attn_mask=~allowed), dict(key_padding_mask=kpm)):
        s_mha, t_mha = (
            snn.MultiheadAttention(4, 2, batch_first=True),
            tnn.MultiheadAttention(4, 2, batch_first=True),
        )
        check_mha("MHA(all blocked, no weights)", s_mha, t_mha, q, k, v, dtype=dtype,
                  need_weights=False, **masks)  # fmt: skip
        t_mha.train()  # torch's fast path (eval + no grad) would give NaN here; not modelled
        with torch.no_grad():
            out_t, w_t = t_mha(*(torch.from_numpy(x) for x in (q, k, v)),
                               **{n: torch.from_numpy(m) for n, m in masks.items()})  # fmt: skip
        out_s, w_s = s_mha(q, k, v, **masks)
        for name, a, e in (("output", out_s, out_t), ("weights", w_s, w_t)):
            assert np.isnan(a).any(), f"MHA need_weights=True: {name} should hold NaN rows"
            assert_close(np.isnan(a), torch.isnan(e), component="MHA(all blocked, weights)",
                         tensor=f"NaN pattern of {name}", dtype=dtype)  # fmt: skip
            ok = ~np.isnan(a)
            assert_close(a[ok], e.numpy()[ok], component="MHA(all blocked, weights)",
                         tensor=f"finite {name}", dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_mha_eval_with_dropout_and_unbatched(dtype):
    """dropout > 0 is off in eval (as torch); unbatched (L, E) inputs give (L, E), (L, S)."""
    q, k, v = (x[0] for x in qkv(dtype, E=6))
    s_mha, t_mha = snn.MultiheadAttention(6, 3, dropout=0.5), tnn.MultiheadAttention(6, 3, 0.5)
    s_mha.eval(), t_mha.eval()
    out, w = check_mha("MHA(eval, dropout=0.5)", s_mha, t_mha, q, k, v, dtype=dtype)
    assert out.shape == (3, 6) and w.shape == (3, 4) and out.dtype == q.dtype


def test_mha_dropout_in_training_drops_weights():
    """Training with dropout: the returned weights are the dropped ones, rescaled by 1/(1-p)."""
    q, k, v = qkv(np.float64, N=4, L=8, S=8)
    mha = snn.MultiheadAttention(4, 1, dropout=0.5, batch_first=True,
                                 generator=np.random.default_rng(0))  # fmt: skip
    mha.double()
    _, w = mha(q, k, v)
    rows = w.sum(axis=-1)
    assert (w == 0).mean() > 0.3 and not np.allclose(rows, 1.0)
    grads = mha.backward(upstream_like(q))
    assert all(np.isfinite(g).all() for g in grads)


def test_mha_state_dict_matches_torch():
    s_sd = snn.MultiheadAttention(8, 2, batch_first=True).state_dict()
    t_sd = tnn.MultiheadAttention(8, 2, batch_first=True).state_dict()
    assert {k: v.shape for k, v in s_sd.items()} == {k: tuple(v.shape) for k, v in t_sd.items()}
    s_nb = snn.MultiheadAttention(8, 2, bias=False).state_dict()
    assert list(s_nb) == list(tnn.MultiheadAttention(8, 2, bias=False).state_dict())


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_is_kept(dtype):
    q, k, v = qkv(dtype)
    out, cache = sf.scaled_dot_product_attention_forward(q, k, v, is_causal=True)
    grads = sf.scaled_dot_product_attention_backward(out, cache)
    assert out.dtype == q.dtype and all(g.dtype == q.dtype for g in grads)


# -- bad input -------------------------------------------------------------------------------

Q, K, V = qkv(np.float64)
MHA = snn.MultiheadAttention(4, 2, batch_first=True).double()
F32 = np.float32

BAD_INPUT = [
    (lambda: snn.MultiheadAttention(6, 4), ValueError, "embed_dim \\(6\\) must be divisible"),
    (lambda: snn.MultiheadAttention(4, 0), ValueError, "num_heads must be a positive"),
    (lambda: snn.MultiheadAttention(4, 2, kdim=3), ValueError, "kdim other than embed_dim"),
    (lambda: snn.MultiheadAttention(4, 2, add_bias_kv=True), ValueError, "add_bias_kv"),
    (lambda: snn.MultiheadAttention(4, 2, dropout="0.1"), TypeError, "dropout must be a number"),
    (lambda: MHA(Q, K, V, attn_mask=np.zeros((3, 4), int)), TypeError, "attn_mask must be a bool or float"),
    (lambda: MHA(Q, K, V, attn_mask=np.zeros((4, 3), bool)), ValueError, "attn_mask must have shape \\(3, 4\\)"),
    (lambda: MHA(Q, K, V, attn_mask=np.zeros((2, 3, 4), bool)), ValueError, "shape \\(4, 3, 4\\)"),
    (lambda: MHA(Q, K, V, key_padding_mask=np.zeros((2, 3), bool)), ValueError, "key_padding_mask must have shape"),
    (lambda: MHA(Q, K, V, key_padding_mask=np.zeros((2, 4), np.int8)), TypeError, "key_padding_mask must be"),
    (lambda: MHA(Q, K[:1], V[:1]), ValueError, "must agree on N and S"),
    (lambda: MHA(Q, K, V[:, :3]), ValueError, "must agree on N and S"),
    (lambda: MHA(Q[..., :3], K, V), ValueError, "query must have shape \\(N, L, 4\\)"),
    (lambda: MHA(Q[0, 0], K, V), ValueError, "query must have shape"),
    (lambda: MHA(Q, K[0], V[0]), ValueError, "same rank"),
    (lambda: MHA(Q.astype(F32), K, V), TypeError, "query has dtype float32"),
    (lambda: MHA(Q, K, V, is_causal=True), ValueError, "is_causal=True needs attn_mask"),
    (lambda: snn.MultiheadAttention(4, 2).backward(Q), ValueError, "before forward"),
    (lambda: sf.scaled_dot_product_attention(Q, K[..., :3], V), ValueError, "key \\(..., S, E\\)"),
    (lambda: sf.scaled_dot_product_attention(Q, K, V[:, :3]), ValueError, "value \\(..., S, Ev\\)"),
    (lambda: sf.scaled_dot_product_attention(Q, np.stack([K[0]] * 3), np.stack([V[0]] * 3)), ValueError, "batch dims of query, key and value must broadcast"),
    (lambda: sf.scaled_dot_product_attention(Q[0, 0], K, V), ValueError, "at least 2-D"),
    (lambda: sf.scaled_dot_product_attention(Q, K, V.astype(F32)), TypeError, "dtypes differ"),
    (lambda: sf.scaled_dot_product_attention(Q, K, V, np.ones((3, 4), int)), TypeError, "attn_mask must be a bool"),
    (lambda: sf.scaled_dot_product_attention(Q, K, V, np.ones((4, 3), bool)), ValueError, "does not broadcast"),
    (lambda: sf.scaled_dot_product_attention(Q, K, V, np.ones((3, 4), bool), is_causal=True), ValueError, "must be None when is_causal"),
    (lambda: sf.scaled_dot_product_attention(Q, K, V, dropout_p=-0.1), ValueError, "dropout_p must be"),
    (lambda: sf.scaled_dot_product_attention(Q.astype(int), K, V), TypeError, "query must have dtype"),
]  # fmt: skip


@pytest.mark.parametrize("call,error,match", BAD_INPUT)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
