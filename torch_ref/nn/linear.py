"""Twin of scratch/nn/linear.py: ``torch.nn.Linear`` itself."""

from torch.nn import Linear
from torch.nn.functional import linear

__all__ = ["Linear", "linear"]
