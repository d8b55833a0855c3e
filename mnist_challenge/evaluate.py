"""Evaluate a checkpoint on the MNIST test set, with torch, the NumPy twin, or both.

`--engine numpy` runs the weights through `scratch.models.ChallengeNet`, which mirrors
ChallengeNet's layer names and loads the same state_dict; `--engine both` runs the two and
reports how far apart their logits are and how their inference times compare.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from mnist_challenge.checkpoint import load_checkpoint, model_from_checkpoint
from mnist_challenge.data import load_mnist
from mnist_challenge.engines import numpy_model, predict_numpy, predict_torch
from mnist_challenge.train import per_class_accuracy, pick_device

ENGINES = ("torch", "numpy", "both")


def evaluate(
    checkpoint: str, data_dir: str = "", device: str = "auto", engine: str = "torch",
    repeats: int = 3,
) -> dict[str, Any]:  # fmt: skip
    """Test accuracy and per-class accuracy of a checkpoint.

    ``engine='both'`` runs the torch model (on the CPU, like the twin) and the NumPy twin on
    the same 10,000 images and adds the parity figures: the largest absolute logit
    difference, how many predictions differ, and the numpy/torch inference time ratio
    (each engine's fastest of ``repeats`` passes, alternating; seconds per 10,000 images).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {ENGINES}, got {engine!r}")
    if engine != "torch" and device.split(":")[0] not in ("auto", "cpu"):
        raise ValueError(f"device: expected auto or cpu with engine {engine} (NumPy computes "
                         f"on the CPU, and both compares on it), got {device!r}")  # fmt: skip
    ckpt = load_checkpoint(checkpoint)
    data = load_mnist(data_dir or None)
    result: dict[str, Any] = {"engine": engine}
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats: expected an integer >= 1, got {repeats!r}")
    # With both engines, each runs `repeats` times, alternating, and its fastest pass counts:
    # on a shared machine one pass of either can be slowed by the other's idle threads.
    for _ in range(repeats if engine == "both" else 1):
        if engine in ("torch", "both"):
            start = time.perf_counter()
            logits = torch_logits(ckpt, data.test_images, "cpu" if engine == "both" else device)
            seconds = time.perf_counter() - start
            result["torch_seconds"] = min(seconds, result.get("torch_seconds", seconds))
        if engine in ("numpy", "both"):
            reference = logits if engine == "both" else None
            start = time.perf_counter()
            logits = numpy_logits(ckpt, data.test_images)
            seconds = time.perf_counter() - start
            result["numpy_seconds"] = min(seconds, result.get("numpy_seconds", seconds))
    if engine == "both":
        result["max_abs_logit_diff"] = float((logits - reference).abs().max())
        result["prediction_mismatches"] = int((logits.argmax(1) != reference.argmax(1)).sum())
        result["numpy_over_torch_time"] = result["numpy_seconds"] / result["torch_seconds"]
    pred = logits.argmax(1)
    result["test_accuracy"] = float((pred == data.test_labels).float().mean())
    result["per_class_accuracy"] = per_class_accuracy(pred, data.test_labels)
    return result


def torch_logits(ckpt: dict, images: torch.Tensor, device: str) -> torch.Tensor:
    """Logits of the checkpoint's torch model (channels_last if it was trained so)."""
    model = model_from_checkpoint(ckpt)
    dev = pick_device(device)
    channels_last = ckpt["config"].get("channels_last", False)
    model.to(dev, memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    return predict_torch(model, images, dev, channels_last)


def numpy_logits(ckpt: dict, images: torch.Tensor) -> torch.Tensor:
    """Logits from the NumPy twin ``scratch.models.ChallengeNet``, float32, eval mode: the
    twin mirrors the torch model's layer names, so the checkpoint's state_dict loads as is."""
    cfg = ckpt["config"]
    return predict_numpy(numpy_model(cfg["widths"], cfg["dropout"], ckpt["model"]), images)
