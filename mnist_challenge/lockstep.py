"""The two training engines of mnist_challenge in lockstep: one batch, one step each, compared.

Used by test_engines.py (the step-for-step proof) and benchmarks/engine_divergence.py (the
per-step table of how far the twins drift, beside torch against itself). Each step both
engines take the same batch from `mnist_challenge.train.epoch_batches` (real MNIST,
augmented) and their whole state is compared: every parameter, every BatchNorm running
statistic and step count, the loss and the learning rate.

A BatchNorm running mean is compared with an absolute tolerance of rtol·rms per channel,
where rms = sqrt(running_var + running_mean²) is the scale of the activations it averages:
a batch mean is a sum of N·H·W terms that cancel, so its rounding error scales with the
terms (Higham, *Accuracy and Stability of Numerical Algorithms*, §4.2), not with the mean,
which can be near 0. Everything else uses the profile's rtol and atol as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch

from mnist_challenge.engines import NumpyEngine, TorchEngine
from mnist_challenge.train import Config, epoch_batches
from parity_check.core.harness import PROFILES, elementwise


@dataclass
class Step:
    index: int  # 0-based
    headroom: dict[str, float]  # tensor name (or "loss", "lr") -> max |a-e| / (atol + rtol|e|)
    worst: str  # the name with the largest headroom


def state_of(engine) -> dict[str, np.ndarray]:
    """An engine's state_dict as float64 NumPy arrays."""
    state = engine.model.state_dict()
    return {k: np.asarray(v.numpy() if hasattr(v, "numpy") else v, np.float64)
            for k, v in state.items()}  # fmt: skip


def headroom(actual: dict[str, np.ndarray], expected: dict[str, np.ndarray],
             dtype: str) -> dict[str, float]:  # fmt: skip
    """Per tensor: the largest ``|a - e| / (atol + rtol·|e|)``, running means against rtol·rms."""
    p = PROFILES[dtype]
    out = {}
    for name, e in expected.items():
        a = actual[name]
        if name.endswith("running_mean"):
            rms = np.sqrt(expected[name.replace("_mean", "_var")] + e**2)
            out[name] = float((np.abs(a - e) / (p.atol + p.rtol * rms)).max())
        else:
            out[name] = float(elementwise(a, e, p.rtol, p.atol)[2].max(initial=0.0))
    return out


def lockstep(cfg: Config, images: torch.Tensor, labels: torch.Tensor, dtype: str,
             control: bool = False) -> Iterator[tuple[Step, Step | None]]:  # fmt: skip
    """Train torch and numpy engines side by side for one epoch of cfg; yield each step's
    comparison (numpy against torch) and, with ``control``, torch against torch in the other
    memory format (channels_last or not): the same arithmetic in another order, so how far
    rounding alone carries two correct runs apart."""
    steps = -(-len(labels) // cfg.batch_size)
    reference = TorchEngine(cfg, steps, torch.device("cpu"), dtype)
    twin = NumpyEngine(cfg, steps, None, dtype)
    engines = [reference, twin]
    if control:  # torch again, in the other memory format: other kernels, other roundings
        other = replace(cfg, channels_last=not cfg.channels_last)
        engines.append(TorchEngine(other, steps, torch.device("cpu"), dtype))
    for engine in engines:
        engine.start_epoch(0)
    p = PROFILES[dtype]
    for k, (x, y) in enumerate(epoch_batches(cfg, images, labels, 0)):
        losses, lrs = [], []
        for engine in engines:
            loss, _ = engine.forward(x, y)
            engine.backward()
            engine.update()
            losses.append(np.float64(loss))
            lrs.append(np.float64(engine.lr))
        expected = state_of(reference)
        comparisons = []
        for other in range(1, len(engines)):
            h = headroom(state_of(engines[other]), expected, dtype)
            h["loss"] = float(elementwise(losses[other], losses[0], p.rtol, p.atol)[2].max())
            h["lr"] = float(elementwise(lrs[other], lrs[0], p.rtol, p.atol)[2].max())
            comparisons.append(Step(k, h, max(h, key=h.get)))
        yield comparisons[0], (comparisons[1] if control else None)
