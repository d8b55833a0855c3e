"""Initialisation figures, drawn by both twins (scratch.experiments vs torch_ref.experiments).

Both twins fill the same deep ReLU net's weights with the seed's schemes
(``init_weight_(weight, scheme, generator)``, built on scratch.nn.init / torch.nn.init).
``course_activations`` is the course's own experiment (784 inputs, ten ReLU layers of 256, a
batch of 200), shared with course/09_initialisation.ipynb.
"""

from __future__ import annotations

import numpy as np
import torch

from course.figures.registry import SCRATCH, TORCH, figure, plt

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


COURSE_SIZES = (784,) + (256,) * 10
COURSE_BATCH = 200
COURSE_SCHEMES = {"std 1.0": "normal_1", "std 0.01": "normal_0.01", "Xavier": "xavier", "He": "kaiming"}  # fmt: skip


def course_activations(scheme: str, seed: int = 0) -> dict[str, list[np.ndarray]]:
    """{"scratch": [...], "torch": [...]}: the ReLU activations after each of the course's layers.

    Each twin draws from its own generator seeded with ``seed``, in the order its
    ``activation_stats_by_depth(scheme, batch=200, in_features=784)`` draws (the input, then
    each weight), so the statistics of these arrays are exactly what that function returns.
    """
    from scratch.experiments import init_weight_ as s_init
    from torch_ref.experiments import init_weight_ as t_init

    rng, gen = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    s = rng.standard_normal((COURSE_BATCH, COURSE_SIZES[0]))
    t = torch.randn(COURSE_BATCH, COURSE_SIZES[0], dtype=torch.float64, generator=gen)
    out = {"scratch": [], "torch": []}
    for n_in, n_out in zip(COURSE_SIZES[:-1], COURSE_SIZES[1:], strict=True):
        s = np.maximum(s @ s_init(np.empty((n_out, n_in)), scheme, rng).T, 0.0)
        t = torch.relu(t @ t_init(torch.empty(n_out, n_in, dtype=torch.float64), scheme, gen).T)
        out["scratch"].append(s)
        out["torch"].append(t.numpy())
    return out


@figure("Initialisation", "The course's experiment: activations after each of ten ReLU layers")
def course_init_grid():
    depth = len(COURSE_SIZES) - 1
    fig, axes = plt.subplots(len(COURSE_SCHEMES), depth, figsize=(20, 8.5), sharex="row", sharey="row")  # fmt: skip
    for row, (label, scheme) in enumerate(COURSE_SCHEMES.items()):
        acts = course_activations(scheme)
        logs = {twin: [np.log10(a[a > 0]) for a in arrays] for twin, arrays in acts.items()}
        everything = np.concatenate(logs["scratch"] + logs["torch"])
        bins = np.linspace(everything.min(), everything.max(), 40)
        for col in range(depth):
            ax = axes[row, col]
            for twin, style in (("scratch", SCRATCH), ("torch", TORCH)):
                ax.hist(logs[twin][col], bins, histtype="step", density=True,
                        color=style["color"], lw=style["lw"], ls=style.get("ls", "-"))  # fmt: skip
            s, t = acts["scratch"][col], acts["torch"][col]
            ax.text(0.02, 0.97, f"μ {s.mean():.3g} | {t.mean():.3g}\nσ {s.std():.3g} | {t.std():.3g}",
                    transform=ax.transAxes, va="top", fontsize=6.5)  # fmt: skip
            ax.set_yticks([])
            ax.xaxis.set_major_locator(plt.MaxNLocator(4))
            ax.tick_params(labelsize=7, labelbottom=col == 0)  # one scale per row: it is shared
            if row == 0:
                ax.set_title(f"layer {col + 1}", fontsize=9)
        axes[row, 0].set_ylabel(label, fontsize=10)
    axes[-1, 0].set_xlabel("log10(activation > 0)", fontsize=7)
    axes[0, 0].legend(handles=[plt.Line2D([], [], **SCRATCH), plt.Line2D([], [], **TORCH)],
                      fontsize=6, loc="lower left")  # fmt: skip
    fig.subplots_adjust(left=0.03, right=0.995, bottom=0.07, top=0.96, wspace=0.08, hspace=0.25)
    caption = (
        "The course's initialisation experiment (a batch of 200 standard-normal 784-pixel "
        "inputs, ten bias-free ReLU layers of 256 units) for its four schemes: histograms of "
        "log10 of each layer's positive activations (about half are exactly 0, ReLU's cut), "
        "scratch solid and torch dashed, with mean μ and standard deviation σ of all 200×256 "
        "activations (scratch | torch). Each twin draws from its own generator, so the overlay "
        "shows the same distribution, not the same numbers. Each row has its own axis: N(0, 1) "
        "multiplies the scale by about 11 per layer, N(0, 0.01²) by about 0.11, Xavier by "
        "about 0.7, He keeps it."
    )
    return fig, caption
