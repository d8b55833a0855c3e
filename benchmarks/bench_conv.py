"""Time scratch.nn.Conv2d against torch.nn.Conv2d (CPU), forward + backward, side by side.

Shapes: the convolutions of the small MNIST residual CNN (batch 128, 3x3, padding 1,
float32): 1→16 and 16→16 at 28x28, 16→32 at 14x14. For each shape the two twins run
alternately (scratch, torch, scratch, torch, ...) so that a load spike from other processes
hits both, and the median of the repetitions is reported with the ratio scratch/torch.

Run: ``python benchmarks/bench_conv.py [--repeats 15] [--batch 128]``
Single-threaded, both twins (less at the mercy of other processes on a shared machine):
``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_conv.py --torch-threads 1``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

# Runnable as `python benchmarks/bench_conv.py` from a checkout that is not pip-installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scratch.nn import Conv2d  # noqa: E402
from torch_ref.nn.conv import Conv2d as TorchConv2d  # noqa: E402

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


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def bench(c_in: int, c_out: int, size: int, batch: int, repeats: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size)).astype(np.float32)
    g = rng.standard_normal((batch, c_out, size, size)).astype(np.float32)
    conv_s = Conv2d(c_in, c_out, 3, padding=1, generator=rng)
    conv_t = TorchConv2d(c_in, c_out, 3, padding=1)
    x_t = torch.from_numpy(x).requires_grad_(True)
    g_t = torch.from_numpy(g)
    for _ in range(2):  # warm-up: first calls allocate and pick kernels
        scratch_step(conv_s, x, g)
        torch_step(conv_t, x_t, g_t)
    s_times, t_times = [], []
    for _ in range(repeats):
        s_times.append(timed(scratch_step, conv_s, x, g))
        t_times.append(timed(torch_step, conv_t, x_t, g_t))
    return statistics.median(s_times), statistics.median(t_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads; NumPy's count is OPENBLAS_NUM_THREADS")  # fmt: skip
    args = parser.parse_args()
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"load average {load:.2f}")  # fmt: skip
    print(f"Conv2d 3x3 padding 1, batch {args.batch}, float32, forward+backward, "
          f"median of {args.repeats} interleaved runs")  # fmt: skip
    print(f"{'shape':<22}{'scratch ms':>12}{'torch ms':>12}{'ratio':>8}")
    for c_in, c_out, size in SHAPES:
        s, t = bench(c_in, c_out, size, args.batch, args.repeats)
        label = f"{c_in}->{c_out} @ {size}x{size}"
        print(f"{label:<22}{s * 1e3:>12.2f}{t * 1e3:>12.2f}{s / t:>8.2f}")


if __name__ == "__main__":
    main()
