"""parity-check on the code learners write: the corpus of ``learner_corpus/`` as a table test.

Each row of ``learner_corpus/expected.py`` runs the command line in this process,
``parity-check COMPONENT TARGET --json - [--dtype float64] [--strict] [--derivative F]``, and
checks its exit status and its JSON verdict against the row: passed, in scope, the
not-covered rows, and for a FAIL the diagnosis (a catalogued mistake, or a relation with its
detail). The rows were written from issue 20's description of the styles and the verdicts,
not from the checker's output, so a row that fails says where the checker and the issue
part. The other tests keep the corpus honest: every file is used by a row and says which
style it imitates and whether it is right or wrong, and every TARGET names something its
file defines.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from parity_tests.check.cli import main
from parity_tests.learner_corpus.expected import ROWS, Row

CORPUS = Path(__file__).parent / "learner_corpus"
NOT_LEARNER_FILES = {"__init__.py", "expected.py", "book_util.py"}  # the table, a shared helper
STYLES = ("CS231n", "Deep Learning from Scratch", "nnfs", "deeplearning.ai", "Holberton",
          "backward(", "Blog style", "Plain functions", "Course style", "scratch's protocol")  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A copy of the corpus outside the package, where a learner's files live: the checker
    takes frames under parity_tests/ for its own and leaves them out of its messages."""
    folder = tmp_path_factory.mktemp("learner_corpus")
    for path in CORPUS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    return folder


def argv(row: Row, folder: Path = CORPUS) -> list[str]:
    args = [row.component, f"{folder / row.target}", "--json", "-"]
    if len(row.dtypes) == 1:
        args += ["--dtype", row.dtypes[0]]
    if row.strict:
        args.append("--strict")
    if row.derivative:
        args += ["--derivative", f"{folder / row.derivative}"]
    return args


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_learner_implementation(row: Row, corpus: Path, capsys) -> None:
    status = main(argv(row, corpus))
    out = capsys.readouterr()
    verdict = json.loads(out.out)
    diagnosis = verdict.get("diagnosis") or {}
    said = verdict.get("error") or diagnosis.get("message") or out.err.strip().splitlines()[-1:]
    assert status == row.exit, f"exit status {status}, expected {row.exit}: {said}"
    if row.exit == 2:  # no verdict: one line that says what went wrong, and where
        assert row.says in verdict["error"], verdict["error"]
        return
    assert verdict["passed"] is (row.exit == 0)
    if row.in_scope is not None:
        assert verdict.get("in_scope") is row.in_scope, f"in_scope {verdict.get('in_scope')!r}, not_covered {verdict.get('not_covered')}"  # fmt: skip
    if row.not_covered is not None:
        covered = verdict.get("not_covered") or []
        assert any(row.not_covered in text for text in covered), covered
    if row.error_row:
        statuses = [r.get("status") for r in verdict["rows"]]
        assert "error" in statuses, statuses
    if row.where is not None:
        wheres = [r.get("where") or "" for r in verdict["rows"] if r.get("status") in ("error", "not supported")]  # fmt: skip
        assert any(row.where in w for w in wheres), wheres
    if row.exit == 0:
        assert verdict["diagnosis"] is None, verdict["diagnosis"]
    if row.mistake is not None:
        assert diagnosis.get("mistake") == row.mistake, diagnosis
    if row.relation is not None:
        assert diagnosis.get("relation") == row.relation, diagnosis
        assert row.detail in (diagnosis.get("detail") or ""), diagnosis
    if row.says is not None:
        assert row.says in diagnosis.get("message", ""), diagnosis


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def test_the_corpus_has_enough_right_and_wrong_implementations() -> None:
    right = [r for r in ROWS if r.right and not r.strict]
    wrong = [r for r in ROWS if not r.right]
    assert len(right) >= 12 and len(wrong) >= 20, (len(right), len(wrong))
    assert len({r.id for r in ROWS}) == len(ROWS), "two rows share an id"
    # a wrong implementation gets a FAIL, exit 1; no verdict (2) only for an exception in the
    # basic case
    assert all(r.exit == 1 or r.id == "scope-exception-in-basic-case" for r in wrong)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_each_target_is_defined_in_its_file(row: Row) -> None:
    for target in filter(None, (row.target, row.derivative)):
        file, name = target.split(":")
        assert name in _defined(CORPUS / file), f"{file} defines no {name}"


def test_each_file_is_checked_and_says_its_style_and_verdict() -> None:
    files = {p.name for p in CORPUS.glob("*.py")} - NOT_LEARNER_FILES
    used = {r.target.split(":")[0]: r.right for r in ROWS}
    assert sorted(files - set(used)) == [], "files no row checks"
    for name in sorted(files):
        first = _docstring(CORPUS / name).split("\n\n")[0].lower()
        verdict = "right" if used[name] else "wrong"
        assert any(style.lower() in first for style in STYLES), f"{name}: which style? {first!r}"
        assert verdict in first, f"{name}'s docstring must say that it is {verdict}: {first!r}"
