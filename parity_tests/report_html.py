"""The parity report's page: one static, self-contained HTML file (inline CSS, PNG data URIs).

The page is the Jinja2 template ``templates/report.html.j2`` (autoescaped); this module
hands it the report and the few helpers it calls. Laid out in the course's order: a summary
table, then per section its figures and its catalog entries (sources side by side, the errors
of every compared tensor, the notes on where the course's formula and PyTorch's differ). A
small script writes, on load, how many images decoded into ``<body data-images-*>``: the
browser test reads it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from parity_tests.report_data import HIGHLIGHT
from parity_tests.report_sources import highlight, highlight_css, source_of

COLLAPSE_LINES = 25  # sources longer than this start folded in a <details>
FOLD_ROWS = 12  # a comparison table longer than this sits in a <details open>
DTYPES = ("float64", "float32")
TEMPLATE = "report.html.j2"


def anchor(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def level(headroom: float | None) -> str:
    """CSS class of a headroom: fail above the tolerance, warn above HIGHLIGHT of it."""
    if headroom is None:
        return ""
    return "fail" if headroom > 1 else "warn" if headroom > HIGHLIGHT else "ok"


def worst_at(e: dict) -> str:
    """The compared tensor closest to its tolerance, in whichever dtype is closer."""
    f64, f32 = e["worst_float64"], e["worst_float32"]
    if f32 is not None and (f64 is None or f32 > f64):
        return f"{e['worst_float32_at']} (float32)"
    return f"{e['worst_float64_at']} (float64)" if f64 is not None else ""


@cache
def _highlighted(dotted: str) -> str:
    return highlight(source_of(dotted))


def highlighted(dotted: str) -> Markup:
    """The source of ``dotted`` as pygments' HTML: the one fragment the template trusts."""
    return Markup(_highlighted(dotted))


def warm_sources(names: Iterable[str]) -> None:
    """Look up and highlight sources ahead (the report does it while pytest runs)."""
    for name in names:
        _highlighted(name)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("parity_tests", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["anchor"] = anchor
    env.globals |= dict(level=level, worst_at=worst_at, source_of=source_of,
                        highlighted=highlighted, dtypes=DTYPES, highlight=HIGHLIGHT,
                        collapse_lines=COLLAPSE_LINES, fold_rows=FOLD_ROWS)  # fmt: skip
    return env


def page(report: dict, sections: tuple[str, ...]) -> str:
    """The whole page for ``report`` (what report.build_report returns)."""
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            run=report["run"],
            entries=report["entries"],
            figures=report.get("figures", []),
            sections=sections,
            highlight_css=Markup(highlight_css()),
        )
    )
