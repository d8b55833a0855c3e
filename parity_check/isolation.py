"""What a check changes in the process while it runs, and gives back when it ends."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """torch on one thread, and torch's and NumPy's global random states as they were after.

    The cases are tiny: torch's intra-op threads only add synchronisation (a 4×4 convolution
    took 50 ms on two busy cores, 0.1 ms on one; XOR's 2,000 autograd steps 0.5 s against
    14 s). The specs seed torch's global generator to draw torch's initial weights, and a
    user's code may draw from NumPy's: a notebook's later draws must not change because a
    check ran in between."""
    threads = torch.get_num_threads()
    numpy_state = np.random.get_state()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        torch.set_num_threads(threads)
        np.random.set_state(numpy_state)
