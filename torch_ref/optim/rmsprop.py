"""Twin of scratch/optim/rmsprop.py: torch's RMSprop."""

from torch.optim import RMSprop

__all__ = ["RMSprop"]
