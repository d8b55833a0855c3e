"""Attention figure, drawn by both twins (scratch.nn.MultiheadAttention vs torch's).

The figures import scratch.nn.MultiheadAttention inside their functions, so a build without
it shows a "not available yet" note instead of failing the report. ``course_attention`` is
the course's section-10 demo, shared with course/10_attention.ipynb.
"""

from __future__ import annotations

import numpy as np
import torch

from course.figures.registry import figure, plt

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


COURSE_TOKENS, COURSE_DIM, COURSE_HEADS, COURSE_STD = 6, 64, 8, 0.02


def course_projections(seed: int = 42) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The course's demo draws: x (1, 6, 64), then W_Q, W_K, W_V, W_O (64×64, std 0.02).

    NumPy's legacy ``RandomState(seed)``, the stream the course's ``np.random.seed`` sets, in
    the course's order. The matrices act as ``x @ W`` (in × out), the course's layout.
    """
    rng = np.random.RandomState(seed)
    x = rng.standard_normal((1, COURSE_TOKENS, COURSE_DIM))
    W = {name: rng.standard_normal((COURSE_DIM, COURSE_DIM)) * COURSE_STD for name in ("Q", "K", "V", "O")}  # fmt: skip
    return x, W


def course_attention(seed: int = 42) -> dict[str, np.ndarray]:
    """Both twins on the course's demo: outputs and per-head weights (1, 8, 6, 6), float64.

    The course's four matrices go into torch's layout: ``in_proj_weight`` stacks W_Qᵀ, W_Kᵀ,
    W_Vᵀ (each (out, in)); ``out_proj.weight`` is W_Oᵀ; no biases (the course has none).
    """
    from scratch.nn import MultiheadAttention

    x, W = course_projections(seed)
    state = {"in_proj_weight": np.concatenate([W["Q"].T, W["K"].T, W["V"].T]),
             "out_proj.weight": W["O"].T}  # fmt: skip
    s_mha = MultiheadAttention(COURSE_DIM, COURSE_HEADS, bias=False, batch_first=True, dtype=np.float64)  # fmt: skip
    t_mha = torch.nn.MultiheadAttention(COURSE_DIM, COURSE_HEADS, bias=False, batch_first=True,
                                        dtype=torch.float64)  # fmt: skip
    s_mha.load_state_dict(state)
    t_mha.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    s_out, s_w = s_mha(x, x, x, need_weights=True, average_attn_weights=False)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        t_out, t_w = t_mha(xt, xt, xt, need_weights=True, average_attn_weights=False)
    return dict(x=x, scratch_out=s_out, torch_out=t_out.numpy(), scratch_weights=s_w,
                torch_weights=t_w.numpy())  # fmt: skip


@figure("Attention", "The course's demo: eight heads over six tokens")
def course_attention_heads():
    run = course_attention()
    s_w, t_w = run["scratch_weights"][0], run["torch_weights"][0]  # (heads, queries, keys)
    lo, hi = min(s_w.min(), t_w.min()), max(s_w.max(), t_w.max())
    fig, axes = plt.subplots(3, COURSE_HEADS, figsize=(2.2 * COURSE_HEADS, 7))
    for h in range(COURSE_HEADS):
        image = axes[0, h].imshow(s_w[h], cmap="Blues", vmin=lo, vmax=hi)
        axes[0, h].set_title(f"head {h + 1}: scratch", fontsize=9)
        axes[1, h].imshow(t_w[h], cmap="Blues", vmin=lo, vmax=hi)
        axes[1, h].set_title("torch", fontsize=9)
        axes[2, h].imshow(s_w[h] - t_w[h], cmap="coolwarm", vmin=-1e-15, vmax=1e-15)
        axes[2, h].set_title(f"diff (max {np.abs(s_w[h] - t_w[h]).max():.0e})", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[2, 0].set(xlabel="key token", ylabel="query token")
    fig.subplots_adjust(left=0.02, right=0.93, bottom=0.04, top=0.95, wspace=0.1, hspace=0.25)
    fig.colorbar(image, cax=fig.add_axes((0.945, 0.36, 0.012, 0.59)), label="attention weight")
    caption = (
        f"The course's attention demo ({COURSE_TOKENS} tokens, d_model {COURSE_DIM}, "
        f"{COURSE_HEADS} heads, projections drawn with std {COURSE_STD}, no biases, NumPy seed "
        "42): each head's weights from scratch.nn.MultiheadAttention (top) and "
        "torch.nn.MultiheadAttention with the same matrices (middle), on one colour scale "
        f"from {lo:.3f} to {hi:.3f}; bottom, scratch minus torch on a ±1e-15 scale (largest "
        f"{np.abs(s_w - t_w).max():.0e}). Every weight is within "
        f"{max(hi - 1 / COURSE_TOKENS, 1 / COURSE_TOKENS - lo):.3f} of 1/{COURSE_TOKENS}: "
        "projections this small make every score nearly 0, so each head averages the six "
        "tokens almost uniformly. On the course's own colour scale (0 to 0.5) the maps look flat."
    )
    return fig, caption
