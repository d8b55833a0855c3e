"""Time the MNIST challenge net's NumPy twin against torch (CPU, float32), side by side.

    python benchmarks/bench_challenge.py [--repeats 10] [--block 5] [--threads 0]
                                         [--batch 256] [--infer 500,1000,2000]

``scratch.models.ChallengeNet`` and ``mnist_challenge.model.ChallengeNet`` at widths
(6, 16, 24), with the same weights (torch's state_dict loaded into the twin), measured:

(a) a training step, batch ``--batch``, in train mode: forward, label-smoothed (0.1)
    cross-entropy, backward (no optimizer step: it is the same few array updates in both);
    torch twice, in the contiguous (NCHW) memory format and in channels_last, the one the
    torch trainer uses by default;
(b) inference in eval mode (torch under ``inference_mode``) for each batch size of
    ``--infer``, printed as ms per 1000 images, torch again both ways (the torch trainer
    predicts in batches of 2000);
(c) where the twin's training step spends its time: the forward and the backward of each
    top-level layer (and the loss) timed alone, on the input it sees in the step, with
    torch's figures for the same layer (its backward is ``out.backward(grad)`` of that layer
    alone). The layers' sum is close to (a), not equal: each runs here with a warm cache.

The two twins run in alternating blocks of ``--block`` timed steps, each after a quarter
second of untimed ones (see _timing.py); medians and their ratios scratch/torch are printed.
``--threads`` (default 0: torch's and OpenBLAS's defaults, 2 threads each on a 2-core
machine) sets both twins alike otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from _timing import (  # benchmarks/, the script's folder, is on the path
    compare,
    set_blas_threads,
    timed_block,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed steps per twin and row")
    parser.add_argument("--block", type=int, default=5, help="timed steps per block")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads of both twins (torch and OpenBLAS); 0 = their defaults")  # fmt: skip
    parser.add_argument("--batch", type=int, default=256, help="training batch")
    parser.add_argument("--infer", default="500,1000,2000", help="inference batch sizes")
    parser.add_argument("--settle", type=float, default=0.25,
                        help="seconds of untimed steps before each block (per layer: at most "
                             "0.1); 0 for a smoke run")  # fmt: skip
    args = parser.parse_args()
    args.infer = [int(b) for b in args.infer.split(",")]
    if (
        args.repeats < 1
        or args.block < 1
        or args.threads < 0
        or args.settle < 0
        or min([args.batch, *args.infer]) < 2
    ):
        parser.error(
            "expected --repeats >= 1, --block >= 1, --threads >= 0, --settle >= 0, batches >= 2"
        )
    return args


ARGS = parse_args()
set_blas_threads(ARGS.threads)  # before NumPy loads its BLAS, below

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# Runnable as `python benchmarks/bench_challenge.py` from a checkout that is not pip-installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnist_challenge.model import ChallengeNet as TorchNet  # noqa: E402
from scratch.models import ChallengeNet  # noqa: E402
from scratch.nn import CrossEntropyLoss  # noqa: E402

LAYERS = ("stem", "pool1", "down1", "block1", "down2", "pool2", "block2", "gap", "flatten",
          "dropout", "fc")  # fmt: skip
SMOOTHING = 0.1


def twins() -> tuple[ChallengeNet, TorchNet, TorchNet]:
    """The twin, torch's net, and a channels_last copy of torch's: all the same weights."""
    torch.manual_seed(0)
    net_t = TorchNet((6, 16, 24))
    net_s = ChallengeNet((6, 16, 24))
    net_s.load_state_dict({k: v.numpy() for k, v in net_t.state_dict().items()})
    net_cl = TorchNet((6, 16, 24))
    net_cl.load_state_dict(net_t.state_dict())
    return net_s, net_t, net_cl.to(memory_format=torch.channels_last)


def images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n)


def training(net_s, net_t, net_cl) -> None:
    x, y = images(ARGS.batch)
    loss_s = CrossEntropyLoss(label_smoothing=SMOOTHING)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)
    x_cl = x_t.contiguous(memory_format=torch.channels_last)

    def scratch_step() -> None:
        loss_s(net_s(x), y)
        net_s.zero_grad()
        net_s.backward(loss_s.backward())

    def torch_step(net, inputs) -> None:
        loss = F.cross_entropy(net(inputs), y_t, label_smoothing=SMOOTHING)
        net.zero_grad()
        loss.backward()

    for net in (net_s, net_t, net_cl):
        net.train()
    s, t = compare(
        scratch_step, lambda: torch_step(net_t, x_t), ARGS.repeats, ARGS.block, ARGS.settle
    )
    s2, t_cl = compare(
        scratch_step, lambda: torch_step(net_cl, x_cl), ARGS.repeats, ARGS.block, ARGS.settle
    )
    print(f"(a) training step, batch {ARGS.batch}: forward + CE(label_smoothing={SMOOTHING}) "
          "+ backward")  # fmt: skip
    print(f"{'':<24}{'scratch ms':>12}{'torch ms':>12}{'ratio':>8}")
    print(f"{'torch contiguous':<24}{s * 1e3:>12.2f}{t * 1e3:>12.2f}{s / t:>8.2f}")
    print(f"{'torch channels_last':<24}{s2 * 1e3:>12.2f}{t_cl * 1e3:>12.2f}{s2 / t_cl:>8.2f}")


def infer_batch(net_s, net_t, net_cl, b: int) -> tuple[float, float, float, float]:
    """Seconds per batch of b: the twin against torch contiguous, then against channels_last."""
    x, _ = images(b, seed=1)
    x_t = torch.from_numpy(x)
    x_cl = x_t.contiguous(memory_format=torch.channels_last)

    def torch_predict(net, inputs) -> None:
        with torch.inference_mode():
            net(inputs)

    repeats = max(1, ARGS.repeats // 2)  # whole batches of up to 2000: fewer, longer steps
    s, t = compare(
        lambda: net_s(x), lambda: torch_predict(net_t, x_t), repeats, ARGS.block, ARGS.settle
    )
    s2, t_cl = compare(
        lambda: net_s(x), lambda: torch_predict(net_cl, x_cl), repeats, ARGS.block, ARGS.settle
    )
    return s, t, s2, t_cl


def inference(net_s, net_t, net_cl) -> None:
    for net in (net_s, net_t, net_cl):
        net.eval()
    print("(b) inference, eval mode, ms per 1000 images")
    print(f"{'batch':<24}{'scratch':>12}{'torch':>12}{'ratio':>8}{'torch c_last':>14}{'ratio':>8}")
    for b in ARGS.infer:
        s, t, s2, t_cl = infer_batch(net_s, net_t, net_cl, b)
        per = 1e6 / b  # seconds per batch -> ms per 1000 images
        print(f"{b:<24}{s * per:>12.2f}{t * per:>12.2f}{s / t:>8.2f}{t_cl * per:>14.2f}"
              f"{s2 / t_cl:>8.2f}")  # fmt: skip
    for net in (net_s, net_t, net_cl):
        net.train()


def _median(times: list[float]) -> float:
    return statistics.median(times) * 1e3


def layer_times(net_s, net_t, net_cl) -> None:
    """Each layer's forward and backward alone, on the input and upstream gradient it gets in
    a training step; a backward always follows its own forward (a cache may be used up)."""
    x, y = images(ARGS.batch)
    loss_s = CrossEntropyLoss(label_smoothing=SMOOTHING)
    inputs, a = [], x
    for name in LAYERS:  # the input each layer sees in the step
        inputs.append(a)
        a = getattr(net_s, name)(a)
    loss_s(a, y)
    grads = [loss_s.backward()]
    for name in reversed(LAYERS):  # the gradient each layer gets
        grads.insert(0, getattr(net_s, name).backward(grads[0]))
    grads = grads[1:]  # grads[i]: the upstream gradient of layer i

    def scratch_layer(layer, x_in, g) -> tuple[list[float], list[float]]:
        fwd, bwd = [], []

        def step() -> None:
            t0 = time.perf_counter()
            layer(x_in)
            t1 = time.perf_counter()
            layer.backward(g)
            fwd.append(t1 - t0)
            bwd.append(time.perf_counter() - t1)

        timed_block(ARGS.repeats, step, settle=min(0.1, ARGS.settle))
        layer.zero_grad()
        return fwd[-ARGS.repeats :], bwd[-ARGS.repeats :]

    def torch_layer(layer, x_in, g, cl: bool) -> tuple[list[float], list[float]]:
        fmt = torch.channels_last if cl and x_in.ndim == 4 else torch.contiguous_format
        x_t = torch.from_numpy(x_in).contiguous(memory_format=fmt).requires_grad_(True)
        g_t = torch.from_numpy(np.ascontiguousarray(g))
        g_t = g_t.contiguous(memory_format=fmt) if g_t.ndim == 4 else g_t
        fwd, bwd = [], []

        def step() -> None:
            t0 = time.perf_counter()
            out = layer(x_t)
            t1 = time.perf_counter()
            out.backward(g_t)
            fwd.append(t1 - t0)
            bwd.append(time.perf_counter() - t1)

        timed_block(ARGS.repeats, step, settle=min(0.1, ARGS.settle))
        return fwd[-ARGS.repeats :], bwd[-ARGS.repeats :]

    for net in (net_s, net_t, net_cl):
        net.train()
    print(f"(c) per layer, training step at batch {ARGS.batch}, median ms (forward / backward)")
    print(f"{'layer':<10}{'scratch fwd':>12}{'bwd':>8}{'share':>7}{'torch fwd':>11}{'bwd':>8}"
          f"{'c_last fwd':>12}{'bwd':>8}{'ratio':>7}")  # fmt: skip
    rows, total = [], 0.0
    for i, name in enumerate(LAYERS):
        sf, sb = scratch_layer(getattr(net_s, name), inputs[i], grads[i])
        tf, tb = torch_layer(getattr(net_t, name), inputs[i], grads[i], False)
        cf, cb = torch_layer(getattr(net_cl, name), inputs[i], grads[i], True)
        row = [_median(v) for v in (sf, sb, tf, tb, cf, cb)]
        rows.append((name, row))
        total += row[0] + row[1]
    logits = a
    t_logits = torch.from_numpy(logits).requires_grad_(True)
    y_t = torch.from_numpy(y)
    lf, lb = [], []

    def loss_step() -> None:
        t0 = time.perf_counter()
        loss_s(logits, y)
        t1 = time.perf_counter()
        loss_s.backward()
        lf.append(t1 - t0)
        lb.append(time.perf_counter() - t1)

    tlf, tlb = [], []

    def torch_loss_step() -> None:
        t0 = time.perf_counter()
        loss = F.cross_entropy(t_logits, y_t, label_smoothing=SMOOTHING)
        t1 = time.perf_counter()
        loss.backward()
        tlf.append(t1 - t0)
        tlb.append(time.perf_counter() - t1)

    timed_block(ARGS.repeats, loss_step, settle=min(0.1, ARGS.settle))
    timed_block(ARGS.repeats, torch_loss_step, settle=min(0.1, ARGS.settle))
    row = [_median(v[-ARGS.repeats :]) for v in (lf, lb, tlf, tlb, tlf, tlb)]
    rows.append(("loss", row))
    total += row[0] + row[1]
    sums = [sum(r[k] for _, r in rows) for k in range(6)]
    for name, r in rows + [("sum", sums)]:
        share = (r[0] + r[1]) / total
        ratio = (r[0] + r[1]) / (r[4] + r[5])
        print(f"{name:<10}{r[0]:>12.2f}{r[1]:>8.2f}{share:>7.0%}{r[2]:>11.2f}{r[3]:>8.2f}"
              f"{r[4]:>12.2f}{r[5]:>8.2f}{ratio:>7.2f}")  # fmt: skip


def main() -> None:
    if ARGS.threads:
        torch.set_num_threads(ARGS.threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    env = {v: os.environ.get(v, "(unset)") for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, "
          + ", ".join(f"{k}={v}" for k, v in env.items()) + f", load average {load:.2f}")  # fmt: skip
    print(f"ChallengeNet (6, 16, 24), float32, medians of {ARGS.repeats}+ steps in alternating "
          f"blocks of {ARGS.block}")  # fmt: skip
    nets = twins()
    training(*nets)
    inference(*nets)
    layer_times(*nets)


if __name__ == "__main__":
    main()
