"""A fixture for parity tests that run torch on tiny tensors (not a test module).

Use: ``from parity_tests._torch_threads import one_torch_thread  # noqa: F401`` in a test
module makes every test there run torch with a single intra-op thread, restored afterwards.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """On a loaded 2-core machine torch's 2 intra-op threads spend more time waiting on each
    other than computing on tensors this small (measured up to 20x slower), so use one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
