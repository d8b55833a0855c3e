"""A convolution's blocks shared out to threads, with BLAS held to one thread meanwhile.

Left to itself, OpenBLAS splits each block's small product over its
threads, and everything else (the copies, the sums, the layout changes) runs on one core:
with 2 threads the convolution ran no faster than with 1. So while a convolution runs,
BLAS is held to one thread and the *blocks* (and the images of each layout change) are
shared out to as many Python threads as BLAS had; NumPy's copies and products release
the GIL. OPENBLAS_NUM_THREADS=1 keeps everything on the calling thread. The limit is
process-wide: a convolution started from another user thread while one runs sees BLAS at
one thread and runs its blocks serially (slower, never wrong); the last convolution to
finish puts BLAS back as it was (`one_blas_thread`).

Used by scratch/nn/_flat_conv.py, whose blocks it shares out; no torch twin of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
from threadpoolctl import ThreadpoolController

_BLAS = ThreadpoolController().select(user_api="blas")
_POOLS: dict[int, ThreadPoolExecutor] = {}  # n threads: the caller and a pool of n - 1
_POOL_NAME = "flat-conv"
_LIMIT_LOCK = threading.Lock()
_holders = 0  # convolutions inside one_blas_thread now
_limiter: Any = None  # threadpoolctl's limiter: set by the first of them, undone by the last
T = TypeVar("T")
U = TypeVar("U")


def threads() -> int:
    """How many threads NumPy's BLAS is set to use now (1 inside another convolution)."""
    return max([1] + [lib.num_threads for lib in _BLAS.lib_controllers])


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS held to one thread, and put back as it was when the last holder leaves.

    Counted, because two convolutions on two user threads can overlap: with a plain
    ``_BLAS.limit`` each, the second records the first's limit (1) as the setting to put
    back, and if it leaves last, BLAS stays at one thread for the rest of the process."""
    global _holders, _limiter
    with _LIMIT_LOCK:
        if _holders == 0:
            _limiter = _BLAS.limit(limits=1)  # remembers the setting it replaces
        _holders += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _holders -= 1
            if _holders == 0:
                _limiter.restore_original_limits()
                _limiter = None


def run(work: Callable[[T], U], items: Sequence[T], n: int) -> list[U]:
    """[work(item) for item in items], one item per thread: the calling thread and n - 1
    pooled ones. On a pooled thread itself, serially: a pool waiting for its own threads
    would wait for ever."""
    assert len(items) == n, "one item per thread"
    if n == 1 or threading.current_thread().name.startswith(_POOL_NAME):
        return [work(item) for item in items]
    # The calling thread takes the first item itself: one pooled thread fewer to wake, which
    # took 6.61 -> 6.43 ms off 16->32's forward + backward on 2 threads, 4.45 -> 4.22 off 1->16.
    pool = _POOLS.get(n) or _POOLS.setdefault(n, ThreadPoolExecutor(n - 1, _POOL_NAME))
    futures = [pool.submit(work, item) for item in items[1:]]
    try:
        first = work(items[0])
    finally:
        wait(futures)  # every item is done (or failed) before this returns or raises
    return [first] + [f.result() for f in futures]  # in order; an item's error re-raised


def copy_images(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """dst[...] = src with the images (axis 0) split over threads() threads; returns dst."""
    n = max(1, min(threads(), len(dst)))
    bounds = [len(dst) * i // n for i in range(n + 1)]

    def work(i: int) -> None:
        dst[bounds[i] : bounds[i + 1]] = src[bounds[i] : bounds[i + 1]]

    run(work, range(n), n)
    return dst


def share_out(part_work: Callable[[list[slice]], T], blocks: list[slice]) -> list[T]:
    """[part_work(part) for each thread's part of the blocks]: thread t of n = threads()
    takes blocks t, t + n, t + 2n, ... (one task per thread, thread 0 the calling one: a
    task per block cost more than the copies it shared out), while BLAS is held to one
    thread."""
    n = min(threads(), len(blocks))
    if n <= 1:
        return [part_work(blocks)]
    with one_blas_thread():
        return run(part_work, [blocks[t::n] for t in range(n)], n)


def map_blocks(work: Callable[[slice], None], blocks: list[slice]) -> None:
    """work(block) for every block, shared out to threads() threads (`share_out`)."""
    share_out(lambda part: [work(block) for block in part], blocks)


def sum_blocks(work: Callable[[slice], np.ndarray], blocks: list[slice]) -> np.ndarray:
    """Σ work(block) over the blocks, each thread adding up its own: n partial sums are held
    at a time, not one per block (thousands, for large images in blocks of grid rows)."""

    def part_sum(part: list[slice]) -> np.ndarray:
        total = work(part[0])  # a fresh array from np.matmul: safe to add into
        for block in part[1:]:
            total += work(block)
        return total

    return sum(share_out(part_sum, blocks))
