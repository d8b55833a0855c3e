"""The two engines that train ChallengeNet: torch, and its NumPy twin by hand.

`train.py` runs one loop for both. Each epoch it hands an engine the same torch batches
(shuffled and augmented by `data.py` from a generator seeded by (seed, epoch)) and calls

    loss, logits = engine.forward(x, y)   # the label-smoothed cross-entropy of the batch
    engine.backward()                     # every parameter's gradient
    engine.update()                       # SGD (Nesterov, weight decay), then OneCycleLR

- `TorchEngine`: `mnist_challenge.model.ChallengeNet`, autograd, `torch.optim.SGD` and
  `torch.optim.lr_scheduler.OneCycleLR`.
- `NumpyEngine`: `scratch.models.ChallengeNet` (forward and a hand-written backward),
  `scratch.nn.CrossEntropyLoss`, `scratch.optim.SGD` and `scratch.optim.lr_scheduler.OneCycleLR`;
  torch only feeds the batches in (as arrays) and saves the checkpoint.

Both draw their initial weights from torch's initialisation after `torch.manual_seed(seed)`
(the NumPy engine copies them in), so with the same seed the two start from the same
weights, see the same batches and, in float64, take the same steps (parity_tests/
test_engines.py). Their checkpoints have the same keys: the model's is a torch state_dict
that either twin loads, the optimizer's is in torch's layout; the scheduler's is each
engine's own, so a run resumes only with the engine that started it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from mnist_challenge.data import batches
from mnist_challenge.model import ChallengeNet, count_parameters

ENGINES = ("torch", "numpy")
DTYPES = {"float32": (torch.float32, np.float32), "float64": (torch.float64, np.float64)}


def memory_format(channels_last: bool) -> torch.memory_format:
    return torch.channels_last if channels_last else torch.contiguous_format


@torch.inference_mode()
def predict_torch(model: torch.nn.Module, images: torch.Tensor, device: torch.device | str,
                  channels_last: bool = False) -> torch.Tensor:  # fmt: skip
    """Logits (float32, CPU) of uint8 images (N, 28, 28), eval mode, in batches of 2000, in
    the model's dtype; float32 even when training used bf16 autocast, so the accuracy is the
    weights' own (and the NumPy twin's)."""
    model.eval()
    dtype = next(model.parameters()).dtype
    out = []
    for x, _ in batches(images, torch.zeros(len(images)), 2000):
        x = x.to(device, dtype, memory_format=memory_format(channels_last))
        out.append(model(x).float().cpu())
    return torch.cat(out)


def predict_numpy(net: Any, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Logits (float32 tensor) of uint8 images (N, 28, 28) from the NumPy twin
    `scratch.models.ChallengeNet`, eval mode (an eval copy with its BatchNorms folded into the
    convolutions; `net` itself is left as it is), in batches, in the net's dtype; torch only
    feeds the (normalised) batches in and takes the logits out. Batches of 500: 181 ms per
    1000 images against 200 at 1000 and 229 at 2000 (benchmarks/bench_challenge.py), where
    the stem's 37.6 MB output passes glibc's 32 MB threshold and every batch faults in fresh
    pages."""
    net = net.fused_for_inference()  # each BatchNorm folded into its convolution
    dtype = net.fc.weight.data.dtype
    out = [
        net(x.numpy().astype(dtype, copy=False)).astype(np.float32, copy=False)
        for x, _ in batches(images, torch.zeros(len(images)), batch_size)
    ]  # fmt: skip
    return torch.from_numpy(np.concatenate(out))


def numpy_model(widths: tuple[int, int, int], dropout: float, state_dict: dict[str, Any],
                dtype: type = np.float32) -> Any:  # fmt: skip
    """`scratch.models.ChallengeNet` holding a torch state_dict (tensors or arrays)."""
    from scratch.models import ChallengeNet as NumpyChallengeNet

    net = NumpyChallengeNet(tuple(widths), dropout, dtype=dtype)
    net.load_state_dict(_arrays(dict(state_dict)))
    return net


def initial_model(cfg: Any) -> ChallengeNet:
    """torch's ChallengeNet as `torch.manual_seed(cfg.seed)` initialises it: both engines'
    starting weights (torch's default init of Conv2d, BatchNorm2d and Linear)."""
    torch.manual_seed(cfg.seed)
    return ChallengeNet(cfg.widths, cfg.dropout)


class _Engine:
    """What the two engines share: the update (SGD, then OneCycleLR) and the current lr."""

    optimizer: Any
    scheduler: Any

    def update(self) -> None:
        self.optimizer.step()
        self.scheduler.step()

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]


class TorchEngine(_Engine):
    """ChallengeNet trained by torch: autograd, torch.optim.SGD and OneCycleLR."""

    name = "torch"

    def __init__(self, cfg: Any, steps_per_epoch: int, device: torch.device,
                 dtype: str = "float32") -> None:  # fmt: skip
        self.cfg, self.device = cfg, device
        self.format = memory_format(cfg.channels_last)
        self.dtype = DTYPES[dtype][0]
        self.model = initial_model(cfg).to(device, self.dtype, memory_format=self.format)
        self.optimizer = torch.optim.SGD(
            self.model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
            nesterov=cfg.momentum > 0, weight_decay=cfg.weight_decay,
        )  # fmt: skip
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, cfg.lr, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch,
            pct_start=cfg.pct_start,
        )  # fmt: skip
        self._loss: torch.Tensor | None = None

    def num_parameters(self) -> int:
        return count_parameters(self.model)

    def start_epoch(self, epoch: int) -> None:
        self.model.train()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
        """The batch's mean label-smoothed cross-entropy, and its logits (float32, CPU)."""
        x = x.to(self.device, self.dtype, memory_format=self.format)
        y = y.to(self.device)
        with torch.autocast(self.device.type, torch.bfloat16, enabled=self.cfg.bf16):
            logits = self.model(x)
        self._loss = F.cross_entropy(logits.to(self.dtype), y,
                                     label_smoothing=self.cfg.label_smoothing)  # fmt: skip
        return self._loss.item(), logits.detach().float().cpu()

    def backward(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self._loss.backward()

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return predict_torch(self.model, images, self.device, self.cfg.channels_last)

    def state(self) -> dict[str, Any]:
        """The checkpoint's "model", "optimizer" and "scheduler" entries."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
        }

    def load(self, ckpt: dict[str, Any]) -> None:
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])


def _tensors(value: Any) -> Any:
    """NumPy arrays (and NumPy scalars) to torch tensors (and Python numbers), deep in
    dicts, lists and tuples: what torch.load(weights_only=True) accepts."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _tensors(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_tensors(v) for v in value)
    return value


def _arrays(value: Any) -> Any:
    """The inverse of `_tensors`: torch tensors back to NumPy arrays."""
    if isinstance(value, torch.Tensor):
        return value.numpy().copy()
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_arrays(v) for v in value)
    return value


class NumpyEngine(_Engine):
    """ChallengeNet trained by its NumPy twin: forward and backward by hand, scratch's SGD
    and OneCycleLR. CPU only; float32 like the torch engine (float64 for the parity test).

    Batches arrive as torch tensors from the shared pipeline and are handed to the twin as
    arrays (`Tensor.numpy()`, no copy for float32). With dropout > 0 the masks come from a
    NumPy generator seeded by (seed, epoch), so a resumed run repeats them; they are not
    torch's masks, so such a run does not follow torch step for step (the default has none).
    """

    name = "numpy"

    def __init__(self, cfg: Any, steps_per_epoch: int, device: torch.device | None = None,
                 dtype: str = "float32") -> None:  # fmt: skip
        from scratch.nn import CrossEntropyLoss
        from scratch.optim import SGD
        from scratch.optim.lr_scheduler import OneCycleLR

        self.cfg = cfg
        self.dtype = DTYPES[dtype][1]
        self.model = numpy_model(cfg.widths, cfg.dropout, initial_model(cfg).state_dict(),
                                 self.dtype)  # fmt: skip
        self.criterion = CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
        self.optimizer = SGD(
            self.model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
            nesterov=cfg.momentum > 0, weight_decay=cfg.weight_decay,
        )  # fmt: skip
        self.scheduler = OneCycleLR(
            self.optimizer, cfg.lr, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch,
            pct_start=cfg.pct_start,
        )  # fmt: skip

    def num_parameters(self) -> int:
        return sum(p.data.size for p in self.model.parameters())

    def start_epoch(self, epoch: int) -> None:
        self.model.train()
        self.model.dropout.generator = np.random.default_rng([self.cfg.seed, epoch])

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
        """The batch's mean label-smoothed cross-entropy, and its logits (float32 tensor)."""
        logits = self.model(x.numpy().astype(self.dtype, copy=False))
        loss = self.criterion(logits, y.numpy())
        return float(loss), torch.from_numpy(logits.astype(np.float32, copy=False))

    def backward(self) -> None:
        self.model.zero_grad()
        self.model.backward(self.criterion.backward())

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return predict_numpy(self.model, images)

    def state(self) -> dict[str, Any]:
        """The checkpoint's entries, as tensors: "model" is a state_dict that torch's
        ChallengeNet loads as is; "optimizer" has torch's layout (momentum_buffer per
        parameter index); "scheduler" is scratch's OneCycleLR state."""
        return {
            "model": _tensors(dict(self.model.state_dict())),
            "optimizer": _tensors(self.optimizer.state_dict()),
            "scheduler": _tensors(self.scheduler.state_dict()),
        }

    def load(self, ckpt: dict[str, Any]) -> None:
        self.model.load_state_dict(_arrays(ckpt["model"]))
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(_arrays(ckpt["scheduler"]))


def make_engine(cfg: Any, steps_per_epoch: int, device: torch.device,
                dtype: str = "float32") -> TorchEngine | NumpyEngine:  # fmt: skip
    """The engine `cfg.engine` names, built from `cfg` (seeded)."""
    kind = {"torch": TorchEngine, "numpy": NumpyEngine}[cfg.engine]
    return kind(cfg, steps_per_epoch, device, dtype)
