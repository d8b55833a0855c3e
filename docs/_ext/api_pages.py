"""The API reference: one page per documented package, an ``automodule`` per public module.

Written into docs/api/ when the build starts, from ``sources.API_PACKAGES``; a module whose
name starts with "_" is left out (its public names are documented where they are defined
only when that is a public module). ``ignore-module-all`` (conf.py) keeps a package's
re-exports from being documented twice.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import sources
from components import write_if_changed
from sphinx.application import Sphinx

OUT = "api"


def modules(package: str) -> list[str]:
    """The package and its public submodules, depth first, by name."""
    pkg = importlib.import_module(package)
    found = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return sorted(found)


def page(package: str) -> str:
    blocks = [f"# `{package}`", ""]
    for name in modules(package):
        blocks += [f"## `{name}`", "", "```{eval-rst}", f".. automodule:: {name}", "```", ""]
    return "\n".join(blocks)


def generate(app: Sphinx) -> None:
    out = Path(app.srcdir) / OUT
    out.mkdir(exist_ok=True)
    for package in sources.API_PACKAGES:
        write_if_changed(out / f"{package}.md", page(package))
    toc = "\n".join(sources.API_PACKAGES)
    write_if_changed(out / "index.md", "# API\n\nThe API reference: every public module's docstrings, "
                     f"by package.\n\n```{{toctree}}\n:maxdepth: 1\n\n{toc}\n```\n")  # fmt: skip


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
