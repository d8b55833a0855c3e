"""Torch twins of ``scratch.optim``: torch's own optimizers, re-exported under the same names."""

from torch.optim import SGD, Adam, AdamW, Optimizer, RMSprop

from torch_ref.optim import lr_scheduler

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
