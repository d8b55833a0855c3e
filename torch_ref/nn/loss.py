"""Twin of scratch/nn/loss.py: torch's losses, and torchvision's focal loss as a Module."""

from __future__ import annotations

import torch
from torch.nn import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "FocalLoss", "MSELoss"]


class FocalLoss(torch.nn.Module):
    """``torchvision.ops.sigmoid_focal_loss`` with the Module defaults of scratch's FocalLoss."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean") -> None:
        super().__init__()
        self.alpha, self.gamma, self.reduction = alpha, gamma, reduction

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # imported here: torchvision.ops pulls in torch._dynamo (about a second), which no
        # other loss needs (parity-check imports this module for every component)
        from torchvision.ops import sigmoid_focal_loss

        return sigmoid_focal_loss(input, target, self.alpha, self.gamma, self.reduction)
