"""The benchmark scripts run (tiny sizes) and print a ratio per row. Their figures are not
checked here: speed is measured by running them on a quiet machine, not by timed tests."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
spec = importlib.util.spec_from_file_location("_timing", BENCHMARKS / "_timing.py")
timing = importlib.util.module_from_spec(spec)
spec.loader.exec_module(timing)


def test_compare_alternates_blocks_each_after_an_untimed_step():
    calls: list[str] = []
    timing.compare(lambda: calls.append("s"), lambda: calls.append("t"), 3, block=2, settle=0)
    # 3 timed steps need 2 blocks of 2, each block after one untimed step, alternating
    assert "".join(calls) == "ssstttsssttt"


def test_compare_settles_for_the_given_time():
    calls: list[str] = []
    timing.compare(lambda: calls.append("s"), lambda: calls.append("t"), 1, block=1, settle=0.05)
    assert calls.count("s") > 2 and calls.count("t") > 2  # untimed steps for 0.05 s each


@pytest.mark.parametrize("repeats, block, settle", [(0, 5, 0), (3, 0, 0), (3, 5, -1)])
def test_compare_rejects_bad_counts(repeats, block, settle):
    with pytest.raises(ValueError, match="repeats >= 1, block >= 1 and settle >= 0"):
        timing.compare(lambda: None, lambda: None, repeats, block, settle)


RUNS = [  # script, tiny arguments, the regex of one result row, rows expected
    ("bench_conv.py", "--repeats 1 --block 1 --batch 2",  # scratch, torch, ratio, GEMMs, share
     r"^\d+->\d+ @ \S+ +\d+\.\d\d +\d+\.\d\d +(\d+\.\d\d) +\d+\.\d\d +\d+\.\d\d$", 3),
    ("bench_attention.py", "--reps 1 --block 1 --batch 2 --seq 4 --dim 8 --heads 2",
     r"ratio scratch/torch = (\d+\.\d\d)$", 2),
    ("bench_challenge.py", "--repeats 1 --block 1 --batch 4 --infer 4 --settle 0",  # training, both formats
     r"^torch (?:contiguous|channels_last) +\d+\.\d\d +\d+\.\d\d +(\d+\.\d\d)$", 2),
]  # fmt: skip


@pytest.mark.parametrize("script, args, row, rows", RUNS, ids=[r[0] for r in RUNS])
def test_benchmark_runs_and_prints_a_ratio_per_row(script, args, row, rows):
    out = subprocess.run([sys.executable, str(BENCHMARKS / script), *args.split()], capture_output=True,
                         text=True, timeout=120, check=True).stdout  # fmt: skip
    ratios = re.findall(row, out, re.MULTILINE)
    assert len(ratios) == rows, out
    assert all(float(r) > 0 for r in ratios)


@pytest.mark.skipif(not (Path(os.environ.get("MNIST_ROOT", "data")) / "MNIST" / "raw").is_dir(),
                    reason="the MNIST files are not at $MNIST_ROOT")  # fmt: skip
def test_engine_divergence_prints_a_row_per_step_and_where_each_run_leaves_the_profile():
    args = ["--steps", "3", "--batch", "4", "--every", "1", "--lr", "0.1"]
    out = subprocess.run([sys.executable, str(BENCHMARKS / "engine_divergence.py"), *args],
                         capture_output=True, text=True, timeout=120, check=True).stdout  # fmt: skip
    rows = re.findall(r"^ +(\d) +(\S+) +\S+ +(\S+) +(\S+)$", out, re.MULTILINE)
    assert [int(r[0]) for r in rows] == [1, 2, 3], out
    for _, twin, itself, ratio in rows:  # three steps at lr 0.1: far inside the profile
        assert float(twin) < 1e-2 and float(itself) < 1e-2 and float(ratio) >= 0, out
    assert "numpy leaves the float64 profile against torch: never" in out
