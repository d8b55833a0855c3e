"""A fixture that runs torch single-threaded for the duration of a test module.

On the shared 2-core CI machine torch's intra-op thread pool makes tiny ops slow: one
``BatchNorm2d`` forward on a (4, 3, 4, 4) tensor measured 64 ms with 2 threads and 0.07 ms with
1 (threads spin waiting for each other). The parity tests use small tensors, so one thread is
both faster and closer to NumPy's sequential reductions. The previous setting is restored.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module", autouse=False)
def single_threaded_torch():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
