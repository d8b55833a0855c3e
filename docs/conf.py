"""Sphinx configuration of the project's site: the manual, the course, one page per component.

Build it (offline, warnings as errors):  python -m sphinx -W -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

import sources  # noqa: E402  (the one module that imports the project)

project = "Deep learning, written twice"
author = "the parity-suite authors"
copyright = "the parity-suite authors"

extensions = [
    "myst_nb",
    "sphinx_design",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "mathjax_local",  # docs/_ext/mathjax_local.py: MathJax 3 from _static, not the network
    "components",  # docs/_ext/components.py: one page per catalog entry
    "api_pages",  # docs/_ext/api_pages.py: the API reference's automodule pages
]

exclude_patterns = ["_build", "_ext", "records-run.md", "**/.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 4

# The course: executed through jupyter-cache, in the folder whose name hashes the code the
# notebooks import (course/nbcache.py); the suite's test_course.py fills the same one.
nb_execution_mode = "cache"
nb_execution_cache_path = str(sources.nbcache.cache_dir())
nb_execution_timeout = sources.nbcache.CELL_TIMEOUT_S
nb_execution_raise_on_error = True
nb_execution_show_tb = True
os.environ.update(sources.nbcache.kernel_environment())  # a kernel started by the build

autodoc_default_options = {"members": True, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "pydata_sphinx_theme"
html_title = "Deep learning, written twice"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
# A page with no subpages gets no left column (it would say "Section Navigation" over nothing).
html_sidebars = {
    page: [] for page in ("index", "contract", "check", "mnist", "benchmarks", "records")
}
html_sidebars["**"] = ["sidebar-nav-bs"]
html_copy_source = False
html_show_sourcelink = False
