"""How far the NumPy and torch engines drift apart, step by step, beside torch against itself.

    MNIST_ROOT=../shared/data python benchmarks/engine_divergence.py [--dtype float64]
        [--batch 16] [--steps 100] [--lr 0.4] [--every 5]

Both engines of mnist_challenge train ChallengeNet from the same weights on the same real
MNIST batches (augmented), one epoch of ``--steps`` batches under OneCycleLR with peak
``--lr``; beside them a second torch engine in the other memory format (channels_last), the
same arithmetic in another order. After every step each run's whole state (parameters,
BatchNorm running statistics, loss, lr) is compared with the torch engine's, as a headroom
max |a - e| / (atol + rtol |e|) under the dtype's profile (parity_check/core/harness.py; ≤ 1 is
within it; running means against the scale of their activations, see lockstep.py). The
table prints every ``--every``-th step: the twin's worst tensor, torch-vs-torch's worst,
and their ratio. A ratio that stays flat while both grow says the growth is the training
dynamics amplifying rounding, not a step where the twin computes something else.

Not a timing: it prints figures for the "Step for step" section of docs/mnist.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a bare checkout

from mnist_challenge.data import load_mnist  # noqa: E402
from mnist_challenge.lockstep import lockstep  # noqa: E402
from mnist_challenge.train import Config  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--batch", type=int, default=16, help="images per step")
    parser.add_argument("--steps", type=int, default=100, help="steps (one OneCycle epoch)")
    parser.add_argument("--lr", type=float, default=0.4, help="OneCycleLR's peak lr")
    parser.add_argument("--every", type=int, default=5, help="print every N-th step")
    args = parser.parse_args()
    if min(args.batch, args.steps, args.every) < 1 or not args.lr > 0:
        parser.error("expected --batch, --steps, --every >= 1 and --lr > 0")
    return args


def main() -> None:
    args = parse_args()
    torch.set_num_threads(1)
    data = load_mnist()
    n = args.batch * args.steps
    cfg = Config(seed=0, batch_size=args.batch, train_subset=n, epochs=1, clean_epochs=0,
                 channels_last=False, lr=args.lr)  # fmt: skip
    print(f"{args.dtype}, batch {args.batch}, {args.steps} steps, peak lr {args.lr}: "
          f"headroom under the {args.dtype} profile (<= 1 is within it)")  # fmt: skip
    print(f"{'step':>5}  {'numpy vs torch':>14}  {'worst tensor':<28}{'torch vs torch':>14}"
          f"{'ratio':>8}")  # fmt: skip
    left: dict[str, int | None] = {"numpy": None, "torch": None}
    steps = lockstep(cfg, data.train_images[:n], data.train_labels[:n], args.dtype, control=True)
    for twin, itself in steps:
        a, b = twin.headroom[twin.worst], itself.headroom[itself.worst]
        for who, h in (("numpy", a), ("torch", b)):
            if h > 1 and left[who] is None:
                left[who] = twin.index + 1
        k = twin.index + 1
        if k == 1 or k % args.every == 0 or k == args.steps:
            ratio = a / b if b > 0 else float("inf")
            print(f"{k:>5}  {a:>14.3g}  {twin.worst:<28}{b:>14.3g}{ratio:>8.2g}")
    for who, step in left.items():
        against = "torch" if who == "numpy" else "torch (the other memory format)"
        where = f"at step {step}" if step else "never"
        print(f"{who} leaves the {args.dtype} profile against {against}: {where}")


if __name__ == "__main__":
    main()
