"""Side-by-side timing shared by the benchmarks: alternating blocks, first step untimed.

The two twins run in alternating blocks of ``block`` steps (scratch ×5, torch ×5, scratch ×5,
...) so that a load spike from other processes hits both. The first step of each block is
not timed: the other library's idle worker threads are still spinning then (OpenBLAS's
pool and torch's OpenMP pool both spin before they sleep, and on 2 cores each steals the
other's time; interleaving single steps made torch's 2-thread convolution look up to 2x
slower than it is).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed_block(steps: int, step: Callable[[], object]) -> list[float]:
    """Run step() `steps` times; the times of all but the first."""
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times[1:]


def compare(scratch: Callable[[], object], torch: Callable[[], object], repeats: int,
            block: int = 5) -> tuple[float, float]:  # fmt: skip
    """Median seconds of scratch() and torch() over at least `repeats` timed steps each."""
    if repeats < 1 or block < 2:
        raise ValueError(f"expected repeats >= 1 and block >= 2, got {repeats} and {block}")
    s_times: list[float] = []
    t_times: list[float] = []
    while len(s_times) < repeats:
        s_times += timed_block(block, scratch)
        t_times += timed_block(block, torch)
    return statistics.median(s_times), statistics.median(t_times)
