"""Regularisation figure, drawn by both twins (scratch.regularization vs torch_ref's).

The seed's overfitting demo: noisy samples of cos(2πx/3), fitted by a degree-2 and a
degree-15 polynomial (least squares) and the degree-15 one again by ridge regression.
"""

from __future__ import annotations

import numpy as np
import torch

from parity_tests.figures.registry import SCRATCH, TORCH, figure, plt

LAMBDAS = np.logspace(-8, 2, 41)
RIDGE = 1e-3  # the penalty drawn on the left


def _gap(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


@figure("Regularisation", "Overfitting vs ridge (L2) on a polynomial fit")
def overfitting_vs_ridge():
    import scratch.regularization as sr
    import torch_ref.regularization as tr

    x, y, x_test, y_test = sr.overfitting_data(generator=np.random.default_rng(0))
    grid = np.linspace(-1, 1, 300)
    fits = [  # label, degree, scratch fit, torch fit (on the design matrix and targets)
        ("degree 2", 2, sr.fit_least_squares, tr.fit_least_squares),
        ("degree 15", 15, sr.fit_least_squares, tr.fit_least_squares),
        (f"degree 15, ridge λ={RIDGE:g}", 15, lambda X, t: sr.fit_ridge(X, t, RIDGE),
         lambda X, t: tr.fit_ridge(X, t, RIDGE)),
    ]  # fmt: skip
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(13, 4.6))
    ax0.plot(grid, sr.smooth_target(grid), color="grey", lw=1, label="cos(2πx/3)")
    ax0.scatter(x, y, color="black", s=14, zorder=3, label="training points")
    gap = 0.0
    for i, (label, degree, s_fit, t_fit) in enumerate(fits):
        c_s = s_fit(sr.polynomial_features(x, degree), y)
        c_t = t_fit(tr.polynomial_features(torch.from_numpy(x), degree), torch.from_numpy(y))
        s_curve = sr.polynomial_features(grid, degree) @ c_s
        t_curve = tr.polynomial_features(torch.from_numpy(grid), degree) @ c_t
        gap = max(gap, _gap(s_curve, t_curve.numpy()))
        ax0.plot(grid, s_curve, color=f"C{i}", lw=2.4, alpha=0.75, label=f"{label} (scratch)")
        ax0.plot(grid, t_curve.numpy(), color="black", lw=0.9, ls="--")
    ax0.plot([], [], color="black", lw=0.9, ls="--", label="torch twin (each fit)")
    ax0.set_ylim(-1.5, 2)
    ax0.legend(fontsize=7)
    ax0.set_title("fits")
    X, X_test = sr.polynomial_features(x, 15), sr.polynomial_features(x_test, 15)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for name, data, target, shade in (("train", X, y, 0.55), ("test", X_test, y_test, 1.0)):
        s_err = [sr.mse(data @ sr.fit_ridge(X, y, lam), target) for lam in LAMBDAS]
        t_err = [float(torch.mean((torch.from_numpy(data) @ tr.fit_ridge(Xt, yt, lam)
                                   - torch.from_numpy(target)) ** 2)) for lam in LAMBDAS]  # fmt: skip
        gap = max(gap, _gap(s_err, t_err))
        ax1.plot(LAMBDAS, s_err, **SCRATCH | dict(alpha=shade, label=f"{name} MSE (scratch)"))
        ax1.plot(LAMBDAS, t_err, **TORCH | dict(label=f"{name} MSE (torch)"))
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("ridge penalty λ (degree 15)")
    ax1.set_title("error vs penalty")
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7)
    caption = (
        "The seed's overfitting demo (20 noisy points of cos(2πx/3)): degree 2 underfits, "
        "degree 15 by least squares chases the noise, ridge regression tames it. Left: each "
        "fit by scratch.regularization (colour) and by torch_ref.regularization (dashes: "
        "torch.linalg). Right: training and test error of the degree-15 ridge fit against λ, "
        f"both twins overlaid. Largest gap over all curves: {gap:.1e} (float64; the unpenalised "
        "degree-15 system is ill-conditioned, which is where the twins' solvers differ most)."
    )
    return fig, caption
