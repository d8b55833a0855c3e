"""Time scratch.nn.Conv2d against torch.nn.Conv2d (CPU), forward + backward, side by side.

    python benchmarks/bench_conv.py [--repeats 30] [--block 5] [--threads 1] [--batch 128]

Shapes: the convolutions of the small MNIST residual CNN (batch 128, 3x3, padding 1,
float32): 1→16 and 16→16 at 28x28, 16→32 at 14x14. The two twins run in alternating blocks
of ``--block`` timed steps, each block after a quarter second of untimed ones (see
_timing.py); the medians of the timed steps and their ratio scratch/torch are printed.

Beside them, a yardstick, ``GEMMs``: the median time of the three products of an im2col
(forward, dx and dW, each N·H·W·C·9·O multiply-adds) alone, as plain BLAS calls on
ready-made operands in blocks of 1024 positions that stay in cache, and its share of torch's
time. Where it comes near 1, torch's whole step runs about as fast as BLAS multiplies in
those shapes. Scratch's own products do the same multiply-adds, shaped differently
(`scratch/nn/_flat_conv.py`) and a little faster, and everything else it does (copies,
layout changes, Python) comes on top.

``--threads`` (default 1) sets both twins alike: torch.set_num_threads and OpenBLAS's thread
count (an environment variable, so it is set before NumPy loads); 0 leaves both defaults.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from _timing import (  # benchmarks/, the script's folder, is on the path
    compare,
    set_blas_threads,
    timed_block,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per twin and shape")
    parser.add_argument("--block", type=int, default=5, help="timed steps per block")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads of both twins (torch and OpenBLAS); 0 = their defaults")  # fmt: skip
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    if args.repeats < 1 or args.block < 1 or args.threads < 0 or args.batch < 1:
        parser.error("expected --repeats >= 1, --block >= 1, --threads >= 0, --batch >= 1")
    return args


ARGS = parse_args()
set_blas_threads(ARGS.threads)  # before NumPy loads its BLAS, below

import statistics  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

# Runnable as `python benchmarks/bench_conv.py` from a checkout that is not pip-installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scratch.nn import Conv2d  # noqa: E402
from torch_ref.nn.conv import Conv2d as TorchConv2d  # noqa: E402

BLOCK = 1024  # positions per block of the GEMMs yardstick (the same block each time, so its
# operands stay in cache: 0.5-1.8 MiB for these shapes; blocks of 256 or 512 ran as fast)
SHAPES = [  # (in_channels, out_channels, height/width)
    (1, 16, 28),
    (16, 16, 28),
    (16, 32, 14),
]


def scratch_step(conv: Conv2d, x: np.ndarray, g: np.ndarray) -> None:
    conv(x)
    conv.backward(g)
    conv.zero_grad()


def torch_step(conv: torch.nn.Conv2d, x: torch.Tensor, g: torch.Tensor) -> None:
    x.grad = None
    conv.zero_grad()
    conv(x).backward(g)


def gemms(c_in: int, c_out: int, size: int, rng: np.random.Generator) -> float:
    """Median seconds of the three products of an im2col convolution alone, in blocks of
    BLOCK positions whose operands stay in cache (the same block over and over)."""
    pixels, k_in, k_out = ARGS.batch * size * size, c_in * 9, c_out * 9
    cols = rng.standard_normal((BLOCK, k_in), dtype=np.float32)  # x's columns
    dZ = rng.standard_normal((BLOCK, c_out), dtype=np.float32)
    dZ_cols = rng.standard_normal((BLOCK, k_out), dtype=np.float32)  # dZ's, for dx
    W = rng.standard_normal((k_in, c_out), dtype=np.float32)
    W_back = rng.standard_normal((k_out, c_in), dtype=np.float32)

    blocks = [BLOCK] * (pixels // BLOCK) + [pixels % BLOCK] * (pixels % BLOCK > 0)

    def products() -> None:
        for rows in blocks:  # exactly N·H·W positions in all
            cols[:rows] @ W  # forward
            dZ_cols[:rows] @ W_back  # dx
            cols[:rows].T @ dZ[:rows]  # dW

    return statistics.median(timed_block(ARGS.repeats, products))


def bench(c_in: int, c_out: int, size: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((ARGS.batch, c_in, size, size)).astype(np.float32)
    g = rng.standard_normal((ARGS.batch, c_out, size, size)).astype(np.float32)
    conv_s = Conv2d(c_in, c_out, 3, padding=1, generator=rng)
    conv_t = TorchConv2d(c_in, c_out, 3, padding=1)
    x_t = torch.from_numpy(x).requires_grad_(True)
    g_t = torch.from_numpy(g)
    s, t = compare(lambda: scratch_step(conv_s, x, g), lambda: torch_step(conv_t, x_t, g_t),
                   ARGS.repeats, ARGS.block)  # fmt: skip
    return s, t, gemms(c_in, c_out, size, rng)


def main() -> None:
    if ARGS.threads:
        torch.set_num_threads(ARGS.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
          f"load average {load:.2f}")  # fmt: skip
    print(f"Conv2d 3x3 padding 1, batch {ARGS.batch}, float32, forward+backward, medians of "
          f"{ARGS.repeats}+ steps in alternating blocks of {ARGS.block}")  # fmt: skip
    print(f"{'shape':<22}{'scratch ms':>12}{'torch ms':>12}{'ratio':>8}"
          f"{'GEMMs ms':>12}{'GEMMs/torch':>13}")  # fmt: skip
    for c_in, c_out, size in SHAPES:
        s, t, g = bench(c_in, c_out, size)
        label = f"{c_in}->{c_out} @ {size}x{size}"
        print(f"{label:<22}{s * 1e3:>12.2f}{t * 1e3:>12.2f}{s / t:>8.2f}"
              f"{g * 1e3:>12.2f}{g / t:>13.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
