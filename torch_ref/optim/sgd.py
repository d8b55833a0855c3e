"""Twin of scratch/optim/sgd.py: torch's SGD."""

from torch.optim import SGD

__all__ = ["SGD"]
