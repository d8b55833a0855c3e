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

from parity_tests import nbcache  # noqa: E402
from parity_tests.catalog import CATALOG, SECTIONS, Entry  # noqa: E402
from parity_tests.check.mistakes import mistakes_for  # noqa: E402
from parity_tests.check.specs import SPECS  # noqa: E402
from parity_tests.records import load as load_records  # noqa: E402
from parity_tests.report_data import HIGHLIGHT, build_entries, catalog_test_name  # noqa: E402
from parity_tests.report_sources import Source, source_of  # noqa: E402

# What the API reference documents: the packages whose docstrings the site renders.
API_PACKAGES = ("scratch", "torch_ref", "parity_tests.check", "mnist_challenge")

__all__ = [
    "API_PACKAGES", "CATALOG", "HIGHLIGHT", "ROOT", "SECTIONS", "SPECS", "Entry", "Source",
    "build_entries", "catalog_test_name", "load_records", "mistakes_for", "nbcache", "source_of",
]  # fmt: skip
