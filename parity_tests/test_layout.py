"""The layout shows the architecture: every import points down, and the test folder is a leaf.

The packages, bottom to top (a package may import only those below it):

    scratch, torch_ref          the twins (scratch imports no torch: test_catalog.py), and
                                the capstone's model and data (mnist_challenge.model, .data:
                                torch and the standard library only; torch_ref re-exports
                                the model as ChallengeNet's twin)
    parity_check.core           the comparison core: harness, records, catalog
    parity_check                the checker (parity-check)
    course, mnist_challenge     the course's figures, the capstone
    parity_tests                the test suite: nothing imports from it

Read from the source (``ast``) and the notebooks' code cells, not by importing, so a cycle
that Python would tolerate at run time still fails here.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]

# each package and what it may import from the project (its layer and every one below)
RANK = {"scratch": 0, "torch_ref": 0, "capstone": 0, "parity_check.core": 1, "parity_check": 2,
        "course": 3, "mnist_challenge": 3, "parity_tests": 4}  # fmt: skip
# torch_ref builds the same components with torch and may reuse scratch's plain helpers
SAME_LAYER = {("torch_ref", "scratch"), ("torch_ref", "capstone")}
CODE_FOLDERS = ("scratch", "torch_ref", "parity_check", "course", "mnist_challenge",
                "benchmarks", "exercises", "examples", "docs")  # fmt: skip


# modules that sit in a lower layer than their package: (prefix, layer)
LOWER = (("parity_check.core", "parity_check.core"), ("mnist_challenge.model", "capstone"),
         ("mnist_challenge.data", "capstone"))  # fmt: skip


def package_of(module: str) -> str | None:
    """The layer a dotted module name belongs to, or None when it is not the project's."""
    for prefix, layer in LOWER:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    top = module.split(".")[0]
    return top if top in RANK else None


def imports(source: str, path: Path) -> list[str]:
    """The absolute module names ``source`` imports (relative imports are its own package's)."""
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # each name as module.name: `from mnist_challenge import data` reads the data module
            found += [f"{node.module}.{a.name}" for a in node.names]
    return found


def sources() -> list[tuple[Path, str]]:
    """Every Python file of the project outside the test folder, and each notebook's code."""
    out = []
    for folder in CODE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "_build" not in path.parts:
                out.append((path, path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "course").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = [
            "".join(c["source"]) for c in cells if c["cell_type"] == "code"
        ]  # magics and shell lines are not Python
        code = [
            "\n".join(
                line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))
            )
            for cell in code
        ]
        out.append((path, "\n".join(code)))
    return out


def layer_of_file(path: Path) -> str | None:
    rel = path.relative_to(ROOT)
    if rel.suffix == ".py":
        return package_of(".".join(rel.with_suffix("").parts).removesuffix(".__init__"))
    return rel.parts[0] if rel.parts[0] in RANK else None


def test_nothing_outside_the_test_folder_imports_from_it():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path, source in sources()
        for name in imports(source, path)
        if package_of(name) == "parity_tests"
    ]
    assert not offenders, "\n".join(offenders)


def test_every_import_points_down():
    offenders = []
    for path, source in sources():
        mine = layer_of_file(path)
        if mine is None:  # benchmarks, exercises, examples, docs: users of every layer
            continue
        for name in imports(source, path):
            theirs = package_of(name)
            if theirs is None or theirs == mine or (mine, theirs) in SAME_LAYER:
                continue
            if RANK[theirs] >= RANK[mine]:
                offenders.append(f"{path.relative_to(ROOT)} ({mine}) imports {name} ({theirs})")
    assert not offenders, "\n".join(offenders)


def test_the_commands_point_at_the_products_not_at_the_tests():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["parity-check"] == "parity_check.cli:main"
    assert not [s for s in scripts.values() if s.startswith("parity_tests")], scripts


@pytest.mark.parametrize(
    "module, layer",
    [("parity_check.core.harness", "parity_check.core"), ("parity_check.api", "parity_check"),
     ("course.figures.basics", "course"), ("mnist_challenge.model", "capstone"),
     ("mnist_challenge.train", "mnist_challenge"), ("parity_tests.conftest", "parity_tests"),
     ("numpy", None)],
)  # fmt: skip
def test_package_of_reads_the_layers(module, layer):
    assert package_of(module) == layer


# The README is the front door (issue 22): what the project is, the two commands, the three
# ways in, the layout and the site; the manual is the site's (docs/).
README_MAX_LINES = 200
SITE_BUILD = "python -m sphinx -W -b html docs docs/_build/html"
TEST_COMMAND = 'pip install -e ".[dev]" && python -m pytest -n 2'


def readme_layout() -> str:
    """The code block under the README's '## Layout' heading."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)
    assert len(section) == 2, "README.md has no '## Layout' section"
    block = section[1].split("```", 2)
    assert len(block) == 3, "README.md's layout is not a code block"
    return block[1]


def test_the_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = readme.splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines, at most {README_MAX_LINES}"  # fmt: skip
    assert SITE_BUILD in readme, f"README.md must name the site's build command: {SITE_BUILD}"
    assert TEST_COMMAND in readme, f"README.md must give the test command: {TEST_COMMAND}"


@pytest.mark.parametrize("room", [*CODE_FOLDERS, "parity_tests"])
def test_the_readme_layout_names_every_room(room):
    layout = readme_layout()
    assert any(line.startswith(f"{room}/") for line in layout.splitlines()), room
    if room == "parity_check":
        assert "\n  core/" in layout, "the layout must show parity_check/core/"
