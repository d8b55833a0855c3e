"""The course's notebooks (course/*.ipynb): committed clean, executed top to bottom, linked.

- Every notebook is stored without outputs and without execution counts (a committed output
  goes stale the moment a twin changes; the proof is re-running it, not a saved picture).
- Every notebook runs top to bottom in a fresh ``python3`` kernel (nbclient) in course/, as
  a learner's ``jupyter lab course/`` would, offline; the first failing cell is reported with
  its notebook, its index, its source and its error. One test per notebook, marked
  ``spread`` so that conftest.py deals them out among the other tests and ``pytest -n 2``
  gives each worker its share; each kernel runs BLAS and torch on one thread (the two
  workers already keep two cores busy).
- The README's study guide links every notebook, and every notebook it links exists.

The notebooks are found when the tests are collected: a new one is picked up with no edit here.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
NOTEBOOKS = sorted(COURSE.glob("*.ipynb"))
NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")  # NN_slug.ipynb, NN in the course's order
CELL_TIMEOUT_S = 300  # per cell; a notebook is meant to take seconds (see README's timings)
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")  # fmt: skip
ANSI = re.compile(r"\x1b\[[0-9;]*m")

by_name = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])


def test_the_course_has_notebooks():
    assert NOTEBOOKS, f"no notebook in {COURSE}"
    misnamed = [p.name for p in NOTEBOOKS if not NAME.match(p.name)]
    assert not misnamed, f"course notebooks are named NN_slug.ipynb: {misnamed}"


def _first_line(cell) -> str:
    return (cell.source.strip().splitlines() or [""])[0][:80]


@by_name
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        found = ["outputs"] * bool(cell.outputs) + ["an execution count"] * (
            cell.execution_count is not None
        )
        if found:
            dirty.append(f"cell {i} ({_first_line(cell)!r}): {' and '.join(found)}")
    assert not dirty, (
        f"{path.name} holds results of a run; clear them before committing "
        f"(jupyter nbconvert --clear-output --inplace course/{path.name}):\n" + "\n".join(dirty)
    )


def _failed_cell(nb) -> tuple[int, object, str] | None:
    """(index, cell, error text) of the first cell whose outputs hold an error."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                trace = ANSI.sub("", "\n".join(out.get("traceback", [])))
                return i, cell, trace or f"{out.get('ename')}: {out.get('evalue')}"
    return None


@pytest.mark.spread  # conftest interleaves the notebooks with the other tests: -n N splits them
@by_name
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    for var in ONE_THREAD:
        monkeypatch.setenv(var, "1")  # the kernel inherits this process's environment
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))  # fmt: skip
    monkeypatch.setenv("MPLBACKEND", "Agg")  # figures render inline without a display
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, startup_timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(COURSE)}})  # fmt: skip
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        found = _failed_cell(nb)
        if found is None:  # a timeout leaves no error output: nbclient's message says which cell
            pytest.fail(f"{path.name}: {ANSI.sub('', str(exc))}", pytrace=False)
        index, cell, trace = found
        pytest.fail(f"{path.name}: cell {index} failed.\n--- source ---\n{cell.source}\n"
                    f"--- error ---\n{trace}", pytrace=False)  # fmt: skip
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")


def study_guide_links() -> list[str]:
    """The course/*.ipynb links in the README's study-guide table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Study guide.*?$(.*?)^#", readme, re.M | re.S)
    assert section, "README.md has no '## Study guide' section"
    rows = [line for line in section.group(1).splitlines() if line.startswith("|")]
    return re.findall(r"\]\((course/[^)\s]+\.ipynb)\)", "\n".join(rows))


def test_study_guide_links_every_notebook():
    links = study_guide_links()
    missing = sorted({p.name for p in NOTEBOOKS} - {Path(link).name for link in links})
    assert not missing, f"notebooks the README's study guide does not link: {missing}"
    broken = sorted({link for link in links if not (ROOT / link).is_file()})
    assert not broken, f"the study guide links notebooks that do not exist: {broken}"
