"""Deep learning from scratch, in NumPy only: every component has a hand-written backward.

Twin package: ``torch_ref`` (the same components built with PyTorch). Proof: ``parity_tests``.
Nothing under ``scratch/`` may import torch; a test enforces it.
"""

__all__ = ["functional", "nn"]

from scratch import functional, nn  # noqa: E402
