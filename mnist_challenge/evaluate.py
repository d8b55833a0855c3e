"""Evaluate a checkpoint on the MNIST test set, with torch or (soon) the NumPy twin.

`--engine numpy` runs the weights through `scratch.models.ChallengeNet`, which mirrors
ChallengeNet's layer names and loads the same state_dict; until the twin exists it says so.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from mnist_challenge.data import batches, load_mnist
from mnist_challenge.train import (
    Config,
    load_checkpoint,
    memory_format,
    model_from_checkpoint,
    per_class_accuracy,
    pick_device,
    predict,
)


def evaluate(
    checkpoint: str, data_dir: str = "", device: str = "auto", engine: str = "torch"
) -> dict[str, Any]:
    """Test accuracy and per-class accuracy of a checkpoint."""
    if engine not in ("torch", "numpy"):
        raise ValueError(f"engine: expected torch or numpy, got {engine!r}")
    ckpt = load_checkpoint(checkpoint)
    data = load_mnist(data_dir or None)
    if engine == "numpy":
        logits = predict_numpy(ckpt, data.test_images)
    else:
        model = model_from_checkpoint(ckpt)
        fields = {f.name for f in dataclasses.fields(Config)}
        cfg = Config(**{k: v for k, v in ckpt["config"].items() if k in fields})
        cfg.widths = tuple(cfg.widths)
        dev = pick_device(device)
        logits = predict(
            model.to(dev, memory_format=memory_format(cfg)), data.test_images, cfg, dev
        )
    pred = logits.argmax(1)
    return {
        "engine": engine,
        "test_accuracy": float((pred == data.test_labels).float().mean()),
        "per_class_accuracy": per_class_accuracy(pred, data.test_labels),
    }


def predict_numpy(ckpt: dict, images: torch.Tensor) -> torch.Tensor:
    """Logits from the NumPy twin `scratch.models.ChallengeNet` (hook for the twin)."""
    try:
        from scratch.models import ChallengeNet as NumpyChallengeNet
    except ImportError as e:
        raise NotImplementedError(
            "--engine numpy needs scratch.models.ChallengeNet, which is not available yet "
            f"({e}); use --engine torch"
        ) from e
    cfg = ckpt["config"]
    net = NumpyChallengeNet(tuple(cfg["widths"]), cfg["dropout"])
    net.load_state_dict({k: v.numpy() for k, v in ckpt["model"].items()})
    net.eval()
    out = [
        torch.from_numpy(net(x.numpy()))
        for x, _ in batches(images, torch.zeros(len(images)), 1000)
    ]  # fmt: skip
    return torch.cat(out)
