"""The one place the site imports the project from: the catalog, the records, the checker's
mistakes and specs, the sources shown side by side, the notebook cache.

Keep every project import of ``docs/`` here, so that moving a package means editing this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script (make_records.py) or from conf.py
    sys.path.insert(0, str(ROOT))

from course import nbcache  # noqa: E402
from parity_check.core.catalog import CATALOG, SECTIONS, Entry  # noqa: E402
from parity_check.core.records import load as load_records  # noqa: E402
from parity_check.core.report_data import HIGHLIGHT, build_entries, catalog_test_name  # noqa: E402
from parity_check.core.report_sources import Source, source_of  # noqa: E402
from parity_check.mistakes import mistakes_for  # noqa: E402
from parity_check.specs import SPECS  # noqa: E402

SHORT_CLASS = 12  # a class this short mostly names its base: show the base's source too


def short_subclass_base(dotted: str) -> str | None:
    """The dotted name of the class ``dotted`` derives from, when ``dotted`` is a scratch or
    torch_ref class of a dozen lines or fewer whose first base (not ``Module``) is its own
    package's (scratch's ``BatchNorm2d`` is three lines on ``_BatchNorm``); else None."""
    import inspect

    from parity_check.core.report_sources import resolve

    try:
        obj = resolve(dotted)
    except (ImportError, AttributeError):
        return None
    if not inspect.isclass(obj) or source_of(dotted).lines > SHORT_CLASS or not obj.__bases__:
        return None
    base, top = obj.__bases__[0], dotted.split(".")[0]
    # The project's own classes only, and not the generic Module every layer derives from.
    if top not in ("scratch", "torch_ref") or base.__module__.split(".")[0] != top:
        return None
    if base.__name__ == "Module":
        return None
    return f"{base.__module__}.{base.__qualname__}"


# What the API reference documents: the packages whose docstrings the site renders.
API_PACKAGES = ("scratch", "torch_ref", "parity_check", "mnist_challenge")

__all__ = [
    "API_PACKAGES", "CATALOG", "HIGHLIGHT", "ROOT", "SECTIONS", "SPECS", "Entry", "Source",
    "build_entries", "catalog_test_name", "load_records", "mistakes_for", "nbcache", "source_of",
]  # fmt: skip
