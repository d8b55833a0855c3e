"""Optimizers and learning-rate schedules, named and behaving like ``torch.optim``.

Twin: ``torch.optim`` (torch_ref/optim/). Proof: parity_tests/test_optim.py,
test_lr_scheduler.py and test_trajectories.py (whole trajectories, float64).
"""

# submodules reachable as attributes, like torch.optim.lr_scheduler
from scratch.optim import lr_scheduler, seed_rules  # noqa: F401
from scratch.optim.adam import Adam, AdamW
from scratch.optim.optimizer import Optimizer
from scratch.optim.rmsprop import RMSprop
from scratch.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop"]
