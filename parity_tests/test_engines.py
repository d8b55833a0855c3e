"""The NumPy engine of mnist_challenge trains step for step with the torch engine.

Both engines start from the same weights and take the same real MNIST batches (augmented);
mnist_challenge/lockstep.py steps them side by side and compares their whole state after every
step. Then the NumPy engine's run folder: resume, a checkpoint torch loads, bad options.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_challenge import data
from mnist_challenge.__main__ import main
from mnist_challenge.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from mnist_challenge.engines import numpy_model
from mnist_challenge.lockstep import lockstep
from mnist_challenge.train import Config, train
from parity_tests.test_mnist_train import needs_mnist, tiny


@pytest.fixture(scope="module")
def mnist() -> data.MNIST:
    return data.load_mnist()


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def short_schedule(batch_size: int, steps: int, **overrides) -> Config:
    """One epoch of `steps` augmented batches: OneCycleLR runs its whole cycle in it."""
    return Config(seed=0, batch_size=batch_size, train_subset=batch_size * steps, epochs=1,
                  clean_epochs=0, channels_last=False, **overrides)  # fmt: skip


@needs_mnist
def test_float64_100_steps_agree_at_every_step(mnist):
    """Every parameter, running statistic, step count, the loss and the lr, after each of 100
    steps, within the float64 profile (rtol 1e-10; running means: see lockstep.py).

    Peak lr 0.1, a quarter of the default: training amplifies the twins' rounding
    differences (different summation orders) by a factor that grows with the lr; at 0.1 the
    100 steps end at a headroom of about 0.3. At the default 0.4 the twins leave the profile
    at about step 14, and torch leaves it against itself in the other memory format too
    (docs/mnist.md, "Step for step"; benchmarks/engine_divergence.py prints the table)."""
    cfg = short_schedule(16, 100, lr=0.1)
    n = cfg.train_subset
    worst = []
    for step, _ in lockstep(cfg, mnist.train_images[:n], mnist.train_labels[:n], "float64"):
        worst.append((step.headroom[step.worst], step.worst))
        assert step.headroom[step.worst] <= 1, (
            f"step {step.index + 1}: {step.worst} leaves the float64 profile (headroom "
            f"{step.headroom[step.worst]:.3g}); every tensor: {step.headroom}"
        )
    assert len(worst) == 100


@needs_mnist
def test_float32_20_steps_stay_as_close_as_torch_is_to_itself(mnist):
    """Default lr 0.4, batch 32. The first step is within torch's float32 tolerance; after
    it, float32 rounding is amplified so fast that two correct torch runs (contiguous and
    channels_last: the same arithmetic in another order) are already 1e3 headrooms apart by
    step 4. The stated tolerance: at every step the twin is no farther from torch than 2x
    the larger of 1 and that torch-to-torch distance (measured: 0.05x to 0.6x of it)."""
    cfg = short_schedule(32, 20)
    n = cfg.train_subset
    steps = list(lockstep(cfg, mnist.train_images[:n], mnist.train_labels[:n], "float32",
                          control=True))  # fmt: skip
    first, _ = steps[0]
    assert first.headroom[first.worst] <= 1, first.headroom
    for twin, torch_vs_torch in steps:
        bound = 2 * max(1.0, torch_vs_torch.headroom[torch_vs_torch.worst])
        assert twin.headroom[twin.worst] <= bound, (
            f"step {twin.index + 1}: {twin.worst} headroom {twin.headroom[twin.worst]:.3g}, "
            f"torch against itself {torch_vs_torch.headroom[torch_vs_torch.worst]:.3g}"
        )


def numpy_tiny(tmp_path: Path, **overrides) -> Config:
    return tiny(tmp_path, engine="numpy", channels_last=False, **overrides)


@needs_mnist
def test_resume_ends_with_the_same_weights(tmp_path, mnist):
    train(numpy_tiny(tmp_path, name="straight", train_subset=512, test_subset=200), mnist)
    stopped = train(numpy_tiny(tmp_path, name="resumed", stop_after=1, train_subset=512,
                               test_subset=200), mnist)  # fmt: skip
    assert stopped == {"stopped_at_epoch": 1}
    torch.manual_seed(1234)  # a different global RNG state must not matter after resume
    np.random.seed(1234)
    train(numpy_tiny(tmp_path, name="resumed", resume=True, train_subset=512, test_subset=200),
          mnist)  # fmt: skip
    a = load_checkpoint(tmp_path / "runs" / "straight" / "checkpoint.pt")
    b = load_checkpoint(tmp_path / "runs" / "resumed" / "checkpoint.pt")
    for part in ("model", "optimizer"):
        flat_a, flat_b = _flatten(a[part]), _flatten(b[part])
        assert flat_a.keys() == flat_b.keys()
        for k in flat_a:
            assert _equal(flat_a[k], flat_b[k]), (part, k)
    assert a["scheduler"] == b["scheduler"]
    assert a["history"][-1]["test_acc"] == b["history"][-1]["test_acc"]


def _flatten(tree, prefix=""):
    if isinstance(tree, dict):
        return {k2: v2 for k, v in tree.items() for k2, v2 in _flatten(v, f"{prefix}{k}.").items()}
    if isinstance(tree, list):
        return {
            k2: v2 for i, v in enumerate(tree) for k2, v2 in _flatten(v, f"{prefix}{i}.").items()
        }
    return {prefix: tree}


def _equal(a, b) -> bool:
    return torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b


@pytest.fixture(scope="module")
def numpy_checkpoint(tmp_path_factory, mnist) -> Path:
    """Two epochs of the NumPy engine on 1536 images: a model that has learned."""
    tmp = tmp_path_factory.mktemp("numpy")
    before = torch.get_num_threads()
    train(numpy_tiny(tmp, train_subset=1536, lr=0.2, augment=False), mnist)
    torch.set_num_threads(before)
    return tmp / "runs" / "tiny" / "checkpoint.pt"


@needs_mnist
def test_checkpoint_loads_into_torch_and_gives_the_same_logits(numpy_checkpoint, mnist):
    ckpt = load_checkpoint(numpy_checkpoint)
    assert ckpt["config"]["engine"] == "numpy"
    model = model_from_checkpoint(ckpt).eval()  # torch's ChallengeNet, strict load
    x = data.to_float(mnist.test_images[:500])
    with torch.no_grad():
        torch_logits = model(x).numpy()
    cfg = ckpt["config"]
    twin = numpy_model(cfg["widths"], cfg["dropout"], ckpt["model"]).eval()
    twin_logits = twin(x.numpy())
    np.testing.assert_allclose(twin_logits, torch_logits, rtol=1.3e-6, atol=1e-4)  # float32
    labels = mnist.test_labels[:500].numpy()
    assert (torch_logits.argmax(1) == labels).mean() > 0.8  # it learned (chance is 0.1)


@needs_mnist
def test_evaluate_runs_torch_on_a_numpy_run(numpy_checkpoint, capsys):
    assert main(["evaluate", "--checkpoint", str(numpy_checkpoint), "--engine", "torch"]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy (torch)" in printed and "digit 9" in printed


def test_evaluate_refuses_a_bad_repeat_count(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--checkpoint", "x.pt", "--repeats", "0"])
    assert (
        exit_.value.code == 2 and "--repeats: expected an integer >= 1" in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--engine", "jax"], "argument --engine: invalid choice: 'jax' (choose from"),
        (["--engine", "numpy", "--device", "cuda"], "--device: expected auto or cpu with engine numpy"),
        (["--engine", "numpy", "--bf16"], "--bf16: expected False with engine numpy"),
        (["--engine", "numpy", "--channels-last"], "--channels-last: expected False with engine numpy"),
    ],
)  # fmt: skip
def test_torch_only_options_are_refused_and_nothing_is_written(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--out-dir", str(tmp_path / "runs"), *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err  # one line
    assert not (tmp_path / "runs").exists()


def test_numpy_engine_turns_channels_last_off_unless_asked():
    from mnist_challenge.__main__ import build_parser, config_from_args

    cfg = config_from_args(build_parser().parse_args(["train", "--engine", "numpy"]))
    assert cfg.engine == "numpy" and cfg.channels_last is False
    assert config_from_args(build_parser().parse_args(["train"])).channels_last is True


@needs_mnist
def test_resuming_with_the_other_engine_is_refused(tmp_path, mnist):
    train(numpy_tiny(tmp_path, stop_after=1, train_subset=256, test_subset=100), mnist)
    with pytest.raises(CheckpointError, match="trained by the numpy engine; resume it with "
                                              "--engine numpy"):  # fmt: skip
        train(tiny(tmp_path, resume=True, train_subset=256, test_subset=100, channels_last=False),
              mnist)  # fmt: skip


@needs_mnist
def test_evaluate_refuses_a_device_numpy_cannot_use(numpy_checkpoint, capsys):
    for engine in ("numpy", "both"):
        with pytest.raises(SystemExit):
            main(["evaluate", "--checkpoint", str(numpy_checkpoint), "--engine", engine,
                  "--device", "cuda"])  # fmt: skip
        assert f"--device: expected auto or cpu with engine {engine}" in capsys.readouterr().err


def test_the_default_run_name_says_which_engine():
    from mnist_challenge.train import run_dir

    assert run_dir(Config(preset="fast")).name == "fast-seed0"  # torch, as before
    assert run_dir(Config(preset="fast", engine="numpy", seed=2)).name == "fast-numpy-seed2"


@needs_mnist
def test_a_damaged_checkpoint_or_another_format_is_named(numpy_checkpoint, tmp_path, capsys):
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(numpy_checkpoint.read_bytes()[:1000])
    other = tmp_path / "v2.pt"
    torch.save({**load_checkpoint(numpy_checkpoint), "format": "mnist-challenge-checkpoint-v2"},
               other)  # fmt: skip
    expected = {truncated: "a zip archive torch.load cannot read (not one torch.save wrote, "
                           "or damaged or truncated)",
                other: "its format is 'mnist-challenge-checkpoint-v2', this version reads "
                       "'mnist-challenge-checkpoint-v1'",
                tmp_path / "missing.pt": f"checkpoint: no file at {tmp_path / 'missing.pt'}"}  # fmt: skip
    for path, message in expected.items():
        with pytest.raises(SystemExit):
            main(["evaluate", "--checkpoint", str(path)])
        err = capsys.readouterr().err
        assert (
            err.count("\n") == 1 and message in err and err.startswith("mnist-challenge evaluate:")
        )


@pytest.mark.parametrize(
    "content, what",
    [
        (b"my notes about the run\n", "torch.save did not write it (checkpoints are zip"),
        ("zip", "a zip archive torch.load cannot read"),
        (b"", "it is empty"),
        ("pickle", "it holds more than tensors and plain data, so it is not loaded"),
        ("tensor", "it is a Tensor without the format marker"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_named_in_one_line(tmp_path, capsys, content, what):
    path = tmp_path / "notes.txt"
    if content == "pickle":
        torch.save({"model": os.environ.__class__}, path)  # a class: not plain data
    elif content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "a zip, not a checkpoint")
    elif content == "tensor":
        torch.save(torch.zeros(3), path)
    else:
        path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--checkpoint", str(path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path} is not a mnist-challenge checkpoint" in err
    assert what in err
    assert "weights_only" not in err and "Traceback" not in err
