"""The catalog is complete and true: every public scratch name has a twin and a parity test."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import scratch
from parity_check.core.catalog import CATALOG, SECTIONS

HERE = Path(__file__).parent


def resolve(dotted: str):
    """Import the longest module prefix of ``dotted`` and walk the rest as attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def public_scratch_names() -> list[str]:
    """``module.name`` for every name in the ``__all__`` of every scratch module."""
    names = []
    for info in pkgutil.walk_packages(scratch.__path__, "scratch."):
        module = importlib.import_module(info.name)
        names += [f"{info.name}.{n}" for n in getattr(module, "__all__", ())]
    return names


def test_every_public_scratch_name_is_catalogued():
    catalogued = {id(resolve(e.scratch)) for e in CATALOG}
    missing = [n for n in public_scratch_names() if id(resolve(n)) not in catalogued]
    assert not missing, f"public scratch names missing from parity_check/core/catalog.py: {missing}"


@pytest.mark.parametrize("entry", CATALOG, ids=[e.scratch for e in CATALOG])
def test_entry_resolves_and_is_proven(entry):
    assert entry.section in SECTIONS, f"{entry.scratch}: unknown section {entry.section!r}"
    resolve(entry.scratch)
    resolve(entry.twin)
    assert entry.tests, f"{entry.scratch} lists no parity test"
    for test in entry.tests:
        file, _, func = test.partition("::")
        module = importlib.import_module(f"parity_tests.{Path(file).stem}")
        assert hasattr(module, func), f"{entry.scratch}: {test} does not exist"


def test_scratch_imports_without_torch():
    """The NumPy side must not need torch: import every scratch module with torch blocked."""
    code = (
        "import sys, importlib, pkgutil\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith(('torch.', 'torchvision')):\n"
        "            raise ImportError('torch is blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import scratch\n"
        "for info in pkgutil.walk_packages(scratch.__path__, 'scratch.'):\n"
        "    importlib.import_module(info.name)\n"
        "assert not any(m == 'torch' or m.startswith('torch.') for m in sys.modules)\n"
    )
    root = HERE.parent
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
