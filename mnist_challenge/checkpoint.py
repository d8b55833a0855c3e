"""The trainer's checkpoints: written atomically, read back safely, checked before use.

A checkpoint is a dict saved with ``torch.save``: "format" (CHECKPOINT_FORMAT), "config",
"epoch", "model" (a state_dict with the keys of ``mnist_challenge.model.ChallengeNet``, which
the NumPy twin loads too), "optimizer", "scheduler", "rng", "history", "wall_time_s" and
"time_s". It is read with ``torch.load(weights_only=True)`` only.
"""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import torch

from mnist_challenge.model import ChallengeNet

CHECKPOINT_FORMAT = "mnist-challenge-checkpoint-v1"


class CheckpointError(ValueError):
    """The file is not a checkpoint of this trainer, or not of this architecture."""


def atomic_write(path: Path, write: Any) -> None:
    """Call write(tmp_path), then move the finished file into place."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: str | os.PathLike, widths: tuple[int, ...] | None = None) -> dict:
    """Load one of our checkpoints safely (weights_only) and check its architecture.

    A file that is not one raises CheckpointError with one line saying what the file is not;
    torch's own text is left out, because for a pickle it advises loading with
    weights_only=False, which runs whatever code the file holds.
    """
    not_ours = f"{path} is not a mnist-challenge checkpoint"
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint: no file at {path}")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols it half reads
            warnings.simplefilter("ignore")
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise CheckpointError(f"{not_ours}: it is a directory") from None
    except Exception as e:
        if os.path.getsize(path) == 0:
            raise CheckpointError(f"{not_ours}: it is empty") from None
        with open(path, "rb") as f:
            zip_magic = f.read(4) == b"PK\x03\x04"
        if not zip_magic:
            raise CheckpointError(f"{not_ours}: torch.save did not write it (checkpoints are "
                                  "zip archives)") from None  # fmt: skip
        if isinstance(e, pickle.UnpicklingError):  # torch's safe unpickler refused it
            raise CheckpointError(
                f"{not_ours}: it holds more than tensors and plain data, so it is not loaded "
                "(unpickling anything else can run code)"
            ) from None
        raise CheckpointError(f"{not_ours}: a zip archive torch.load cannot read (not one "
                              "torch.save wrote, or damaged or truncated)") from None  # fmt: skip
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        if isinstance(ckpt, dict) and "format" in ckpt:
            raise CheckpointError(f"{not_ours}: its format is {ckpt['format']!r}, this "
                                  f"version reads {CHECKPOINT_FORMAT!r}")  # fmt: skip
        what = "dict" if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"{not_ours}: torch.save wrote it, but it is a {what} without "
                              f"the format marker {CHECKPOINT_FORMAT!r}")  # fmt: skip
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
