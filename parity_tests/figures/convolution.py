"""Convolution figures, drawn by both twins (scratch.functional.conv2d vs torch's).

scratch.functional.conv2d is built on another branch: the figure imports it inside its
function, so until that branch is merged the figure shows a "not available yet" note.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from parity_tests.figures.registry import figure, plt

KERNELS = {
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur (box 3×3)": [[1 / 9] * 3] * 3,
    "outline (Laplacian)": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}


def digit_like(size: int = 28) -> np.ndarray:
    """A hand-drawn-looking "7" on a size×size canvas (no dataset needed): (1, 1, H, W)."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    top = np.exp(-(((yy - 0.22) / 0.05) ** 2)) * ((xx > 0.2) & (xx < 0.8))
    # the stroke from the top-right corner down to the bottom-middle
    t = np.clip((yy - 0.22) / 0.63, 0, 1)
    stem = np.exp(-(((xx - (0.78 - 0.3 * t)) / 0.06) ** 2)) * ((yy > 0.2) & (yy < 0.88))
    return np.clip(top + stem, 0, 1)[None, None]


@figure("Convolutions", "Convolution kernels and their outputs on a digit")
def conv_kernels():
    from scratch.functional import conv2d

    x = digit_like()
    w = np.array(list(KERNELS.values()), dtype=np.float64)[:, None]  # (4, 1, 3, 3)
    b = np.zeros(len(KERNELS))
    s_out = conv2d(x, w, b, 1, 1, 1, 1)
    t_out = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), 1, 1, 1, 1)
    t_out = t_out.numpy()
    gap = float(np.abs(s_out - t_out).max())
    fig, axes = plt.subplots(3, len(KERNELS) + 1, figsize=(13, 8))
    axes[0, 0].imshow(x[0, 0], cmap="gray")
    axes[0, 0].set_title("input 28×28")
    for ax in axes[1:, 0]:
        ax.axis("off")
    for col, (name, kernel) in enumerate(KERNELS.items(), start=1):
        axes[0, col].imshow(kernel, cmap="coolwarm")
        axes[0, col].set_title(name, fontsize=9)
        axes[1, col].imshow(s_out[0, col - 1], cmap="gray")
        axes[1, col].set_title("scratch conv2d", fontsize=9)
        diff = s_out[0, col - 1] - t_out[0, col - 1]
        axes[2, col].imshow(diff, cmap="coolwarm", vmin=-1e-12, vmax=1e-12)
        axes[2, col].set_title(f"scratch − torch (max {np.abs(diff).max():.0e})", fontsize=9)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    caption = (
        "Four classic 3×3 kernels (top) applied with padding 1 to a synthetic digit by "
        "scratch.functional.conv2d (middle); the bottom row is scratch minus "
        "torch.nn.functional.conv2d on a ±1e-12 colour scale: flat grey means equal to "
        f"rounding (largest gap {gap:.1e}, float64)."
    )
    return fig, caption
