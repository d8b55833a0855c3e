"""Side-by-side timing shared by the benchmarks: alternating blocks, each after a settling time.

The two twins run in alternating blocks of ``block`` timed steps (scratch ×5, torch ×5,
scratch ×5, ...) so that a load spike from other processes hits both. Before each block,
untimed steps run for ``settle`` seconds (at least one step): the other library's idle
worker threads are still spinning then. OpenBLAS's workers spin for 2^28 cycles (about
0.1 s) before they sleep, and torch's OpenMP pool spins too; on 2 cores each steals the
other's time. Interleaving single steps made torch's 2-thread convolution look up to 2x
slower than it is alone.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

SETTLE = 0.25  # seconds: more than OpenBLAS's 2^28-cycle spin at any clock above 1.1 GHz


def set_blas_threads(threads: int) -> None:
    """Hold OpenBLAS (and OpenMP, MKL) to `threads` threads; 0 leaves their defaults. They
    read these variables once, when NumPy's BLAS loads: call this before importing NumPy."""
    if threads:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)


def timed_block(steps: int, step: Callable[[], object], settle: float = SETTLE) -> list[float]:
    """Run step() untimed for `settle` seconds (at least once), then `steps` timed times."""
    start = time.perf_counter()
    step()
    while time.perf_counter() - start < settle:
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def compare(scratch: Callable[[], object], torch: Callable[[], object], repeats: int,
            block: int = 5, settle: float = SETTLE) -> tuple[float, float]:  # fmt: skip
    """Median seconds of scratch() and torch() over at least `repeats` timed steps each."""
    if repeats < 1 or block < 1 or settle < 0:
        raise ValueError(
            f"expected repeats >= 1, block >= 1 and settle >= 0, got {repeats}, {block}, {settle}"
        )
    s_times: list[float] = []
    t_times: list[float] = []
    while len(s_times) < repeats:
        s_times += timed_block(block, scratch, settle)
        t_times += timed_block(block, torch, settle)
    return statistics.median(s_times), statistics.median(t_times)
