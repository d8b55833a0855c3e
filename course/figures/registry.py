"""The registry of the course's figures, each drawn by both twins (matplotlib, Agg backend).

A figure is a function returning ``(matplotlib Figure, caption)``, registered with
``@figure(section, title)``; the caption says what the figure shows and what the overlay
proves. A figure whose components are not on this branch yet imports them inside its
function: the ImportError becomes a visible "not available yet" note, not a broken report.
``stub(section, title, todo)`` reserves a place for a figure whose API is still unknown.

Add a figure: write the function in the topic's module of this package, decorate it, done.
"""

from __future__ import annotations

import base64
import io
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: the figures become PNGs inside the page

import matplotlib.pyplot as plt  # noqa: E402

SCRATCH = dict(color="tab:blue", lw=2.2, label="scratch (NumPy)")
TORCH = dict(color="tab:orange", lw=1.6, ls="--", label="torch twin")


@dataclass(frozen=True)
class FigureSpec:
    name: str  # the function's name: the figure's id in the page
    section: str  # one of catalog.SECTIONS
    title: str
    build: Callable | None  # () -> (Figure, caption); None for a stub
    cheap: bool = False  # also drawn by `--figures cheap` (the browser test): keep it under ~1 s
    todo: str = ""  # for a stub: what the figure will show, and what it waits for


FIGURES: list[FigureSpec] = []


def figure(section: str, title: str, *, cheap: bool = False) -> Callable:
    """Register a figure function under its course section."""

    def register(build: Callable) -> Callable:
        FIGURES.append(FigureSpec(build.__name__, section, title, build, cheap))
        return build

    return register


def stub(name: str, section: str, title: str, todo: str) -> None:
    """Reserve a figure whose components (or their API) are not settled on this branch."""
    FIGURES.append(FigureSpec(name, section, title, None, todo=todo))


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def render(spec: FigureSpec, *, skip: bool = False) -> dict:
    """Draw one figure: status ok / unavailable / stub / skipped / error, caption, PNG base64."""
    out = dict(name=spec.name, section=spec.section, title=spec.title, png="", seconds=0.0)
    if spec.build is None:
        return out | dict(status="stub", caption=f"Not available yet (stub): {spec.todo}")
    if skip:
        return out | dict(status="skipped", caption="Not drawn in this run (run with --figures).")
    start = time.perf_counter()
    try:
        fig, caption = spec.build()
        out |= dict(status="ok", caption=caption, png=_png(fig))
    except ImportError as exc:  # the component lives on a branch not merged yet
        out |= dict(status="unavailable", caption=f"Not available yet: {exc}")
    except Exception as exc:  # noqa: BLE001 - one broken figure must not sink the report
        plt.close("all")
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        out |= dict(status="error", caption=f"This figure failed: {last}")
    out["seconds"] = round(time.perf_counter() - start, 2)
    return out


def render_all(mode: str = "all") -> list[dict]:
    """Every registered figure, in registration order; ``mode='cheap'`` skips the slow ones."""
    return [render(spec, skip=mode == "cheap" and not spec.cheap) for spec in FIGURES]
