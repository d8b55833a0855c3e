"""Train and evaluate ChallengeNet on MNIST; read it top to bottom like nanoGPT.

Two engines run the same loop (`--engine torch`, the default, or `--engine numpy`: the NumPy
twin, forward and backward by hand; see engines.py): same config, batches, augmentation,
initial weights, run folder and checkpoint layout.

Configuration is the `Config` dataclass below: plain values with defaults, each one
overridable from the command line (`--epochs 3`, `--widths 8,16,24`; see __main__.py).
A run writes `runs/<name>/`: metrics.csv (one row per epoch), checkpoint.pt (each epoch,
atomically), summary.json and plots. `--resume` continues from checkpoint.pt and ends with
the same weights as an uninterrupted run (CPU): the data order and augmentation of each
epoch come from a generator seeded by (seed, epoch), and the global RNG state is restored.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from mnist_challenge.checkpoint import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    atomic_write,
    load_checkpoint,
    save_checkpoint,
)
from mnist_challenge.data import MNIST, augment, batches, load_mnist
from mnist_challenge.engines import ENGINES, make_engine

# Settings that may change between an interrupted run and its --resume.
RUN_CONTROL = {"name", "out_dir", "data_dir", "device", "resume", "overwrite", "stop_after",
               "threads", "progress", "plots"}  # fmt: skip
DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass
class Config:
    # run
    name: str = ""  # run folder under out_dir; "" -> "<preset>-seed<seed>"
    out_dir: str = "runs"
    data_dir: str = ""  # "" -> $MNIST_ROOT, else ./data
    device: str = "auto"  # auto = cuda, then mps, then cpu
    engine: str = "torch"  # or "numpy": the NumPy twin trains (CPU, float32; engines.py)
    seed: int = 0
    resume: bool = False  # continue runs/<name>/checkpoint.pt
    overwrite: bool = False  # replace an existing run folder
    stop_after: int = 0  # stop after this many epochs (an interruption, for --resume)
    threads: int = 0  # torch.set_num_threads (and NumPy's BLAS threads); 0 keeps defaults
    progress: bool = True  # tqdm bar
    plots: bool = True
    # model
    widths: tuple[int, int, int] = (6, 16, 24)
    dropout: float = 0.0
    # optimisation: SGD with Nesterov momentum under a OneCycle schedule
    epochs: int = 15
    batch_size: int = 256
    lr: float = 0.4  # OneCycle's peak learning rate
    momentum: float = 0.9
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    pct_start: float = 0.25
    # batch augmentation: random rotation (degrees), scale and shift (fraction of side)
    augment: bool = True
    degrees: float = 10.0
    scale: float = 0.1
    shift: float = 0.1
    clean_epochs: int = 2  # the last epochs (all, if more than --epochs) see unaugmented images
    # CPU speed-ups of the torch engine (docs/mnist.md, "CPU speed: what was measured")
    channels_last: bool = True  # the numpy engine has no memory formats: False with it
    bf16: bool = False  # bfloat16 autocast
    # a subset of the data, for tests and quick experiments (0 = all)
    train_subset: int = 0
    test_subset: int = 0
    preset: str = "default"

    def validate(self) -> None:
        """Raise ValueError naming the first setting that makes no sense."""
        checks = [
            (self.epochs >= 1, "epochs", "an integer >= 1"),
            (self.batch_size >= 1, "batch_size", "an integer >= 1"),
            (math.isfinite(self.lr) and self.lr > 0, "lr", "a positive number"),
            (0 <= self.momentum < 1, "momentum", "a number in [0, 1)"),
            (self.weight_decay >= 0, "weight_decay", "a number >= 0"),
            (0 <= self.label_smoothing < 1, "label_smoothing", "a number in [0, 1)"),
            (0 < self.pct_start < 1, "pct_start", "a number in (0, 1)"),
            (0 <= self.dropout < 1, "dropout", "a number in [0, 1)"),
            (len(self.widths) == 3 and min(self.widths) >= 1, "widths", "three positive ints"),
            (self.stop_after >= 0, "stop_after", "an integer >= 0"),
            (self.train_subset >= 0 and self.test_subset >= 0, "train_subset", "an int >= 0"),
            (self.threads >= 0, "threads", "an integer >= 0"),
            (self.clean_epochs >= 0, "clean_epochs", "an integer >= 0"),
            (self.device.split(":")[0] in DEVICES, "device", f"one of {', '.join(DEVICES)}"),
            (self.engine in ENGINES, "engine", f"one of {', '.join(ENGINES)}"),
        ]
        if self.engine == "numpy":  # options that only mean something to torch
            checks += [
                (self.device.split(":")[0] in ("auto", "cpu"), "device",
                 "auto or cpu with engine numpy (NumPy computes on the CPU)"),
                (not self.bf16, "bf16",
                 "False with engine numpy (bfloat16 autocast is torch's; NumPy trains in float32)"),
                (not self.channels_last, "channels_last",
                 "False with engine numpy (a torch memory format; NumPy's arrays stay NCHW)"),
            ]  # fmt: skip
        for ok, field, expected in checks:
            if not ok:
                raise ValueError(f"{field}: expected {expected}, got {getattr(self, field)!r}")


# The fast preset: fewer epochs, larger batches; about 99.2% in under a minute on 2 cores.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "fast": {"epochs": 2, "batch_size": 256, "lr": 0.4, "augment": False},
}


def pick_device(name: str) -> torch.device:
    """auto = cuda, then mps, then cpu; a named device must be available."""
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    kind = name.split(":")[0]
    if kind not in DEVICES or (kind == "cuda" and not cuda) or (kind == "mps" and not mps):
        raise ValueError(f"device: {name!r} is not available here; expected auto or cpu")
    return torch.device(name)


def run_dir(cfg: Config) -> Path:
    """out_dir/name; the default name is <preset>-seed<seed>, <preset>-numpy-seed<seed> for
    the numpy engine (so the two engines' runs of one command do not collide)."""
    engine = "" if cfg.engine == "torch" else f"{cfg.engine}-"
    return Path(cfg.out_dir) / (cfg.name or f"{cfg.preset}-{engine}seed{cfg.seed}")


def per_class_accuracy(pred: torch.Tensor, labels: torch.Tensor) -> list[float]:
    return [float((pred[labels == k] == k).float().mean()) for k in range(10)]


def write_metrics(path: Path, history: list[dict[str, float]]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(history[0]))
            w.writeheader()
            w.writerows(history)

    atomic_write(path, write)


def epoch_batches(
    cfg: Config, images: torch.Tensor, labels: torch.Tensor, epoch: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch's training batches: float32 (B, 1, 28, 28) normalised images and int64 labels.

    One generator per epoch, seeded by (seed, epoch), shuffles and augments, so the batches
    do not depend on history: the same for both engines and for a resumed run."""
    g = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
    augmenting = cfg.augment and epoch < cfg.epochs - cfg.clean_epochs
    for x, y in batches(images, labels, cfg.batch_size, g):
        yield (augment(x, g, cfg.degrees, cfg.scale, cfg.shift) if augmenting else x), y


class Stopwatch:
    """Seconds spent in each part of training, summed over the run: where the time went."""

    def __init__(self, seconds: dict[str, float] | None = None) -> None:
        self.seconds = dict.fromkeys(("data", "forward", "backward", "update", "test"), 0.0)
        self.seconds.update(seconds or {})

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start

    def iterate(self, items: Iterable[Any], name: str = "data") -> Iterator[Any]:
        """Yield from items, counting the time each one takes to arrive as `name`."""
        it = iter(items)
        while True:
            with self.part(name):
                item = next(it, None)
            if item is None:
                return
            yield item

    def line(self) -> str:
        total = sum(self.seconds.values()) or 1.0
        parts = ", ".join(f"{k} {v:.1f} s ({v / total:.0%})" for k, v in self.seconds.items())
        return f"time: {parts}"


def train(cfg: Config, data: MNIST | None = None) -> dict[str, Any]:
    """Train (or resume) one run with cfg.engine; return its summary."""
    cfg.validate()
    t0 = time.time()
    out = run_dir(cfg)
    ckpt_path = out / "checkpoint.pt"
    if cfg.resume and not ckpt_path.is_file():
        raise ValueError(f"resume: no checkpoint at {ckpt_path}")
    if not cfg.resume and out.exists() and not cfg.overwrite:
        raise ValueError(f"{out} exists: pass --resume to continue it or --overwrite")
    ckpt = load_checkpoint(ckpt_path, cfg.widths) if cfg.resume else None
    if ckpt is not None:
        saved = dict(ckpt["config"])
        saved.setdefault("engine", "torch")  # checkpoints from before the numpy engine
        if saved["engine"] != cfg.engine:
            raise CheckpointError(
                f"resume: {ckpt_path} was trained by the {saved['engine']} engine; resume it "
                f"with --engine {saved['engine']} (each engine's optimizer and schedule state "
                "is its own)"
            )
        changed = [
            f"{k}={v!r} (checkpoint: {saved.get(k)!r})"
            for k, v in asdict(cfg).items()
            if k not in RUN_CONTROL and saved.get(k) != v
        ]
        if changed:
            raise CheckpointError(f"resume: settings differ from {ckpt_path}: {', '.join(changed)}")
        if ckpt["epoch"] >= cfg.epochs:
            raise ValueError(f"resume: {out} already finished its {cfg.epochs} epochs")
    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
        if cfg.engine == "numpy":
            from threadpoolctl import threadpool_limits

            threadpool_limits(cfg.threads, user_api="blas")
    data = data or load_mnist(cfg.data_dir or None)
    train_x, train_y = data.train_images, data.train_labels
    test_x, test_y = data.test_images, data.test_labels
    if cfg.train_subset:
        train_x, train_y = train_x[: cfg.train_subset], train_y[: cfg.train_subset]
    if cfg.test_subset:
        test_x, test_y = test_x[: cfg.test_subset], test_y[: cfg.test_subset]

    # model, optimizer, schedule: all seeded, the same initial weights for both engines
    steps_per_epoch = math.ceil(len(train_y) / cfg.batch_size)
    engine = make_engine(cfg, steps_per_epoch, device)
    history: list[dict[str, float]] = []
    start_epoch, elapsed_before = 0, 0.0
    watch = Stopwatch()
    if ckpt is not None:
        engine.load(ckpt)
        torch.set_rng_state(ckpt["rng"]["torch"])
        start_epoch, history = ckpt["epoch"], ckpt["history"]
        elapsed_before = ckpt["wall_time_s"]
        watch = Stopwatch(ckpt.get("time_s"))
    else:
        if out.exists():
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    where = "numpy, on cpu" if cfg.engine == "numpy" else f"torch, on {device}"
    print(f"{out}: ChallengeNet{cfg.widths}, {engine.num_parameters()} parameters ({where})")

    for epoch in range(start_epoch, cfg.epochs):
        engine.start_epoch(epoch)
        loss_sum, correct, seen = 0.0, 0, 0
        t_epoch, cpu_epoch = time.time(), time.process_time()
        bar = tqdm(
            watch.iterate(epoch_batches(cfg, train_x, train_y, epoch)),
            total=steps_per_epoch,
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            disable=not cfg.progress,
            leave=False,
        )
        for x, y in bar:
            with watch.part("forward"):
                loss, logits = engine.forward(x, y)
            with watch.part("backward"):
                engine.backward()
            with watch.part("update"):
                engine.update()
            loss_sum += loss * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")
        train_seconds = time.time() - t_epoch
        # CPU seconds of all threads: on a busy machine, a better guide than wall time
        cpu_seconds = time.process_time() - cpu_epoch

        with watch.part("test"):
            logits = engine.predict(test_x)
        test_loss = float(F.cross_entropy(logits, test_y))
        test_acc = float((logits.argmax(1) == test_y).float().mean())
        history.append({
            "epoch": epoch + 1,
            "lr": engine.lr,
            "train_loss": loss_sum / seen,
            "train_acc": correct / seen,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "train_seconds": train_seconds,
            "cpu_seconds": cpu_seconds,
        })  # fmt: skip
        print(
            f"epoch {epoch + 1}/{cfg.epochs}: train loss {loss_sum / seen:.4f} "
            f"acc {correct / seen:.4f} | test loss {test_loss:.4f} acc {test_acc:.4f} "
            f"| {train_seconds:.1f}s"
        )
        write_metrics(out / "metrics.csv", history)
        save_checkpoint(ckpt_path, {
            "format": CHECKPOINT_FORMAT,
            "config": asdict(cfg),
            "epoch": epoch + 1,
            **engine.state(),
            "rng": {"torch": torch.get_rng_state()},
            "history": history,
            "wall_time_s": elapsed_before + time.time() - t0,
            "time_s": watch.seconds,
        })  # fmt: skip
        if cfg.stop_after and epoch + 1 - start_epoch >= cfg.stop_after and epoch + 1 < cfg.epochs:
            print(f"stopped after epoch {epoch + 1}; continue with --resume")
            return {"stopped_at_epoch": epoch + 1}

    pred = logits.argmax(1)
    summary = {
        "engine": cfg.engine,
        "params": engine.num_parameters(),
        "test_accuracy": history[-1]["test_acc"],
        "per_class_accuracy": per_class_accuracy(pred, test_y),
        "epochs": cfg.epochs,
        "wall_time_s": elapsed_before + time.time() - t0,
        "seconds_per_epoch": sum(h["train_seconds"] for h in history) / len(history),
        "time_s": watch.seconds,
        "device": "cpu" if cfg.engine == "numpy" else str(device),
        "threads": torch.get_num_threads(),
        "seed": cfg.seed,
        "config": asdict(cfg),
    }
    if cfg.plots:
        from mnist_challenge.plots import save_plots

        save_plots(out, history, pred, test_x, test_y)
    atomic_write(out / "summary.json", lambda tmp: tmp.write_text(json.dumps(summary, indent=2)))
    print(watch.line())
    print(
        f"final test accuracy {summary['test_accuracy']:.4f} "
        f"({summary['params']} parameters, {summary['wall_time_s']:.0f}s) -> {out}"
    )
    return summary
