"""The course's notebooks, executed once per change of the notebook or of any code it imports.

Both the suite (``test_course.py``) and the site build (MyST-NB, ``nb_execution_mode =
"cache"``) execute the notebooks through one jupyter-cache folder. jupyter-cache keys an
execution by the notebook's code cells and kernel; a notebook also depends on the code it
imports, so the folder's name carries a hash of that code (``IMPORTED``) and of the
installed numpy and torch. A changed twin gives a new folder, and every notebook runs again.

``execute(path)`` takes a per-notebook file lock, so two pytest workers (or a worker and the
site build) never run the same notebook at once; the second finds the first one's result.
"""

from __future__ import annotations

import hashlib
import os
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
# Every project package a notebook imports (test_course.py checks the notebooks against it).
IMPORTED = ("scratch", "torch_ref", "parity_check", "course", "mnist_challenge")
# The suite's own tests are never imported by a notebook: editing one keeps the cache.
NOT_IMPORTED = ("test_*.py", "conftest.py")
DISTRIBUTIONS = ("numpy", "torch", "torchvision", "matplotlib")
CELL_TIMEOUT_S = 300  # per cell; a notebook is meant to take seconds
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")  # fmt: skip


class NotebookFailed(Exception):
    """A cell failed: ``notebook`` holds the outputs up to it, ``error`` nbclient's exception."""

    def __init__(self, path: Path, notebook, error: Exception):
        super().__init__(f"{path.name}: {error}")
        self.path, self.notebook, self.error = path, notebook, error


def imported_sources() -> list[Path]:
    """The .py files of ``IMPORTED``, sorted, without the suite's tests."""
    files = []
    for package in IMPORTED:
        for path in (ROOT / package).rglob("*.py"):
            if not any(path.match(pattern) for pattern in NOT_IMPORTED):
                files.append(path)
    return sorted(files)


def sources_hash() -> str:
    """sha256 (16 hex digits) of every imported source's path and bytes, and the versions."""
    digest = hashlib.sha256()
    for path in imported_sources():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for dist in DISTRIBUTIONS:
        digest.update(f"{dist}=={version(dist)}\0".encode())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """The jupyter-cache folder of the current code: ``$PARITY_NB_CACHE`` (default
    ``.cache/notebooks`` in the repository) / the sources' hash."""
    base = Path(os.environ.get("PARITY_NB_CACHE", ROOT / ".cache" / "notebooks"))
    return base / sources_hash()


def kernel_environment() -> dict[str, str]:
    """What the kernel needs: the project importable, figures without a display, one thread
    each (the pytest workers already keep the cores busy)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path, "MPLBACKEND": "Agg"} | dict.fromkeys(ONE_THREAD, "1")


def execute(path: Path, cache: Path | None = None):
    """The notebook at ``path`` with its outputs, from the cache or executed now and cached.

    Returns ``(notebook, seconds)``: seconds is None when the cache already held it.
    Raises ``NotebookFailed`` when a cell fails or times out (nothing is cached then). The
    kernel runs in the notebook's folder, as a learner's ``jupyter lab course/``.
    """
    import nbformat
    from filelock import FileLock
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    folder = cache or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    database = FileLock(str(folder / "db.lock"))  # one writer of jupyter-cache's SQLite at a time
    with FileLock(str(folder / f"{path.stem}.lock")):
        with database:
            store = get_cache(str(folder))
            try:
                store.match_cache_notebook(nb)
                return store.merge_match_into_notebook(nb)[1], None
            except KeyError:
                pass
        saved = {k: os.environ.get(k) for k in kernel_environment()}
        os.environ.update(kernel_environment())  # the kernel inherits this process's environment
        try:
            client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, startup_timeout=120,
                                    kernel_name="python3", record_timing=False,
                                    resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
            start = time.perf_counter()
            try:
                client.execute()
            except (CellExecutionError, CellTimeoutError) as exc:
                raise NotebookFailed(path, nb, exc) from exc
            seconds = time.perf_counter() - start
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        with database:
            store.cache_notebook_bundle(
                CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True,
            )  # fmt: skip
        return nb, seconds
