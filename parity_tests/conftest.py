"""Suite-wide settings: Hypothesis profiles and the dump of comparison records.

Hypothesis profiles (``HYPOTHESIS_PROFILE`` environment variable):
- ``ci`` (default): few, derandomized examples, so the whole suite runs in under 2 minutes
  and never flakes;
- ``thorough``: many random examples, for a deeper search before a release.
"""

from __future__ import annotations

import os

# Before NumPy is imported: the parity cases are small, and on a busy 2-core machine
# OpenBLAS's threads spin (a (64x256)@(256x256) matmul: 47 ms threaded, 0.9 ms on one).
# pytest-xdist's two workers keep both cores busy instead.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from parity_tests import harness  # noqa: E402

# Parity cases use tiny tensors: torch's intra-op threads only add synchronisation (on a
# busy 2-core machine, 10x slower for the 10,000-step XOR run), so the suite runs torch on one.
torch.set_num_threads(1)

settings.register_profile(
    "ci", max_examples=12, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
settings.register_profile(
    "thorough", max_examples=400, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_sessionfinish(session, exitstatus):
    path = harness.record_path()
    if path:
        harness.dump_records(path)
