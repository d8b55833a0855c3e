"""The registry of the course's figures, each drawn by both twins (matplotlib, Agg backend).

A figure is a function returning ``(matplotlib Figure, caption)``, registered with
``@figure(section, title)``; the caption says what the figure shows and what the overlay
proves. A figure whose components are not on this branch yet imports them inside its
function. The notebooks call the functions and show the figures; the site renders the
notebooks (the HTML report that drew this registry into a page is gone).

Add a figure: write the function in the topic's module of this package, decorate it, done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: a notebook brings inline plots back with %matplotlib

import matplotlib.pyplot as plt  # noqa: E402, F401  (the topic modules import it from here, after Agg)

SCRATCH = dict(color="tab:blue", lw=2.2, label="scratch (NumPy)")
TORCH = dict(color="tab:orange", lw=1.6, ls="--", label="torch twin")


@dataclass(frozen=True)
class FigureSpec:
    name: str  # the function's name
    section: str  # one of catalog.SECTIONS
    title: str
    build: Callable  # () -> (Figure, caption)


FIGURES: list[FigureSpec] = []


def figure(section: str, title: str) -> Callable:
    """Register a figure function under its course section."""

    def register(build: Callable) -> Callable:
        FIGURES.append(FigureSpec(build.__name__, section, title, build))
        return build

    return register
