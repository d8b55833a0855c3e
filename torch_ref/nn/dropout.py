"""Twin of scratch/nn/dropout.py: ``torch.nn.Dropout`` and ``F.dropout`` themselves.

``keep_mask_from`` recovers the mask torch drew from its input and output (an element was
kept iff its output is non-zero, for an input with no zeros), so scratch can be fed it.
"""

import torch
from torch.nn import Dropout
from torch.nn.functional import dropout

__all__ = ["Dropout", "dropout", "keep_mask_from"]


def keep_mask_from(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """The boolean keep-mask behind ``out = dropout(x)``; ``x`` must have no zeros."""
    if bool((x == 0).any()):
        raise ValueError("keep_mask_from needs an input without zeros to tell dropped from kept")
    return out != 0
