"""Figures of the first course sections, drawn by both twins: activations, losses, the MLP.

Scratch is drawn solid, the torch twin dashed on top: where the two agree, the dashes lie
exactly on the solid line. Each caption states the largest gap measured while drawing.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.loss as tloss
from parity_tests.figures.registry import SCRATCH, TORCH, figure, plt
from scratch import models as smodels
from scratch.datasets import spiral, xor
from torch_ref import models as tmodels
from torch_ref.nn.activation import derivative


def _gap(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


ACTIVATIONS = [
    ("ReLU", sf.relu, sf.relu_derivative, F.relu),
    ("LeakyReLU(0.1)", lambda z: sf.leaky_relu(z, 0.1), lambda z: sf.leaky_relu_derivative(z, 0.1),
     lambda t: F.leaky_relu(t, 0.1)),
    ("sigmoid", sf.sigmoid, sf.sigmoid_derivative, torch.sigmoid),
    ("tanh", sf.tanh, sf.tanh_derivative, torch.tanh),
    ("GELU (exact)", sf.gelu, sf.gelu_derivative, F.gelu),
    ("SiLU / swish", sf.silu, sf.silu_derivative, F.silu),
]  # fmt: skip


@figure("Activations", "Activations and their derivatives", cheap=True)
def activations():
    z = np.linspace(-4, 4, 401)
    z = z[np.abs(z) > 1e-3]  # off the kink at 0, where ReLU's derivative is undefined
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    gap = 0.0
    for ax, (name, f, df, tf) in zip(axes.flat, ACTIVATIONS, strict=True):
        t = torch.from_numpy(z)
        out_t, d_t = tf(t).numpy(), derivative(tf, t).numpy()
        gap = max(gap, _gap(f(z), out_t), _gap(df(z), d_t))
        ax.plot(z, f(z), **SCRATCH)
        ax.plot(z, out_t, **TORCH)
        ax.plot(z, df(z), color="tab:green", lw=2.2, label="scratch derivative")
        ax.plot(z, d_t, color="black", lw=1.2, ls="--", label="autograd derivative")
        ax.set_title(name)
        ax.axhline(0, color="grey", lw=0.5)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8, loc="upper left")
    caption = (
        "Each activation f(z) and its derivative f'(z) on [-4, 4]: the scratch formula and its "
        "hand-written derivative (solid) under torch's op and autograd's derivative (dashed). "
        f"The dashes lie on the solid lines: largest gap over all curves {gap:.1e} (float64)."
    )
    return fig, caption


def _scratch_loss_and_grad(loss, x, t):
    value = loss(x, t)
    return value, loss.backward(np.ones_like(value))


def _torch_loss_and_grad(fn, x, t):
    xt = torch.tensor(x, requires_grad=True)
    value = fn(xt, torch.from_numpy(t))
    (grad,) = torch.autograd.grad(value.sum(), xt)
    return value.detach().numpy(), grad.numpy()


LOSSES = [  # name, x axis, x values, scratch loss (reduction='none'), torch loss
    ("MSE", "prediction", np.linspace(-0.5, 1.5, 201), snn.MSELoss(reduction="none"),
     tloss.MSELoss(reduction="none")),
    ("BCE", "probability p", np.linspace(0.005, 0.995, 199), snn.BCELoss(reduction="none"),
     tloss.BCELoss(reduction="none")),
    ("BCE with logits", "logit", np.linspace(-6, 6, 201), snn.BCEWithLogitsLoss(reduction="none"),
     tloss.BCEWithLogitsLoss(reduction="none")),
    ("Focal (α=0.25, γ=2)", "logit", np.linspace(-6, 6, 201), snn.FocalLoss(reduction="none"),
     tloss.FocalLoss(reduction="none")),
]  # fmt: skip


@figure("Losses", "Loss landscapes and their gradients")
def loss_landscapes():
    fig, axes = plt.subplots(2, len(LOSSES), figsize=(14, 6.5), sharex="col")
    gap = 0.0
    for col, (name, xlabel, x, s_loss, t_loss) in enumerate(LOSSES):
        for target, shade in ((0.0, 0.55), (1.0, 1.0)):
            t = np.full_like(x, target)
            v_s, g_s = _scratch_loss_and_grad(s_loss, x, t)
            v_t, g_t = _torch_loss_and_grad(t_loss, x, t)
            gap = max(gap, _gap(v_s, v_t), _gap(g_s, g_t))
            for row, (a, b) in enumerate(((v_s, v_t), (g_s, g_t))):
                ax = axes[row, col]
                ax.plot(x, a, **SCRATCH | dict(alpha=shade, label=f"scratch, target {target:g}"))
                ax.plot(x, b, **TORCH | dict(label=f"torch, target {target:g}"))
        axes[0, col].set_title(name)
        axes[1, col].set_xlabel(xlabel)
    axes[0, 0].set_ylabel("loss")
    axes[1, 0].set_ylabel("d loss / d input")
    axes[0, 0].legend(fontsize=7)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    caption = (
        "Each loss (top) and its gradient with respect to the prediction (bottom) for target 0 "
        "(light) and target 1 (dark): scratch's forward and hand-written backward (solid) under "
        "torch's loss and autograd (dashed). The focal loss's twin is torchvision's "
        f"sigmoid_focal_loss. Largest gap over all curves: {gap:.1e} (float64)."
    )
    return fig, caption


def _train_twins(kwargs: dict, X, y, epochs: int, lr: float):
    """Both MLPs from torch's initial weights (as the parity test does), trained in float64."""
    torch.manual_seed(0)
    t_net = tmodels.NeuralNetwork(**kwargs).double()
    s_net = smodels.NeuralNetwork(**kwargs)
    s_net.load_state_dict({k: v.detach() for k, v in t_net.state_dict().items()})
    s_hist = s_net.fit(X, y, epochs, lr)
    t_hist = t_net.fit(torch.from_numpy(X), torch.from_numpy(y), epochs, lr)
    return s_net, t_net, np.array(s_hist), np.array(t_hist)


def _loss_curves(ax, s_hist, t_hist, title: str) -> None:
    ax.plot(s_hist, **SCRATCH)
    ax.plot(t_hist, **TORCH)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()


@figure("MLP and backprop", "Spiral: decision boundary and loss curve")
def spiral_boundary():
    X, y = spiral()
    s_net, t_net, s_hist, t_hist = _train_twins(dict(layer_sizes=[2, 64, 32, 3]), X, y, 200, 0.5)
    xx, yy = np.meshgrid(np.linspace(-1.1, 1.1, 150), np.linspace(-1.1, 1.1, 150))
    grid = np.c_[xx.ravel(), yy.ravel()]
    s_pred = s_net.predict(grid).reshape(xx.shape)
    with torch.no_grad():
        t_pred = t_net(torch.from_numpy(grid)).argmax(1).numpy().reshape(xx.shape)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 5))
    ax0.contourf(xx, yy, s_pred, levels=[-0.5, 0.5, 1.5, 2.5], cmap="Pastel1", alpha=0.9)
    ax0.contour(xx, yy, t_pred, levels=[0.5, 1.5], colors="black", linestyles="--", linewidths=1)
    ax0.scatter(X[:, 0], X[:, 1], c=y, cmap="Set1", s=12, edgecolors="k", linewidths=0.3)
    ax0.set_title("regions: scratch · dashed boundary: torch")
    ax0.set_aspect("equal")
    ax0.set_xticks([-1, -0.5, 0, 0.5, 1])
    _loss_curves(ax1, s_hist, t_hist, "full-batch gradient descent, lr 0.5")
    agree = float((s_pred == t_pred).mean())
    caption = (
        "The 2-64-32-3 MLP trained on the 3-arm spiral for 200 epochs by both twins from the "
        "same initial weights. Left: scratch's predicted regions (colours) with torch's class "
        f"boundaries (dashed) drawn over them; the two agree on {agree:.2%} of the 150×150 grid. "
        f"Right: both loss curves overlaid; largest gap {_gap(s_hist, t_hist):.1e}. "
        f"Scratch accuracy on the training points: {(s_net.predict(X) == y).mean():.1%}."
    )
    return fig, caption


@figure("MLP and backprop", "XOR: training loss of the 2-4-1 tanh net")
def xor_loss():
    X, y = xor()
    kwargs = dict(layer_sizes=[2, 4, 1], hidden_activation="tanh", output="sigmoid")
    s_net, _, s_hist, t_hist = _train_twins(kwargs, X, y, 2000, 0.5)
    fig, ax = plt.subplots(figsize=(7, 4))
    _loss_curves(ax, s_hist, t_hist, "XOR, 2-4-1 tanh, sigmoid output, lr 0.5")
    caption = (
        "The seed's XOR network (tanh hidden units, sigmoid output with binary cross-entropy) "
        "trained for 2,000 full-batch epochs by both twins from the same weights: the loss "
        f"curves coincide (largest gap {_gap(s_hist, t_hist):.1e}) and scratch predicts "
        f"{s_net.predict(X).ravel().tolist()} for targets {y.ravel().astype(int).tolist()}."
    )
    return fig, caption
