"""Regularisation figures, drawn by both twins (scratch.regularization / scratch.experiments vs
torch_ref's). The course notebook course/06_regularisation.ipynb draws them from here too.

- The course's overfitting demo on its own data (30 points of [-3, 3], y = 0.5x² - x +
  1.5·noise, NumPy's legacy seed 42): degree 2 and 15 by least squares, degree 15 by ridge
  with λ = 10; and the degree-15 errors as λ sweeps.
- The vanishing-gradient experiment: per-layer weight-gradient norms of a 20-layer net.
"""

from __future__ import annotations

import numpy as np
import torch

from course.figures.registry import SCRATCH, TORCH, figure, plt

LAMBDAS = np.logspace(-4, 4, 33)  # the sweep on the right; 10 (the course's) is on it


def _gap(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def course_fits() -> list[dict]:
    """The course's three fits by both twins: per fit its label, degree, λ and, per twin
    (``"scratch"``, ``"torch"``), the coefficients (increasing powers), the curve on the
    course's 200-point plotting grid, the training MSE and the MSE against the parabola."""
    import scratch.regularization as sr
    import torch_ref.regularization as tr

    grid = sr.plot_grid()
    truth = sr.smooth_target(grid)
    fits = []
    for label, degree, lam in [("degree 2", 2, 0.0), ("degree 15", 15, 0.0),
                               (f"degree 15, ridge λ={sr.RIDGE_LAMBDA:g}", 15, sr.RIDGE_LAMBDA)]:  # fmt: skip
        out = dict(label=label, degree=degree, lam=lam)
        for name, twin, g in (("scratch", sr, grid), ("torch", tr, torch.from_numpy(grid))):
            x, y = twin.overfitting_data()
            X = twin.polynomial_features(x, degree)
            c = twin.fit_ridge(X, y, lam) if lam else twin.fit_least_squares(X, y)
            curve = np.asarray(twin.polynomial_features(g, degree) @ c)
            out[name] = dict(coefficients=np.asarray(c), curve=curve,
                             train_mse=sr.mse(np.asarray(X @ c), np.asarray(y)),
                             truth_mse=sr.mse(curve, truth))  # fmt: skip
        fits.append(out)
    return fits


def ridge_sweep(lambdas: np.ndarray = LAMBDAS) -> dict[str, np.ndarray]:
    """Degree-15 training MSE and MSE against the parabola for each λ, in both twins."""
    import scratch.regularization as sr
    import torch_ref.regularization as tr

    grid = sr.plot_grid()
    truth = sr.smooth_target(grid)
    out: dict[str, list] = {k: [] for k in ("scratch train", "scratch truth", "torch train",
                                             "torch truth")}  # fmt: skip
    for name, twin, g in (("scratch", sr, grid), ("torch", tr, torch.from_numpy(grid))):
        x, y = twin.overfitting_data()
        X, G = twin.polynomial_features(x, 15), twin.polynomial_features(g, 15)
        for lam in lambdas:
            c = twin.fit_ridge(X, y, float(lam))
            out[f"{name} train"].append(sr.mse(np.asarray(X @ c), np.asarray(y)))
            out[f"{name} truth"].append(sr.mse(np.asarray(G @ c), truth))
    return {k: np.array(v) for k, v in out.items()}


@figure("Regularisation", "Overfitting vs ridge (L2): the course's polynomial demo")
def overfitting_vs_ridge(fits: list[dict] | None = None):
    import scratch.regularization as sr

    fits = course_fits() if fits is None else fits
    x, y = sr.overfitting_data()
    grid = sr.plot_grid()
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.2))
    gap = 0.0
    for i, (ax, f) in enumerate(zip(axes[:3], fits, strict=True)):
        ax.plot(grid, sr.smooth_target(grid), color="grey", lw=1, label="0.5x² − x")
        ax.scatter(x, y, color="black", s=12, zorder=3, label="the course's 30 points")
        s, t = f["scratch"], f["torch"]
        gap = max(gap, _gap(s["curve"], t["curve"]))
        ax.plot(grid, s["curve"], **SCRATCH | dict(color=f"C{i}"))
        ax.plot(grid, t["curve"], **TORCH | dict(color="black", lw=1.0))
        ax.set_ylim(-10, 20)  # the course's axes
        ax.set_title(f"{f['label']}\ntrain MSE {s['train_mse']:.3f}, vs parabola "
                     f"{s['truth_mse']:.3f}", fontsize=9)  # fmt: skip
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="upper center")
    sweep = ridge_sweep()
    ax = axes[3]
    for kind, shade in (("train", 0.5), ("truth", 1.0)):
        label = "training MSE" if kind == "train" else "MSE vs parabola"
        gap = max(gap, _gap(sweep[f"scratch {kind}"], sweep[f"torch {kind}"]))
        ax.plot(LAMBDAS, sweep[f"scratch {kind}"], **SCRATCH | dict(alpha=shade, label=label))
        ax.plot(LAMBDAS, sweep[f"torch {kind}"], **TORCH | dict(label=None))
    ax.axvline(sr.RIDGE_LAMBDA, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("ridge penalty λ (degree 15)")
    ax.set_title("degree-15 errors as λ grows (dotted: the course's λ=10)", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    caption = (
        "The course's overfitting demo on its own data (30 evenly spaced points of [-3, 3], "
        "y = 0.5x² − x + 1.5·noise, NumPy's legacy seed 42): degree 2 and degree 15 by least "
        "squares, degree 15 by ridge regression with the course's λ = 10 (the intercept "
        "penalised too, as its closed form does). Each curve by scratch.regularization "
        "(colour) and torch_ref.regularization (black dashes, torch.linalg). The titles' errors "
        "are ours (the course only plots): training MSE, and MSE against the noiseless "
        "parabola on the 200-point plotting grid. Right: both errors of the degree-15 ridge "
        f"fit as λ sweeps, both twins. Largest gap over all curves: {gap:.1e} (float64)."
    )
    return fig, caption


def layer_gradient_norms(activation: str, depth: int = 20, width: int = 32):
    """(scratch, torch) per-layer weight-gradient norms of the same He-initialised deep net
    (the weights loaded into both), batch 16, a random upstream gradient."""
    import scratch.experiments as sx
    import torch_ref.experiments as tx

    model = sx.deep_mlp(activation, depth=depth, width=width, generator=np.random.default_rng(0))
    torch_model = tx.deep_mlp(activation, depth=depth, width=width)
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((16, width)), rng.standard_normal((16, width))
    s = sx.layer_gradient_norms(model, x, g)
    t = tx.layer_gradient_norms(torch_model, torch.from_numpy(x), torch.from_numpy(g)).numpy()
    return s, t


@figure("Regularisation", "Vanishing gradients: per-layer gradient norms through 20 layers")
def vanishing_gradients(depth: int = 20, width: int = 32):
    from scratch.experiments import ACTIVATIONS

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    worst = 0.0
    layers = np.arange(1, depth + 1)
    for i, activation in enumerate(sorted(ACTIVATIONS)):
        s, t = layer_gradient_norms(activation, depth, width)
        worst = max(worst, float(np.max(np.abs(s - t) / t)))
        ax.plot(layers, s, **SCRATCH | dict(color=f"C{i}", label=f"{activation} (scratch)"))
        ax.plot(layers, t, **TORCH | dict(color="black", lw=1.0, label=None))
    ax.plot([], [], **TORCH | dict(color="black", lw=1.0))
    ax.set_yscale("log")
    ax.set_xticks(layers[::2])
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("‖dL/dW‖ of the layer")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    caption = (
        f"The vanishing-gradient experiment: a {depth}-layer, {width}-wide bias-free net with "
        "He-normal weights and one activation throughout, a random upstream gradient on a "
        "batch of 16. Per-layer weight-gradient norms from scratch's hand-written backward "
        "(colour) and torch's autograd on the same weights (black dashes): sigmoid's shrink "
        "by orders of magnitude going back (σ' ≤ 1/4), ReLU's keep their scale. Largest "
        f"relative gap between the twins: {worst:.1e}."
    )
    return fig, caption
