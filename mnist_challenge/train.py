"""Train and evaluate ChallengeNet on MNIST with torch; read it top to bottom like nanoGPT.

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
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from mnist_challenge.data import MNIST, augment, batches, load_mnist
from mnist_challenge.model import ChallengeNet, count_parameters

CHECKPOINT_FORMAT = "mnist-challenge-checkpoint-v1"
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
    seed: int = 0
    resume: bool = False  # continue runs/<name>/checkpoint.pt
    overwrite: bool = False  # replace an existing run folder
    stop_after: int = 0  # stop after this many epochs (an interruption, for --resume)
    threads: int = 0  # torch.set_num_threads; 0 keeps torch's default
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
    # CPU speed-ups (README, "CPU speed: what was measured")
    channels_last: bool = True
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
        ]
        for ok, field, expected in checks:
            if not ok:
                raise ValueError(f"{field}: expected {expected}, got {getattr(self, field)!r}")


# The fast preset: fewer epochs, larger batches; about 99.2% in under a minute on 2 cores.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "fast": {"epochs": 2, "batch_size": 256, "lr": 0.4, "augment": False},
}


class CheckpointError(ValueError):
    """The file is not a checkpoint of this trainer, or not of this architecture."""


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
    return Path(cfg.out_dir) / (cfg.name or f"{cfg.preset}-seed{cfg.seed}")


def atomic_write(path: Path, write: Any) -> None:
    """Call write(tmp_path), then move the finished file into place."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: str | os.PathLike, widths: tuple[int, ...] | None = None) -> dict:
    """Load one of our checkpoints safely (weights_only) and check its architecture."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as e:
        raise CheckpointError(f"{path} is not a mnist-challenge checkpoint ({e})") from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a mnist-challenge checkpoint ({CHECKPOINT_FORMAT})")
    if widths is not None and tuple(ckpt["config"]["widths"]) != tuple(widths):
        raise CheckpointError(
            f"{path} holds ChallengeNet(widths={tuple(ckpt['config']['widths'])}), "
            f"not the widths={tuple(widths)} asked for"
        )
    return ckpt


def model_from_checkpoint(ckpt: dict) -> ChallengeNet:
    cfg = ckpt["config"]
    model = ChallengeNet(tuple(cfg["widths"]), cfg["dropout"])
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as e:
        raise CheckpointError(f"checkpoint weights do not fit ChallengeNet: {e}") from e
    return model


@torch.inference_mode()
def predict(model: torch.nn.Module, images: torch.Tensor, cfg: Config, device: torch.device):
    """Logits for uint8 images (N, 28, 28), in large batches; float32 even when training
    used bf16 autocast, so the accuracy is the weights' own (and the NumPy twin's)."""
    model.eval()
    out = []
    for x, _ in batches(images, torch.zeros(len(images)), 2000):
        out.append(model(x.to(device, memory_format=memory_format(cfg))).float().cpu())
    return torch.cat(out)


def memory_format(cfg: Config) -> torch.memory_format:
    return torch.channels_last if cfg.channels_last else torch.contiguous_format


def per_class_accuracy(pred: torch.Tensor, labels: torch.Tensor) -> list[float]:
    return [float((pred[labels == k] == k).float().mean()) for k in range(10)]


def write_metrics(path: Path, history: list[dict[str, float]]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(history[0]))
            w.writeheader()
            w.writerows(history)

    atomic_write(path, write)


def train(cfg: Config, data: MNIST | None = None) -> dict[str, Any]:
    """Train (or resume) one run; return its summary."""
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
        changed = [
            f"{k}={v!r} (checkpoint: {ckpt['config'].get(k)!r})"
            for k, v in asdict(cfg).items()
            if k not in RUN_CONTROL and ckpt["config"].get(k) != v
        ]
        if changed:
            raise CheckpointError(f"resume: settings differ from {ckpt_path}: {', '.join(changed)}")
        if ckpt["epoch"] >= cfg.epochs:
            raise ValueError(f"resume: {out} already finished its {cfg.epochs} epochs")
    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    data = data or load_mnist(cfg.data_dir or None)
    train_x, train_y = data.train_images, data.train_labels
    test_x, test_y = data.test_images, data.test_labels
    if cfg.train_subset:
        train_x, train_y = train_x[: cfg.train_subset], train_y[: cfg.train_subset]
    if cfg.test_subset:
        test_x, test_y = test_x[: cfg.test_subset], test_y[: cfg.test_subset]

    # model, optimizer, schedule: all seeded
    torch.manual_seed(cfg.seed)
    model = ChallengeNet(cfg.widths, cfg.dropout).to(device, memory_format=memory_format(cfg))
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=cfg.lr,
        momentum=cfg.momentum,
        nesterov=cfg.momentum > 0,
        weight_decay=cfg.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train_y) / cfg.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, cfg.lr, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch,
        pct_start=cfg.pct_start,
    )  # fmt: skip
    history: list[dict[str, float]] = []
    start_epoch, elapsed_before = 0, 0.0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        torch.set_rng_state(ckpt["rng"]["torch"])
        start_epoch, history = ckpt["epoch"], ckpt["history"]
        elapsed_before = ckpt["wall_time_s"]
    else:
        if out.exists():
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{out}: ChallengeNet{cfg.widths}, {count_parameters(model)} parameters, on {device}")

    for epoch in range(start_epoch, cfg.epochs):
        # one generator per epoch: shuffling and augmentation do not depend on history
        g = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        model.train()
        loss_sum, correct, seen = 0.0, 0, 0
        t_epoch, cpu_epoch = time.time(), time.process_time()
        bar = tqdm(
            batches(train_x, train_y, cfg.batch_size, g),
            total=steps_per_epoch,
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            disable=not cfg.progress,
            leave=False,
        )
        for x, y in bar:
            if cfg.augment and epoch < cfg.epochs - cfg.clean_epochs:
                x = augment(x, g, cfg.degrees, cfg.scale, cfg.shift)
            x = x.to(device, memory_format=memory_format(cfg))
            y = y.to(device)
            with torch.autocast(device.type, torch.bfloat16, enabled=cfg.bf16):
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=cfg.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")
        train_seconds = time.time() - t_epoch
        # CPU seconds of all threads: on a busy machine, a better guide than wall time
        cpu_seconds = time.process_time() - cpu_epoch

        logits = predict(model, test_x, cfg, device)
        test_loss = float(F.cross_entropy(logits, test_y))
        test_acc = float((logits.argmax(1) == test_y).float().mean())
        history.append({
            "epoch": epoch + 1,
            "lr": optimizer.param_groups[0]["lr"],
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
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": {"torch": torch.get_rng_state()},
            "history": history,
            "wall_time_s": elapsed_before + time.time() - t0,
        })  # fmt: skip
        if cfg.stop_after and epoch + 1 - start_epoch >= cfg.stop_after and epoch + 1 < cfg.epochs:
            print(f"stopped after epoch {epoch + 1}; continue with --resume")
            return {"stopped_at_epoch": epoch + 1}

    pred = logits.argmax(1)
    summary = {
        "params": count_parameters(model),
        "test_accuracy": history[-1]["test_acc"],
        "per_class_accuracy": per_class_accuracy(pred, test_y),
        "epochs": cfg.epochs,
        "wall_time_s": elapsed_before + time.time() - t0,
        "seconds_per_epoch": sum(h["train_seconds"] for h in history) / len(history),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "seed": cfg.seed,
        "config": asdict(cfg),
    }
    if cfg.plots:
        from mnist_challenge.plots import save_plots

        save_plots(out, history, pred, test_x, test_y)
    atomic_write(out / "summary.json", lambda tmp: tmp.write_text(json.dumps(summary, indent=2)))
    print(
        f"final test accuracy {summary['test_accuracy']:.4f} "
        f"({summary['params']} parameters, {summary['wall_time_s']:.0f}s) -> {out}"
    )
    return summary
