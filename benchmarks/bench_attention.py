"""Time scratch vs torch (CPU) MultiheadAttention, forward + backward, side by side in one run.

    python benchmarks/bench_attention.py [--reps 30] [--threads 1] [--batch 32] [--seq 64] ...

Self-attention in float32 on (batch, seq, dim) inputs, batch_first, both twins holding the same
weights. The twins run in alternating blocks of ``--block`` timed steps, each block after a
quarter second of untimed ones (see _timing.py); the figure is the ratio of medians, scratch / torch, for need_weights=True (torch's
default: explicit softmax, weights returned) and need_weights=False (torch calls its fused SDPA
kernel). The load average is printed because the machine is shared.

``--threads`` (default 1) caps both twins alike: torch.set_num_threads and OpenBLAS's thread
count (an environment variable, so it is set before NumPy loads). On an oversubscribed machine
OpenBLAS's spinning worker threads make NumPy's BLAS calls several times slower, which would
measure the neighbours rather than the code.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="scratch vs torch MultiheadAttention timing")
    parser.add_argument("--reps", type=int, default=30, help="timed steps per twin")
    parser.add_argument("--block", type=int, default=5, help="timed steps per block")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads, both twins")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--heads", type=int, default=8)
    return parser.parse_args()


ARGS = parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)  # read once, when NumPy's BLAS loads below

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
from _timing import compare  # noqa: E402  (benchmarks/, the script's folder, is on the path)

import scratch.nn as snn  # noqa: E402


def step_scratch(mha, x, g, need_weights):
    mha.zero_grad()
    mha(x, x, x, need_weights=need_weights)
    mha.backward(g)


def step_torch(mha, x, g, need_weights):
    mha.zero_grad()
    x.grad = None
    out, _ = mha(x, x, x, need_weights=need_weights)
    out.backward(g)


def main() -> None:
    args = ARGS
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, args.seq, args.dim)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    t_mha = torch.nn.MultiheadAttention(args.dim, args.heads, batch_first=True)
    s_mha = snn.MultiheadAttention(args.dim, args.heads, batch_first=True)
    s_mha.load_state_dict({k: v.detach() for k, v in t_mha.state_dict().items()})
    t_x, t_g = torch.tensor(x, requires_grad=True), torch.from_numpy(g)

    print(f"MultiheadAttention fwd+bwd, x {x.shape} float32, {args.heads} heads, self-attention")
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    print(f"load average before: {os.getloadavg()}")
    for need_weights in (True, False):
        scratch = partial(step_scratch, s_mha, x, g, need_weights)
        torch_ = partial(step_torch, t_mha, t_x, t_g, need_weights)
        s, t = compare(scratch, torch_, args.reps, args.block)
        print(
            f"need_weights={need_weights!s:5}: scratch {s * 1e3:7.2f} ms, "
            f"torch {t * 1e3:7.2f} ms (medians of {args.reps}+), ratio scratch/torch = {s / t:.2f}"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
