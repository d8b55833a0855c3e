"""Twin of scratch/nn/pooling.py: torch's own pooling layers and Flatten."""

from torch.nn import AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d
from torch.nn.functional import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "Flatten", "MaxPool2d", "adaptive_avg_pool2d",
           "avg_pool2d", "max_pool2d"]  # fmt: skip
