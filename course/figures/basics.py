"""Figures of the first course sections, drawn by both twins: activations, losses, the MLP.

Scratch is drawn solid, the torch twin dashed on top: where the two agree, the dashes lie
exactly on the solid line. Each caption states the largest gap measured while drawing.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.colors import BoundaryNorm, ListedColormap

import scratch.functional as sf
import scratch.nn as snn
import torch_ref.nn.loss as tloss
from course.figures.registry import SCRATCH, TORCH, figure, plt
from scratch import models as smodels
from scratch.datasets import xor
from torch_ref import models as tmodels
from torch_ref.nn.activation import derivative


def _gap(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


LEAKY_SLOPE = 0.01  # the course's max(0.01 z, z)
ACTIVATIONS = [  # name, scratch f, scratch f', torch f
    ("ReLU", sf.relu, sf.relu_derivative, F.relu),
    (f"LeakyReLU({LEAKY_SLOPE})", lambda z: sf.leaky_relu(z, LEAKY_SLOPE),
     lambda z: sf.leaky_relu_derivative(z, LEAKY_SLOPE), lambda t: F.leaky_relu(t, LEAKY_SLOPE)),
    ("sigmoid", sf.sigmoid, sf.sigmoid_derivative, torch.sigmoid),
    ("tanh", sf.tanh, sf.tanh_derivative, torch.tanh),
    ("GELU (exact)", sf.gelu, sf.gelu_derivative, F.gelu),
    ("SiLU / swish", sf.silu, sf.silu_derivative, F.silu),
]  # fmt: skip


def course_grid() -> np.ndarray:
    """The course's 1000 points on [-5, 5]: an even count, so z = 0 (ReLU's kink) is not one."""
    return np.linspace(-5, 5, 1000)


def activation_curves(z: np.ndarray) -> list[tuple]:
    """(name, scratch f(z), torch f(z), scratch f'(z), autograd f'(z)) for each activation."""
    t = torch.from_numpy(z)
    return [(name, f(z), tf(t).numpy(), df(z), derivative(tf, t).numpy())
            for name, f, df, tf in ACTIVATIONS]  # fmt: skip


@figure("Activations", "Activations and their derivatives")
def activations():
    z = course_grid()
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    gap = 0.0
    for ax, (name, out_s, out_t, d_s, d_t) in zip(axes.flat, activation_curves(z), strict=True):
        gap = max(gap, _gap(out_s, out_t), _gap(d_s, d_t))
        ax.plot(z, out_s, **SCRATCH)
        ax.plot(z, out_t, **TORCH)
        ax.plot(z, d_s, color="tab:green", lw=2.2, label="scratch derivative")
        ax.plot(z, d_t, color="black", lw=1.2, ls="--", label="autograd derivative")
        ax.set_title(name)
        ax.axhline(0, color="grey", lw=0.5)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=8, loc="upper left")
    caption = (
        "Each activation f(z) and its derivative f'(z) on the course's grid (1000 points on "
        "[-5, 5]): the scratch formula and its hand-written derivative (solid) under torch's op "
        "and autograd's derivative (dashed). The dashes lie on the solid lines: largest gap over "
        f"all curves {gap:.1e} (float64)."
    )
    return fig, caption


@figure("Activations", "GELU: the exact form and the tanh approximation")
def gelu_forms():
    z = course_grid()
    t = torch.from_numpy(z)
    forms = {
        form: (sf.gelu(z, form), F.gelu(t, approximate=form).numpy()) for form in ("none", "tanh")
    }
    fig, (ax, ax_d) = plt.subplots(1, 2, figsize=(12, 4))
    for form, colour in (("none", "tab:blue"), ("tanh", "tab:red")):
        s_style = SCRATCH | dict(color=colour, label=f"scratch, approximate={form!r}")
        t_style = TORCH | dict(color="black", label=f"torch, approximate={form!r}")
        ax.plot(z, forms[form][0], **s_style)
        ax.plot(z, forms[form][1], **t_style)
    diff_s, diff_t = forms["none"][0] - forms["tanh"][0], forms["none"][1] - forms["tanh"][1]
    ax_d.plot(z, diff_s, **SCRATCH)
    ax_d.plot(z, diff_t, **TORCH)
    ax.set_title("GELU(z)")
    ax_d.set_title("exact − tanh approximation")
    for a in (ax, ax_d):
        a.set_xlabel("z")
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    worst = int(np.argmax(np.abs(diff_s)))
    caption = (
        "torch's GELU defaults to the exact z·Φ(z); the course writes the tanh approximation "
        "(approximate='tanh' in both twins). Left: both forms from both twins; right: their "
        f"difference, at most {abs(diff_s[worst]):.1e} (at z = {z[worst]:.2f}). Scratch and torch "
        f"agree on each form to {max(_gap(*forms['none']), _gap(*forms['tanh'])):.1e}."
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


FOCAL_GAMMAS = (0, 0.5, 1, 2, 5)  # the course's


def course_loss_curves(p: np.ndarray | None = None) -> dict:
    """The course's loss landscapes over p in [0.01, 0.99], computed by both twins (float64).

    Keys: ("MSE", target), ("BCE", target) for targets 1 and 0, and ("focal", γ) for target 1;
    each value is (scratch, torch, the course's formula). MSE and BCE take p; the focal loss
    (torchvision's sigmoid_focal_loss) takes logits, so it gets log(p / (1 - p)), and α = -1
    (no α weighting), which is what the course plots: -(1 - p)^γ log p.
    """
    p = np.linspace(0.01, 0.99, 200) if p is None else p
    logits = np.log(p) - np.log1p(-p)
    course = {"MSE": lambda t: (t - p) ** 2,
              "BCE": lambda t: -(t * np.log(p) + (1 - t) * np.log(1 - p))}  # fmt: skip
    curves = {}
    twins = (("MSE", snn.MSELoss, tloss.MSELoss), ("BCE", snn.BCELoss, tloss.BCELoss))
    for name, s_loss, t_loss in twins:
        for target in (1.0, 0.0):
            t = np.full_like(p, target)
            v_t = t_loss(reduction="none")(torch.from_numpy(p), torch.from_numpy(t)).numpy()
            curves[name, target] = (s_loss(reduction="none")(p, t), v_t, course[name](t))
    ones = np.ones_like(p)
    for gamma in FOCAL_GAMMAS:
        s_focal = snn.FocalLoss(alpha=-1, gamma=gamma, reduction="none")(logits, ones)
        t_focal = tloss.FocalLoss(alpha=-1, gamma=gamma, reduction="none")(
            torch.from_numpy(logits), torch.from_numpy(ones)
        )
        curves["focal", gamma] = (s_focal, t_focal.numpy(), -((1 - p) ** gamma) * np.log(p))
    return dict(p=p, curves=curves)


@figure("Losses", "The course's loss landscapes: MSE, BCE and focal loss over p")
def course_loss_landscapes():
    data = course_loss_curves()
    p, curves = data["p"], data["curves"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    panels = [("MSE", [("MSE", 1.0), ("MSE", 0.0)]), ("BCE", [("BCE", 1.0), ("BCE", 0.0)]),
              ("focal loss, target 1, α off", [("focal", g) for g in FOCAL_GAMMAS])]  # fmt: skip
    for ax, (title, keys) in zip(axes, panels, strict=True):
        for i, key in enumerate(keys):
            label = f"target {key[1]:g}" if key[0] != "focal" else f"γ = {key[1]:g}"
            ax.plot(p, curves[key][0], **SCRATCH | dict(color=f"C{i}", label=f"{label} (scratch)"))
            ax.plot(p, curves[key][1], **TORCH | dict(color="black", label=None))
        ax.plot([], [], **TORCH | dict(color="black"))
        ax.set_title(title)
        ax.set_xlabel("predicted probability p")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[1].set_ylim(0, 5)
    axes[0].set_ylabel("loss")
    gap = max(_gap(s, t) for s, t, _ in curves.values())
    to_course = max(_gap(s, c) for s, _, c in curves.values())
    caption = (
        "The course's three panels over p in [0.01, 0.99]: MSE and binary cross-entropy for "
        "target 1 and 0, and the focal loss for target 1 at γ = 0, 0.5, 1, 2, 5 (γ = 0 is BCE; "
        "a larger γ silences the easy examples, p near 1). Scratch solid, torch dashed (the focal "
        f"loss's twin is torchvision's sigmoid_focal_loss, fed logit(p), α off): largest gap "
        f"{gap:.1e}; largest gap to the course's formulas {to_course:.1e} (float64)."
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


SPIRAL_SIZES = (2, 64, 32, 3)


def course_spiral(
    points_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 42
) -> tuple[np.ndarray, np.ndarray, dict]:
    """The course's spiral and its MLP's first weights, drawn exactly as the course draws them.

    The course seeds NumPy's legacy global generator (``np.random.seed(42)``), draws each arm's
    angle noise, then each layer's He weights N(0, 2/fan_in), shaped (out, in), from the same
    stream; ``RandomState(seed)`` is that stream. ``scratch.datasets.spiral`` has the same
    geometry but draws from ``np.random.default_rng`` (other numbers for the same seed), and
    ``torch_ref.datasets.spiral`` from torch's generator. (out, in) is torch's Linear layout,
    so the returned state_dict loads into both twins' ``NeuralNetwork(SPIRAL_SIZES)`` as it is.
    """
    rng = np.random.RandomState(seed)
    r = np.linspace(0.0, 1.0, points_per_class)
    arms = []
    for c in range(classes):
        theta = np.linspace(4.0 * c, 4.0 * (c + 1), points_per_class)
        theta = theta + rng.randn(points_per_class) * noise
        arms.append(np.c_[r * np.sin(theta), r * np.cos(theta)])
    y = np.repeat(np.arange(classes), points_per_class)
    state = {}
    for i, (fan_in, fan_out) in enumerate(zip(SPIRAL_SIZES[:-1], SPIRAL_SIZES[1:], strict=True)):
        state[f"layers.{2 * i}.weight"] = rng.randn(fan_out, fan_in) * np.sqrt(2.0 / fan_in)
        state[f"layers.{2 * i}.bias"] = np.zeros(fan_out)
    return np.concatenate(arms), y, state


def course_spiral_run(epochs: int = 200, lr: float = 0.5, every: int = 20) -> dict:
    """Both twins trained on the course's spiral from the course's first weights (float64).

    Besides the nets and both loss histories, ``accuracy[e]`` holds each twin's training
    accuracy before the update of epoch e, for every ``every``-th epoch: what the course prints.
    """
    X, y, state = course_spiral()
    s_net = smodels.NeuralNetwork(SPIRAL_SIZES)
    t_net = tmodels.NeuralNetwork(SPIRAL_SIZES).double()
    s_net.load_state_dict(state)
    t_net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    s_hist, t_hist, accuracy = [], [], {}
    for start in range(0, epochs, every):
        with torch.no_grad():
            t_acc = (t_net(Xt).argmax(1) == yt).double().mean().item()
        accuracy[start] = (float((s_net.predict(X) == y).mean()), t_acc)
        n = min(every, epochs - start)  # plain SGD keeps no state: chunks make one trajectory
        s_hist += s_net.fit(X, y, n, lr)
        t_hist += t_net.fit(Xt, yt, n, lr)
    return dict(X=X, y=y, s_net=s_net, t_net=t_net, s_hist=np.array(s_hist),
                t_hist=np.array(t_hist), accuracy=accuracy, lr=lr)  # fmt: skip


@figure("MLP and backprop", "Spiral: decision boundary and loss curve")
def spiral_boundary(run: dict | None = None):
    run = run or course_spiral_run()
    X, y, s_net, t_net = run["X"], run["y"], run["s_net"], run["t_net"]
    s_hist, t_hist = run["s_hist"], run["t_hist"]
    xx, yy = np.meshgrid(np.linspace(-1.1, 1.1, 150), np.linspace(-1.1, 1.1, 150))
    grid = np.c_[xx.ravel(), yy.ravel()]
    s_pred = s_net.predict(grid).reshape(xx.shape)
    with torch.no_grad():
        t_pred = t_net(torch.from_numpy(grid)).argmax(1).numpy().reshape(xx.shape)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 5))
    # one colour per class for the regions and the points (two qualitative maps normalised
    # over different ranges gave each class a different hue in each)
    classes = ListedColormap(["tab:red", "tab:blue", "tab:green"])
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5], classes.N)
    ax0.contourf(xx, yy, s_pred, levels=[-0.5, 0.5, 1.5, 2.5], cmap=classes, norm=norm, alpha=0.25)
    ax0.contour(xx, yy, t_pred, levels=[0.5, 1.5], colors="black", linestyles="--", linewidths=1)
    ax0.scatter(
        X[:, 0], X[:, 1], c=y, cmap=classes, norm=norm, s=12, edgecolors="k", linewidths=0.3
    )
    ax0.set_title("regions: scratch · dashed boundary: torch")
    ax0.set_aspect("equal")
    ax0.set_xticks([-1, -0.5, 0, 0.5, 1])
    _loss_curves(ax1, s_hist, t_hist, f"full-batch gradient descent, lr {run['lr']:g}")
    agree = float((s_pred == t_pred).mean())
    with torch.no_grad():
        t_acc = (t_net(torch.from_numpy(X)).argmax(1).numpy() == y).mean()
    caption = (
        f"The course's experiment: the 2-64-32-3 MLP trained on its spiral (seed 42, noise 0.2) "
        f"for {len(s_hist)} full-batch epochs by both twins from the course's first weights. Left: "
        "scratch's predicted regions (colours) with torch's class boundaries (dashed) drawn over "
        f"them; the two agree on {agree:.2%} of the 150×150 grid. Right: both loss curves "
        f"overlaid; largest gap {_gap(s_hist, t_hist):.1e}. Accuracy on the training points "
        f"after training: scratch {(s_net.predict(X) == y).mean():.1%}, torch {t_acc:.1%}."
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
