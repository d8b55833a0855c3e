"""Plots of a run (matplotlib, Agg): learning curves, confusion matrix, misclassified digits."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402


def save_plots(
    out: Path,
    history: list[dict[str, float]],
    pred: torch.Tensor,
    images: torch.Tensor,
    labels: torch.Tensor,
    max_wrong: int = 64,
) -> None:
    """Write curves.png, confusion.png and misclassified.png into `out`."""
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "test"):
        ax_loss.plot(epochs, [h[f"{split}_loss"] for h in history], "o-", label=split)
        ax_acc.plot(epochs, [h[f"{split}_acc"] for h in history], "o-", label=split)
    ax_loss.set(xlabel="epoch", ylabel="loss (train: with label smoothing)", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=100)
    plt.close(fig)

    confusion = torch.zeros(10, 10, dtype=torch.long)
    confusion.index_put_((labels, pred), torch.ones_like(labels), accumulate=True)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(confusion.log1p().numpy(), cmap="Blues")
    for t in range(10):
        for p in range(10):
            n = int(confusion[t, p])
            if n:
                ax.text(p, t, str(n), ha="center", va="center", fontsize=7,
                        color="white" if t == p else "black")  # fmt: skip
    ax.set(xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10))
    ax.set_title(f"confusion matrix ({int((pred != labels).sum())} errors)")
    fig.tight_layout()
    fig.savefig(out / "confusion.png", dpi=100)
    plt.close(fig)

    wrong = torch.nonzero(pred != labels).flatten()[:max_wrong]
    cols = 8
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong.tolist(), strict=False):
        ax.imshow(images[i].numpy(), cmap="gray_r")
        ax.set_title(f"{int(labels[i])}→{int(pred[i])}", fontsize=9)
    fig.suptitle("misclassified test digits (true→predicted)")
    fig.tight_layout()
    fig.savefig(out / "misclassified.png", dpi=100)
    plt.close(fig)
