"""MathJax 3 from the site's own _static/mathjax: no script from the network.

The files are those the ``sphinx-mathjax-offline`` package ships; its own extension declares
nothing about parallel builds (so ``-j`` warns, and ``-W`` fails), hence this equivalent.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.fileutil import copy_asset

PACKAGE = "sphinx-mathjax-offline"  # its import name has hyphens: found by spec, not import


def mathjax_files() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{PACKAGE} is not installed (pip install -e '.[dev]')")
    return Path(spec.origin).parent / "static" / "mathjax"


def copy_mathjax(app: Sphinx, exc: Exception | None) -> None:
    if exc is None and app.builder.format == "html":
        copy_asset(str(mathjax_files()), str(Path(app.outdir) / "_static" / "mathjax"))


def setup(app: Sphinx) -> dict:
    app.config.mathjax_path = "mathjax/tex-chtml.js"
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
