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

    # one mosaic in one axes: far cheaper than a subplot per digit
    wrong = torch.nonzero(pred != labels).flatten()[:max_wrong].tolist()
    cols, cell = 8, 34  # 28 pixels + a margin for the label
    rows = max(1, -(-len(wrong) // cols))
    mosaic = torch.zeros(rows * cell, cols * cell, dtype=torch.uint8)
    fig, ax = plt.subplots(figsize=(cols * 1.1, rows * 1.1 + 0.6))
    for j, i in enumerate(wrong):
        r, c = divmod(j, cols)
        mosaic[r * cell + 6 : r * cell + 34, c * cell + 3 : c * cell + 31] = images[i]
        ax.text(c * cell + 17, r * cell + 3, f"{int(labels[i])}→{int(pred[i])}",
                ha="center", va="center", fontsize=8, color="tab:red")  # fmt: skip
    ax.imshow(mosaic.numpy(), cmap="gray_r")
    ax.axis("off")
    ax.set_title(f"misclassified test digits, true→predicted ({len(wrong)} shown)")
    fig.tight_layout()
    fig.savefig(out / "misclassified.png", dpi=100)
    plt.close(fig)
