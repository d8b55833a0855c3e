"""Attention over torch's whole domain: MultiheadAttention's dropout, checked where torch
2.14.1 checks it (only where it is applied), and SDPA's broadcast batch dims and GQA heads.

Split from test_attention.py. In eval, or in training where F.dropout does not run (p <= 0
with need_weights), any number is taken and the twins agree exactly; in training where it
runs, torch refuses p outside [0, 1] (or NaN), and so does scratch.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.attention as tnn
from parity_check.core.harness import DTYPES, assert_close
from parity_tests.test_attention import check_mha, compare_sdpa, qkv


@pytest.mark.parametrize("training,need_weights,p", [
    (False, True, 1.5), (False, False, -0.1), (False, True, float("nan")),  # eval: never used
    (True, True, -0.1), (True, True, float("nan")),  # F.dropout runs only if p > 0
])  # fmt: skip
def test_mha_takes_the_dropout_torch_takes(training, need_weights, p):
    """torch checks MHA's dropout only where it applies it; these drop nothing, so the twins
    must agree exactly, in training too."""
    q, k, v = (x[0] for x in qkv("float64", E=6))  # unbatched (L, E)
    s_mha, t_mha = snn.MultiheadAttention(6, 3, dropout=p), tnn.MultiheadAttention(6, 3, p)
    s_mha.train(training), t_mha.train(training)
    check_mha(f"MHA(dropout={p}, training={training}, need_weights={need_weights})", s_mha,
              t_mha, q, k, v, dtype="float64", need_weights=need_weights)  # fmt: skip


@pytest.mark.parametrize("need_weights,p", [(True, 1.5), (False, 1.5), (False, -0.1), (False, float("nan"))])  # fmt: skip
def test_mha_refuses_in_training_the_dropout_torch_refuses(need_weights, p):
    q, k, v = (x[0] for x in qkv("float64", E=6))
    t_mha = tnn.MultiheadAttention(6, 3, p).double()
    with pytest.raises((ValueError, RuntimeError), match="dropout"):
        t_mha(*(torch.from_numpy(x) for x in (q, k, v)), need_weights=need_weights)
    with pytest.raises(ValueError, match="dropout"):
        snn.MultiheadAttention(6, 3, dropout=p).double()(q, k, v, need_weights=need_weights)


# -- scaled_dot_product_attention: broadcast batch dims, grouped-query attention --------------

BROADCAST = [  # q, k, v shapes, keyword arguments (mask shape, enable_gqa)
    ((4, 3, 8), (4, 4, 6, 8), (4, 4, 6, 8), {}),  # the issue's: q has no head axis
    ((1, 4, 3, 8), (2, 4, 6, 8), (2, 4, 6, 8), {}),  # q's batch of 1 stretched to 2
    ((1, 4, 3, 8), (2, 1, 6, 8), (1, 4, 6, 5), {"mask": (4, 1, 6)}),  # each stretched somewhere
    ((3, 8), (2, 4, 6, 8), (6, 8), {"mask": (3, 6)}),  # 2-D q and v
    ((2, 8, 3, 4), (2, 2, 6, 4), (2, 2, 6, 4), {"enable_gqa": True}),  # 4 query heads per kv head
    ((2, 8, 3, 4), (2, 2, 6, 4), (2, 4, 6, 4), {"enable_gqa": True, "is_causal": True}),  # k, v differ
    ((5, 8, 3, 4), (1, 2, 6, 4), (1, 1, 6, 4), {"enable_gqa": True}),  # GQA, then broadcast
    ((8, 3, 4), (2, 2, 6, 4), (2, 6, 4), {"enable_gqa": True, "mask": (8, 3, 6)}),
    ((2, 8, 3, 4), (2, 8, 6, 4), (2, 8, 6, 4), {"enable_gqa": True}),  # as many heads: no repeat
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
def test_sdpa_broadcasts_batch_dims_and_repeats_gqa_heads_as_torch(shapes, dtype):
    """Output and (dQ, dK, dV): each gradient summed over what its input was stretched (or
    repeated) along, against torch's autograd."""
    *qkv_shapes, kw = shapes
    rng = np.random.default_rng(len(str(shapes)))
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in qkv_shapes)
    mask = None if "mask" not in kw else rng.random(kw["mask"]) < 0.8
    if mask is not None:
        mask[..., 0] = True  # every query keeps a key
    t_qkv = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    t_mask = None if mask is None else torch.from_numpy(mask)
    opts = dict(is_causal=kw.get("is_causal", False), enable_gqa=kw.get("enable_gqa", False))
    out_t = tnn.scaled_dot_product_attention(*t_qkv, attn_mask=t_mask, **opts)
    out_s, cache = sf.scaled_dot_product_attention_forward(q, k, v, mask, **opts)
    assert out_s.shape == tuple(out_t.shape)
    assert_close(sf.scaled_dot_product_attention(q, k, v, mask, **opts), out_t,
                 component=f"sdpa{shapes}", tensor="output", dtype=dtype)  # fmt: skip
    compare_sdpa(f"sdpa{shapes}", out_s, cache, out_t, t_qkv, dtype)
    reference = tnn.sdpa_reference(*(torch.from_numpy(x) for x in (q, k, v)), t_mask, **opts)
    assert_close(reference, out_t.detach(), component="sdpa_reference", tensor="output", dtype=dtype)  # fmt: skip


REFUSED = [  # q, k, v shapes, enable_gqa, mask shape, torch's error, scratch's
    ((2, 8, 3, 4), (2, 3, 6, 4), (2, 3, 6, 4), True, None, "must divide the number of heads", "must divide the number of heads"),
    ((2, 2, 3, 4), (2, 8, 6, 4), (2, 8, 6, 4), True, None, "must divide the number of heads", "must divide the number of heads"),
    ((2, 8, 3, 4), (2, 2, 6, 4), (2, 2, 6, 4), False, None, "must match the size", "must broadcast"),
    ((3, 4), (6, 4), (6, 4), True, None, "Dimension out of range", "needs a heads axis"),
    ((2, 4, 3, 8), (3, 4, 6, 8), (3, 4, 6, 8), False, None, "must match the size", "must broadcast"),
    ((3, 4), (6, 4), (6, 4), False, (2, 3, 6), "doesn't match the broadcast shape", "does not broadcast"),
]  # fmt: skip


@pytest.mark.parametrize("q,k,v,gqa,mask,torch_error,error", REFUSED, ids=str)
def test_sdpa_refuses_the_shapes_torch_refuses(q, k, v, gqa, mask, torch_error, error):
    q, k, v = (np.ones(s) for s in (q, k, v))
    mask = None if mask is None else np.ones(mask, bool)
    with pytest.raises((RuntimeError, IndexError), match=torch_error):
        tnn.scaled_dot_product_attention(*(torch.from_numpy(x) for x in (q, k, v)),
                                         None if mask is None else torch.from_numpy(mask),
                                         enable_gqa=gqa)  # fmt: skip
    with pytest.raises(ValueError, match=error):
        sf.scaled_dot_product_attention(q, k, v, mask, enable_gqa=gqa)


def test_enable_gqa_must_be_a_bool_as_torch():
    q, k, v = (np.ones((2, 2, 3, 4)) for _ in range(3))
    with pytest.raises(TypeError, match="'enable_gqa' must be bool"):
        tnn.scaled_dot_product_attention(*(torch.from_numpy(x) for x in (q, k, v)), enable_gqa=1)
    with pytest.raises(TypeError, match="enable_gqa must be a bool"):
        sf.scaled_dot_product_attention(q, k, v, enable_gqa=1)


EMPTY = [((2, 3, 4), (2, 0, 4), (2, 0, 5)), ((2, 0, 4), (2, 3, 4), (2, 3, 5)), ((0, 2, 4), (0, 3, 4), (0, 3, 5))]  # fmt: skip


@pytest.mark.parametrize("shapes", EMPTY, ids=["no key", "no query", "no batch"])
def test_sdpa_and_mha_with_an_empty_axis_as_torch(shapes):
    """No key (S = 0): torch's output is 0 (an empty softmax, an empty sum); an empty batch or
    query axis gives an empty output. Never NumPy's max of nothing."""
    q, k, v = (np.random.default_rng(0).standard_normal(s) for s in shapes)
    t_qkv = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    out_t = tnn.scaled_dot_product_attention(*t_qkv)
    out_s, cache = sf.scaled_dot_product_attention_forward(q, k, v)
    compare_sdpa(f"sdpa(empty {shapes})", out_s, cache, out_t, t_qkv, "float64")
    v = v[..., :4]  # MHA: value has embed_dim features
    for need_weights in (True, False):
        check_mha(f"MHA(empty {shapes})", snn.MultiheadAttention(4, 2, batch_first=True),
                  tnn.MultiheadAttention(4, 2, batch_first=True), q, k, v, dtype="float64",
                  need_weights=need_weights)  # fmt: skip


def test_mha_device_cpu_is_taken_and_others_refused():
    mha = snn.MultiheadAttention(4, 2, device=torch.device("cpu"), dtype=np.float64)
    assert mha.in_proj_weight.dtype == mha.out_proj.weight.dtype == np.float64
    with pytest.raises(ValueError, match="device must be None or 'cpu'"):
        snn.MultiheadAttention(4, 2, device="cuda")
