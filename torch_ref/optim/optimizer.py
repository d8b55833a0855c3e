"""Twin of scratch/optim/optimizer.py: torch's Optimizer base class."""

from torch.optim import Optimizer

__all__ = ["Optimizer"]
