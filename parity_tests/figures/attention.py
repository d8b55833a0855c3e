"""Attention figure, drawn by both twins (scratch.nn.MultiheadAttention vs torch's).

The figure imports scratch.nn.MultiheadAttention inside its function, so a build without
it shows a "not available yet" note instead of failing the report.
"""

from __future__ import annotations

import numpy as np
import torch

from parity_tests.figures.registry import figure, plt

EMBED_DIM, HEADS, TOKENS = 16, 4, 8


@figure("Attention", "Attention weights per head")
def attention_heads():
    from scratch.nn import MultiheadAttention

    torch.manual_seed(0)
    t_mha = torch.nn.MultiheadAttention(EMBED_DIM, HEADS, batch_first=True).double()
    s_mha = MultiheadAttention(EMBED_DIM, HEADS, batch_first=True).double()
    s_mha.load_state_dict({k: v.detach() for k, v in t_mha.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, TOKENS, EMBED_DIM))
    causal = np.triu(np.full((TOKENS, TOKENS), -np.inf), k=1)
    _, s_w = s_mha(x, x, x, attn_mask=causal, need_weights=True, average_attn_weights=False)
    xt = torch.from_numpy(x)
    _, t_w = t_mha(xt, xt, xt, attn_mask=torch.from_numpy(causal), need_weights=True,
                   average_attn_weights=False)  # fmt: skip
    s_w, t_w = np.asarray(s_w)[0], t_w.detach().numpy()[0]  # (heads, queries, keys)
    fig, axes = plt.subplots(2, HEADS, figsize=(3.2 * HEADS, 6.4))
    for h in range(HEADS):
        for row, (w, who) in enumerate(((s_w, "scratch"), (t_w, "torch"))):
            axes[row, h].imshow(w[h], cmap="viridis", vmin=0, vmax=1)
            axes[row, h].set_title(f"head {h} ({who})", fontsize=9)
    for ax in axes[1]:
        ax.set_xlabel("key")
    for ax in axes[:, 0]:
        ax.set_ylabel("query")
    fig.tight_layout()
    caption = (
        f"Per-head attention weights of one causal self-attention layer ({HEADS} heads, "
        f"embed_dim {EMBED_DIM}, {TOKENS} tokens, torch's weights loaded into scratch): "
        "scratch (top) and torch.nn.MultiheadAttention with average_attn_weights=False "
        f"(bottom). Largest gap {np.abs(s_w - t_w).max():.1e}; the upper triangle is 0 "
        "(masked future tokens) in both."
    )
    return fig, caption
