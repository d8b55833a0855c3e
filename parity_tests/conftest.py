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

from parity_check.core import harness  # noqa: E402

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


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "spread: a slow test (a course notebook) that -n N should not run back to back"
    )
    config.addinivalue_line(
        "markers", "after_notebooks: runs right after the last notebook, not in the run's tail"
    )


def pytest_collection_modifyitems(session, config, items):
    """Deal the ``spread`` tests out evenly over the first three quarters of the run.

    pytest-xdist's load scheduler hands each worker runs of *consecutive* tests, so the
    notebooks, collected side by side, would all land on one worker and run one after the
    other. Interleaved with the rest, each worker gets its share, and none is left for the
    tail of the run. The order is a pure function of the collection, as xdist requires.

    The ``after_notebooks`` tests (the site: its build reads every notebook's cached run)
    follow the last notebook, so that one worker builds the site while the other runs the
    last quarter of the tests, instead of building it alone at the end.
    """
    slow = [item for item in items if item.get_closest_marker("spread")]
    if not slow or len(slow) == len(items):
        return
    rest = [item for item in items if not item.get_closest_marker("spread")]
    span = len(rest) * 3 // 4
    positions = [round((k + 0.5) * span / len(slow)) for k in range(len(slow))]
    for offset, (position, item) in enumerate(zip(positions, slow, strict=True)):
        rest.insert(position + offset, item)
    late = [item for item in rest if item.get_closest_marker("after_notebooks")]
    rest = [item for item in rest if not item.get_closest_marker("after_notebooks")]
    last = max(i for i, item in enumerate(rest) if item.get_closest_marker("spread"))
    items[:] = rest[: last + 1] + late + rest[last + 1 :]
