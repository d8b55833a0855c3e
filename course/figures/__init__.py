"""The course's figures drawn by both twins; see registry.py for how to add one.

Importing this package registers every figure (each topic module registers its own).
"""

from course.figures import (  # noqa: F401 - imported to register their figures
    attention,
    basics,
    convolution,
    initialisation,
    optim,
    receptive,
    regularization,
)
from course.figures.registry import FIGURES, FigureSpec, figure

__all__ = ["FIGURES", "FigureSpec", "figure"]
