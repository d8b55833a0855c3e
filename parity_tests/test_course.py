"""The course's notebooks (course/*.ipynb): committed clean, executed top to bottom, linked.

- Every notebook is stored without outputs and without execution counts (a committed output
  goes stale the moment a twin changes; the proof is re-running it, not a saved picture).
- Every notebook runs top to bottom in a fresh ``python3`` kernel (nbclient) in course/, as
  a learner's ``jupyter lab course/`` would, offline; the first failing cell is reported with
  its notebook, its index, its source and its error. One test per notebook, marked
  ``spread`` so that conftest.py deals them out among the other tests and ``pytest -n 2``
  gives each worker its share; each kernel runs BLAS and torch on one thread (the two
  workers already keep two cores busy).
- It runs through ``nbcache`` (jupyter-cache, keyed by the notebook and the hash of every
  source it imports), which the site's build reads: a notebook runs once per change of it or
  of the code under it, never twice in one run of the suite.
- The site's study guide (docs/course.md) links every notebook, and every notebook it links
  exists.

The notebooks are found when the tests are collected: a new one is picked up with no edit here.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course import nbcache

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
NOTEBOOKS = sorted(COURSE.glob("*.ipynb"))
NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")  # NN_slug.ipynb, NN in the course's order
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
def test_notebook_runs_top_to_bottom(path):
    """Executed now, or found in the cache of this very code (nbcache: the site reuses it)."""
    try:
        _, seconds = nbcache.execute(path)
    except nbcache.NotebookFailed as failed:
        found = _failed_cell(failed.notebook)
        if found is None:  # a timeout leaves no error output: nbclient's message says which cell
            pytest.fail(f"{path.name}: {ANSI.sub('', str(failed.error))}", pytrace=False)
        index, cell, trace = found
        pytest.fail(f"{path.name}: cell {index} failed.\n--- source ---\n{cell.source}\n"
                    f"--- error ---\n{trace}", pytrace=False)  # fmt: skip
    print(f"{path.name}: " + ("cached" if seconds is None else f"{seconds:.1f} s"))


def _project_imports(path: Path) -> set[str]:
    """The project's top-level packages a notebook's code cells import."""
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    names = set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", code, re.M))
    return {n for n in names if (ROOT / n / "__init__.py").is_file()}


@by_name
def test_the_cache_key_covers_every_package_the_notebook_imports(path):
    missing = _project_imports(path) - set(nbcache.IMPORTED)
    assert not missing, (
        f"{path.name} imports {sorted(missing)}, which nbcache.IMPORTED does not hash: a change "
        "there would leave a stale cached execution passing"
    )


def test_a_changed_source_changes_the_cache_folder_and_a_changed_test_does_not(tmp_path,
                                                                               monkeypatch):  # fmt: skip
    for rel in ("pkg/__init__.py", "pkg/twin.py", "pkg/test_twin.py"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    monkeypatch.setattr(nbcache, "ROOT", tmp_path)
    monkeypatch.setattr(nbcache, "IMPORTED", ("pkg",))
    monkeypatch.setenv("PARITY_NB_CACHE", str(tmp_path / "cache"))
    first = nbcache.cache_dir()
    (tmp_path / "pkg/test_twin.py").write_text("x = 2\n")
    assert nbcache.cache_dir() == first
    (tmp_path / "pkg/twin.py").write_text("x = 2\n")
    assert nbcache.cache_dir() != first and nbcache.cache_dir().parent == tmp_path / "cache"


def test_a_cached_notebook_is_not_executed_again(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    ran, seconds = nbcache.execute(path, cache=tmp_path / "cache")
    assert seconds is not None and ran.cells[0].outputs[0]["text"] == "42\n"
    again, seconds = nbcache.execute(path, cache=tmp_path / "cache")
    assert seconds is None and again.cells[0].outputs[0]["text"] == "42\n"
    nb.cells[0].source = "print(6 * 8)"  # a changed cell is a new key
    nbformat.write(nb, path)
    changed, seconds = nbcache.execute(path, cache=tmp_path / "cache")
    assert seconds is not None and changed.cells[0].outputs[0]["text"] == "48\n"


def study_guide_links() -> list[str]:
    """The notebooks the study-guide table of docs/course.md links, as course/NAME.ipynb.

    A link is MyST's ``{doc}`` role, ``{doc}`title <course/NAME>``` or ``{doc}`course/NAME```
    (docs/course is a link to the course folder, so the page's target is the notebook).
    """
    page = (ROOT / "docs" / "course.md").read_text(encoding="utf-8")
    section = re.search(r"^## Study guide.*?$(.*?)^#", page, re.M | re.S)
    assert section, "docs/course.md has no '## Study guide' section"
    rows = "\n".join(line for line in section.group(1).splitlines() if line.startswith("|"))
    targets = re.findall(r"\{doc\}`(?:[^`<]*<)?(course/[^`>\s]+)>?`", rows)
    return [f"{target}.ipynb" for target in targets]


def test_study_guide_links_every_notebook():
    links = study_guide_links()
    missing = sorted({p.name for p in NOTEBOOKS} - {Path(link).name for link in links})
    assert not missing, f"notebooks the study guide (docs/course.md) does not link: {missing}"
    broken = sorted({link for link in links if not (ROOT / link).is_file()})
    assert not broken, f"the study guide links notebooks that do not exist: {broken}"
