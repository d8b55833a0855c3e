"""Figures whose components live on branches not merged yet: initialisation, and two stubs.

The initialisation figure follows the API of DESIGN.md (``scratch.nn.init.<name>_(array,
..., generator=)``) and imports it inside its function ("not available yet" until merged).
The regularisation and receptive-field figures are stubs: their scratch API is not settled
on this branch, so each says what it will show; replace ``stub(...)`` by a ``@figure``.
"""

from __future__ import annotations

import numpy as np
import torch

from parity_tests.figures.registry import figure, plt, stub

stub(
    "overfitting_vs_ridge", "Regularisation", "Overfitting vs ridge (L2) on a polynomial fit",
    "a high-degree polynomial fitted to a few noisy points without and with an L2 penalty; "
    "scratch.regularization's fit (solid) against the torch twin's (dashed: closed-form ridge "
    "or SGD with weight_decay), plus train/validation error vs the penalty strength. Waits for "
    "scratch.regularization (its API is not settled on this branch).",
)  # fmt: skip

stub(
    "receptive_field_growth", "Receptive fields", "Receptive-field growth with depth",
    "receptive-field size vs depth for stacks of 3×3 convs (plain, stride 2, dilation 2): "
    "scratch.receptive_field's analytic size (solid) against the torch twin's measured size "
    "(dashed: the support of d out[centre] / d input by autograd through torch's Conv2d "
    "stack). Waits for scratch.receptive_field (its API is not settled on this branch).",
)  # fmt: skip

WIDTH, DEPTH, SAMPLES = 256, 8, 512
SHOWN_LAYERS = (1, 3, 5, 8)
INITS = [  # title, scratch init call, torch init call, activation
    ("N(0, 0.01²), tanh", None, None, "tanh"),
    ("xavier_normal_, tanh", lambda i, w, g: i.xavier_normal_(w, generator=g),
     lambda w, g: torch.nn.init.xavier_normal_(w, generator=g), "tanh"),
    ("kaiming_normal_(relu), ReLU", lambda i, w, g: i.kaiming_normal_(w, nonlinearity="relu", generator=g),
     lambda w, g: torch.nn.init.kaiming_normal_(w, nonlinearity="relu", generator=g), "relu"),
    # LeCun normal: std 1/sqrt(fan_in), which is torch's kaiming_normal_ with gain 1
    ("lecun_normal_, tanh", lambda i, w, g: i.lecun_normal_(w, generator=g),
     lambda w, g: torch.nn.init.kaiming_normal_(w, nonlinearity="linear", generator=g), "tanh"),
]  # fmt: skip


def _scratch_filler(init, s_init, rng: np.random.Generator):
    def fill(w: np.ndarray) -> None:
        if s_init is None:
            w[...] = rng.standard_normal(w.shape) * 0.01
        else:
            s_init(init, w, rng)

    return fill


def _torch_filler(t_init, gen: torch.Generator):
    def fill(w: np.ndarray) -> None:
        t = torch.empty(w.shape, dtype=torch.float64)
        if t_init is None:
            t.normal_(0.0, 0.01, generator=gen)
        else:
            t_init(t, gen)
        w[...] = t.numpy()

    return fill


def _activations(fill, x: np.ndarray, act: str) -> list[np.ndarray]:
    out = []
    for _ in range(DEPTH):
        w = np.empty((WIDTH, WIDTH))
        fill(w)
        x = x @ w.T
        x = np.tanh(x) if act == "tanh" else np.maximum(x, 0)
        out.append(x)
    return out


@figure("Initialisation", "Activation histograms across depth for four initialisations")
def init_histograms():
    import scratch.nn.init as init

    x0 = np.random.default_rng(0).standard_normal((SAMPLES, WIDTH))
    fig, axes = plt.subplots(1, len(INITS), figsize=(16, 3.6))
    worst = 0.0
    for ax, (title, s_init, t_init, act) in zip(axes, INITS, strict=True):
        s_fill = _scratch_filler(init, s_init, np.random.default_rng(1))
        t_fill = _torch_filler(t_init, torch.Generator().manual_seed(1))
        s_acts, t_acts = _activations(s_fill, x0, act), _activations(t_fill, x0, act)
        for layer in SHOWN_LAYERS:
            a, b = s_acts[layer - 1], t_acts[layer - 1]
            worst = max(worst, abs(a.std() - b.std()) / max(b.std(), 1e-300))
            colour = plt.cm.viridis(layer / DEPTH)
            bins = np.linspace(-1, 1, 61) if act == "tanh" else np.linspace(0, 3, 61)
            if act == "relu":  # half the units are exactly 0: show the positive half
                a, b = a[a > 0], b[b > 0]
            ax.hist(a.ravel(), bins, histtype="step", color=colour, lw=2, label=f"layer {layer}")
            ax.hist(b.ravel(), bins, histtype="step", color="black", lw=0.8, ls="--")
        ax.set_title(title, fontsize=9)
        ax.set_yticks([])
    axes[0].legend(fontsize=7)
    caption = (
        f"Histograms of the activations of layers {SHOWN_LAYERS} of a {DEPTH}-layer, "
        f"{WIDTH}-wide net for four initialisations: scratch.nn.init (colour) and torch.nn.init "
        "(black dashes). The two draw from different random streams, so the overlay proves the "
        "same distribution, not the same numbers (per-layer standard deviations differ by at "
        f"most {worst:.1%} between the two draws). Too small an init makes deep tanh activations "
        "collapse to 0; the ReLU panel shows the positive half (the other half is exactly 0)."
    )
    return fig, caption
