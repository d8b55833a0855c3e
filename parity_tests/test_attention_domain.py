"""MultiheadAttention's dropout, checked where torch 2.14.1 checks it: only where it is applied.

Split from test_attention.py. In eval, or in training where F.dropout does not run (p <= 0
with need_weights), any number is taken and the twins agree exactly; in training where it
runs, torch refuses p outside [0, 1] (or NaN), and so does scratch.
"""

from __future__ import annotations

import pytest
import torch

import scratch.nn as snn
import torch_ref.nn.attention as tnn
from parity_tests.test_attention import check_mha, qkv


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
