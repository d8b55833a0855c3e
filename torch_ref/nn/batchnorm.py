"""Twin of scratch/nn/batchnorm.py: ``torch.nn.BatchNorm1d``, ``BatchNorm2d``, ``F.batch_norm``."""

from torch.nn import BatchNorm1d, BatchNorm2d
from torch.nn.functional import batch_norm

__all__ = ["BatchNorm1d", "BatchNorm2d", "batch_norm"]
