"""Evaluate a checkpoint on the MNIST test set, with torch, the NumPy twin, or both.

`--engine numpy` runs the weights through `scratch.models.ChallengeNet`, which mirrors
ChallengeNet's layer names and loads the same state_dict; `--engine both` runs the two and
reports how far apart their logits are and how their inference times compare.
"""

from __future__ import annotations

import dataclasses
import time
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

ENGINES = ("torch", "numpy", "both")


def evaluate(
    checkpoint: str, data_dir: str = "", device: str = "auto", engine: str = "torch"
) -> dict[str, Any]:
    """Test accuracy and per-class accuracy of a checkpoint.

    ``engine='both'`` runs the torch model (on the CPU, like the twin) and the NumPy twin on
    the same 10,000 images and adds the parity figures: the largest absolute logit
    difference, how many predictions differ, and the numpy/torch inference time ratio.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
    ckpt = load_checkpoint(checkpoint)
    data = load_mnist(data_dir or None)
    result: dict[str, Any] = {"engine": engine}
    if engine in ("torch", "both"):
        start = time.perf_counter()
        logits = predict_torch(ckpt, data.test_images, "cpu" if engine == "both" else device)
        result["torch_seconds"] = time.perf_counter() - start
    if engine in ("numpy", "both"):
        torch_logits = logits if engine == "both" else None
        start = time.perf_counter()
        logits = predict_numpy(ckpt, data.test_images)
        result["numpy_seconds"] = time.perf_counter() - start
        if torch_logits is not None:
            result["max_abs_logit_diff"] = float((logits - torch_logits).abs().max())
            result["prediction_mismatches"] = int(
                (logits.argmax(1) != torch_logits.argmax(1)).sum()
            )
            result["numpy_over_torch_time"] = result["numpy_seconds"] / result["torch_seconds"]
    pred = logits.argmax(1)
    result["test_accuracy"] = float((pred == data.test_labels).float().mean())
    result["per_class_accuracy"] = per_class_accuracy(pred, data.test_labels)
    return result


def predict_torch(ckpt: dict, images: torch.Tensor, device: str) -> torch.Tensor:
    """Logits of the checkpoint's torch model, with the settings it was trained with."""
    model = model_from_checkpoint(ckpt)
    fields = {f.name for f in dataclasses.fields(Config)}
    cfg = Config(**{k: v for k, v in ckpt["config"].items() if k in fields})
    cfg.widths = tuple(cfg.widths)
    dev = pick_device(device)
    return predict(model.to(dev, memory_format=memory_format(cfg)), images, cfg, dev)


def predict_numpy(ckpt: dict, images: torch.Tensor) -> torch.Tensor:
    """Logits from the NumPy twin ``scratch.models.ChallengeNet``, float32, eval mode.

    The twin mirrors the torch model's layer names, so the checkpoint's state_dict loads
    as is; torch only feeds the (normalised) batches in and takes the logits out.
    """
    from scratch.models import ChallengeNet as NumpyChallengeNet

    cfg = ckpt["config"]
    net = NumpyChallengeNet(tuple(cfg["widths"]), cfg["dropout"])
    net.load_state_dict({k: v.numpy() for k, v in ckpt["model"].items()})
    net.eval()
    out = [
        torch.from_numpy(net(x.contiguous().numpy()))
        for x, _ in batches(images, torch.zeros(len(images)), 1000)
    ]  # fmt: skip
    return torch.cat(out)
