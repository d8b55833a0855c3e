"""Twin of scratch/optim/adam.py: torch's Adam and AdamW."""

from torch.optim import Adam, AdamW

__all__ = ["Adam", "AdamW"]
