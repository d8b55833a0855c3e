"""Initialisation figure, drawn by both twins (scratch.experiments vs torch_ref.experiments).

Both twins fill the same deep ReLU net's weights with the seed's schemes
(``init_weight_(weight, scheme, generator)``, built on scratch.nn.init / torch.nn.init).
"""

from __future__ import annotations

import numpy as np
import torch

from parity_tests.figures.registry import figure, plt

WIDTH, DEPTH, SAMPLES = 256, 8, 256
SHOWN_LAYERS = (1, 3, 5, 8)
SCHEMES = ("normal_0.01", "xavier", "kaiming", "lecun")
BINS = np.linspace(-9, 1.5, 85)  # log10 of the activations: the scales span 8 decades


def _depth_activations(fill, x: np.ndarray) -> list[np.ndarray]:
    """The ReLU activations after each layer of a bias-free net whose weights ``fill`` draws."""
    out = []
    for _ in range(DEPTH):
        x = np.maximum(x @ fill().T, 0.0)
        out.append(x)
    return out


@figure("Initialisation", "Activation histograms across depth for four initialisations")
def init_histograms():
    from scratch.experiments import init_weight_ as s_init
    from torch_ref.experiments import init_weight_ as t_init

    x0 = np.random.default_rng(0).standard_normal((SAMPLES, WIDTH))
    fig, axes = plt.subplots(1, len(SCHEMES), figsize=(16, 3.6), sharey=True)
    worst = 0.0
    for ax, scheme in zip(axes, SCHEMES, strict=True):
        rng, gen = np.random.default_rng(1), torch.Generator().manual_seed(1)
        s_acts = _depth_activations(lambda: s_init(np.empty((WIDTH, WIDTH)), scheme, rng), x0)  # noqa: B023
        t_acts = _depth_activations(
            lambda: t_init(torch.empty(WIDTH, WIDTH, dtype=torch.float64), scheme, gen).numpy(),  # noqa: B023
            x0,
        )
        for layer in SHOWN_LAYERS:
            a, b = s_acts[layer - 1], t_acts[layer - 1]
            worst = max(worst, abs(a.std() - b.std()) / b.std())
            colour = plt.cm.viridis(layer / DEPTH)
            ax.hist(np.log10(a[a > 0]), BINS, histtype="step", color=colour, lw=2,
                    label=f"layer {layer}")  # fmt: skip
            ax.hist(np.log10(b[b > 0]), BINS, histtype="step", color="black", lw=0.8, ls="--")
        ax.set_title(f"init {scheme!r}, ReLU", fontsize=9)
        ax.set_xlabel("log10(activation), positive units")
        ax.set_yticks([])
    axes[0].legend(fontsize=7, loc="upper left")
    caption = (
        f"Histograms of log10 of the (positive) ReLU activations after layers {SHOWN_LAYERS} of "
        f"a {DEPTH}-layer, {WIDTH}-wide bias-free net, for the seed's four initialisations: "
        "scratch (colour) and torch (black dashes), each filling the weights with its own "
        "init_weight_. Only Kaiming (He) keeps the scale from layer to layer; N(0, 0.01²) "
        "shrinks it ~10× per layer, Xavier and LeCun by √2. The twins draw from different "
        "random streams, so the overlay proves the same distribution, not the same numbers "
        f"(per-layer standard deviations differ by at most {worst:.1%} between the two draws)."
    )
    return fig, caption
