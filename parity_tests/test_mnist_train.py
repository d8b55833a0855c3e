"""mnist_challenge.train and the CLI: short runs on a subset, resume, checkpoints, bad input.

The real MNIST is needed (from $MNIST_ROOT, else ./data) and loaded once per module; the
runs use a few thousand images so each test takes seconds, not the full training.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from mnist_challenge import data
from mnist_challenge.__main__ import main
from mnist_challenge.checkpoint import CheckpointError, load_checkpoint
from mnist_challenge.evaluate import evaluate
from mnist_challenge.train import Config, train

HAVE_MNIST = (Path(os.environ.get("MNIST_ROOT", "data")) / "MNIST" / "raw").is_dir()
needs_mnist = pytest.mark.skipif(not HAVE_MNIST, reason="the MNIST files are not at $MNIST_ROOT")


@pytest.fixture(scope="module")
def mnist() -> data.MNIST:
    return data.load_mnist()


@pytest.fixture(autouse=True)
def one_thread():
    """Runs use one thread (threads=1): on a shared, loaded CPU, two OpenMP threads that
    wait for each other were 10x slower. The process's setting is restored afterwards."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def tiny(tmp_path: Path, **overrides) -> Config:
    """A run of seconds: 1024 training images, 500 test images, one thread, no bar; every
    epoch augmented unless asked (the default's clean epochs would be both of them)."""
    base = Config(out_dir=str(tmp_path / "runs"), name="tiny", epochs=2, batch_size=64, lr=0.1,
                  train_subset=1024, test_subset=500, threads=1, progress=False,
                  plots=False, clean_epochs=0)  # fmt: skip
    return replace(base, **overrides)


@needs_mnist
def test_short_run_learns_and_writes_its_run_folder(tmp_path, mnist):
    cfg = tiny(tmp_path, train_subset=1536, lr=0.2, augment=False, plots=True)
    summary = train(cfg, mnist)
    assert summary["test_accuracy"] > 0.8  # chance is 0.1
    out = tmp_path / "runs" / "tiny"
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[-1]["test_acc"]) == summary["test_accuracy"]
    saved = json.loads((out / "summary.json").read_text())
    for key in ("params", "test_accuracy", "epochs", "wall_time_s", "device", "seed"):
        assert key in saved
    assert saved["engine"] == "torch"
    parts = saved["time_s"]  # where the time went: every part of a step, and the test set
    assert set(parts) == {"data", "forward", "backward", "update", "test"}
    assert all(v > 0 for v in parts.values()) and sum(parts.values()) <= saved["wall_time_s"]
    for plot in ("curves.png", "confusion.png", "misclassified.png"):
        assert (out / plot).stat().st_size > 1000
    assert not list(out.glob("*.tmp"))


@needs_mnist
@pytest.mark.parametrize("extra", [{}, {"clean_epochs": 1}], ids=["augmented", "clean last epoch"])
def test_resume_ends_with_the_same_weights(tmp_path, mnist, extra):
    train(tiny(tmp_path, name="straight", **extra), mnist)
    stopped = train(tiny(tmp_path, name="resumed", stop_after=1, **extra), mnist)
    assert stopped == {"stopped_at_epoch": 1}
    assert load_checkpoint(tmp_path / "runs" / "resumed" / "checkpoint.pt")["epoch"] == 1
    with pytest.raises(CheckpointError, match="epochs=3"):  # another schedule is refused
        train(tiny(tmp_path, name="resumed", resume=True, epochs=3, **extra), mnist)
    torch.manual_seed(1234)  # a different global RNG state must not matter after resume
    train(tiny(tmp_path, name="resumed", resume=True, **extra), mnist)
    a = load_checkpoint(tmp_path / "runs" / "straight" / "checkpoint.pt")
    b = load_checkpoint(tmp_path / "runs" / "resumed" / "checkpoint.pt")
    assert a["model"].keys() == b["model"].keys()
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert a["history"][-1]["test_acc"] == b["history"][-1]["test_acc"]


@needs_mnist
def test_clean_epochs_train_on_unaugmented_images(tmp_path, mnist):
    """--clean-epochs 3 of 2 is the same run as --no-augment: same shuffles, same weights."""
    train(tiny(tmp_path, name="clean", clean_epochs=3), mnist)
    train(tiny(tmp_path, name="plain", augment=False), mnist)
    train(tiny(tmp_path, name="augmented"), mnist)
    clean, plain, augmented = (
        load_checkpoint(tmp_path / "runs" / name / "checkpoint.pt")["model"]
        for name in ("clean", "plain", "augmented")
    )
    assert all(torch.equal(clean[k], plain[k]) for k in clean)
    assert not torch.equal(clean["fc.weight"], augmented["fc.weight"])


def test_foreign_files_are_refused_as_checkpoints(tmp_path):
    (tmp_path / "text.pt").write_text("not a checkpoint")
    torch.save({"model": {}}, tmp_path / "other.pt")
    for name in ("text.pt", "other.pt"):
        with pytest.raises(CheckpointError, match="not a mnist-challenge checkpoint"):
            load_checkpoint(tmp_path / name)


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory, mnist) -> Path:
    """Two epochs of ChallengeNet(widths=(4, 8, 8)) on 1536 images (well above chance: the
    NumPy twin's test needs a model that has learned), shared by the tests below."""
    tmp = tmp_path_factory.mktemp("small")
    before = torch.get_num_threads()
    train(tiny(tmp, train_subset=1536, lr=0.2, augment=False, widths=(4, 8, 8)), mnist)
    torch.set_num_threads(before)
    return tmp / "runs" / "tiny" / "checkpoint.pt"


@needs_mnist
def test_checkpoint_of_another_architecture_is_refused(small_checkpoint, tmp_path, mnist):
    with pytest.raises(CheckpointError, match=r"widths=\(4, 8, 8\)"):
        load_checkpoint(small_checkpoint, widths=(6, 16, 24))
    run = tmp_path / "runs" / "tiny"
    run.mkdir(parents=True)
    (run / "checkpoint.pt").write_bytes(small_checkpoint.read_bytes())
    with pytest.raises(CheckpointError, match="widths"):
        train(tiny(tmp_path, resume=True), mnist)


@needs_mnist
def test_evaluate_rebuilds_the_checkpoints_architecture(small_checkpoint, capsys):
    assert main(["evaluate", "--checkpoint", str(small_checkpoint)]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy (torch)" in printed and "digit 9" in printed


@needs_mnist
def test_numpy_twin_gives_the_trained_models_logits_and_predictions(small_checkpoint):
    """The trained weights run through scratch.models.ChallengeNet on all 10,000 test images."""
    result = evaluate(str(small_checkpoint), engine="both", repeats=1)
    assert result["max_abs_logit_diff"] <= 1e-4  # float32, the bound
    assert result["prediction_mismatches"] == 0
    assert result["test_accuracy"] > 0.5  # a model that has learned (chance is 0.1)


@pytest.mark.parametrize(
    "argv, named",
    [
        (["--epochs", "0"], "--epochs"),
        (["--lr", "-0.1"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--device", "tpu"], "--device"),
        (["--batch-size", "0"], "--batch-size"),
        (["--widths", "8,16"], "--widths"),
    ],
)
def test_cli_rejects_bad_options_and_writes_nothing(tmp_path, capsys, argv, named):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--out-dir", str(tmp_path / "runs"), *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert named in err and "expected" in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("field, value", [("epochs", 0), ("lr", -1.0), ("device", "tpu"),
                                          ("clean_epochs", -1)])  # fmt: skip
def test_config_rejects_bad_values_and_writes_nothing(tmp_path, field, value):
    with pytest.raises(ValueError, match=f"{field}: expected"):
        train(tiny(tmp_path, **{field: value}))
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--out-dir", str(tmp_path / "runs"), "--device", "cuda"])
    assert "device: 'cuda' is not available" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_missing_data_stops_before_the_run_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "DOWNLOADERS", [])
    empty = tmp_path / "empty"
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--out-dir", str(tmp_path / "runs"), "--data-dir", str(empty)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte" in err and data.SHA256["train-images-idx3-ubyte"] in err
    assert not (tmp_path / "runs").exists()


def test_resume_without_checkpoint_and_existing_run_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="no checkpoint"):
        train(tiny(tmp_path, resume=True))
    (tmp_path / "runs" / "tiny").mkdir(parents=True)
    with pytest.raises(ValueError, match="--overwrite"):
        train(tiny(tmp_path))


def test_preset_fast_and_explicit_options(tmp_path):
    from mnist_challenge.__main__ import build_parser, config_from_args

    args = build_parser().parse_args(["train", "--preset", "fast", "--epochs", "7"])
    cfg = config_from_args(args)
    assert cfg.preset == "fast" and cfg.epochs == 7  # explicit options beat the preset
    assert config_from_args(build_parser().parse_args(["train"])) == Config()
