"""Convolution figures, drawn by both twins (scratch.functional.conv2d vs torch's).

The figures import scratch.functional.conv2d inside their functions, so a build without it
shows a "not available yet" note. ``COURSE_KERNELS`` and ``checkerboard`` are the course's
section-7 experiment (its kernel values and its 8×8 image), shared with
course/07_convolutions.ipynb.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from course.figures.registry import figure, plt

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


# The course's six 3×3 kernels, with the course's values (section 7).
COURSE_KERNELS = {
    "horizontal edges": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "vertical edges": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "Gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
}


def checkerboard(size: int = 8) -> np.ndarray:
    """The course's test image: 1 where row + column is even, else 0; (size, size) float64."""
    rows, cols = np.indices((size, size))
    return ((rows + cols) % 2 == 0).astype(np.float64)


def course_kernel_outputs(padding: int = 1) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{kernel name: (scratch conv2d output, torch F.conv2d output)} on the checkerboard."""
    from scratch.functional import conv2d

    x = checkerboard()[None, None]
    w = np.array(list(COURSE_KERNELS.values()), dtype=np.float64)[:, None]  # (6, 1, 3, 3)
    s_out = conv2d(x, w, None, 1, padding)[0]
    t_out = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, 1, padding)[0].numpy()
    return {name: (s_out[i], t_out[i]) for i, name in enumerate(COURSE_KERNELS)}


@figure("Convolutions", "The course's six kernels on the 8×8 checkerboard")
def checkerboard_kernels():
    outputs = course_kernel_outputs()
    fig, axes = plt.subplots(4, len(COURSE_KERNELS), figsize=(15, 10))
    gap = 0.0
    for col, (name, kernel) in enumerate(COURSE_KERNELS.items()):
        s_out, t_out = outputs[name]
        diff = s_out - t_out
        gap = max(gap, float(np.abs(diff).max()))
        axes[0, col].imshow(kernel, cmap="RdBu_r", vmin=-2, vmax=2)
        for (i, j), value in np.ndenumerate(np.asarray(kernel)):
            axes[0, col].text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=8)
        axes[0, col].set_title(name, fontsize=10)
        lo, hi = min(s_out.min(), t_out.min()), max(s_out.max(), t_out.max())
        axes[1, col].imshow(s_out, cmap="gray", vmin=lo, vmax=hi)
        axes[1, col].set_title(f"scratch conv2d [{lo:.3g}, {hi:.3g}]", fontsize=8)
        axes[2, col].imshow(t_out, cmap="gray", vmin=lo, vmax=hi)
        axes[2, col].set_title("torch F.conv2d", fontsize=8)
        axes[3, col].imshow(diff, cmap="coolwarm", vmin=-1e-12, vmax=1e-12)
        axes[3, col].set_title(f"scratch − torch (max {np.abs(diff).max():.0e})", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    caption = (
        "The course's six 3×3 kernels (top, with their values) slid over its 8×8 checkerboard "
        "with padding 1: scratch.functional.conv2d (second row) and torch.nn.functional.conv2d "
        "(third row), each on its own output's grey scale; the bottom row is scratch minus torch "
        "on a ±1e-12 scale, flat grey where they agree to rounding (largest gap "
        f"{gap:.1e}, float64). Both are cross-correlations, like the course's loop: the kernel "
        "is not flipped, so the edge and Sobel kernels' signs are as written."
    )
    return fig, caption
