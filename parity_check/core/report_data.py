"""The parity report's figures: comparison records mapped to catalog entries, worst first.

Pure functions (no pytest, no HTML), so the mapping can be tested on hand-made records.
A record (``harness._record``) carries the pytest node id it came from; an entry lists the
tests that prove it ("test_file.py::test_function"). Where some records of a test name the
entry's component (one table-driven test proves every activation: "ReLU", "Sigmoid", ...;
"CE label_smoothing=0.1" is CrossEntropyLoss; "l1_penalty" for l1_penalty_grad when no
record names the _grad), the entry gets those; where none do (the models test names its
nets "spiral MLP 2-64-32-3"), it gets all of the test's records.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from parity_check.core.catalog import Entry

HIGHLIGHT = 0.1  # headroom above this fraction of the tolerance is highlighted in the report

# Short labels some tests use for a component (first word of the record's component).
ALIASES = {
    "CE": "CrossEntropyLoss",
    "BCE": "BCELoss",
    "BCEWithLogits": "BCEWithLogitsLoss",
    "Focal": "FocalLoss",
    "gelu_tanh": "gelu",
}


def catalog_test_name(node_id: str) -> str:
    """ "parity_tests/test_x.py::test_y[case]" → "test_x.py::test_y" (how the catalog names it)."""
    path, _, rest = node_id.partition("::")
    function = rest.split("::")[-1].split("[", 1)[0]
    return f"{path.rsplit('/', 1)[-1]}::{function}"


def record_name(component: str) -> str:
    """The component a record is about: its first word, with the tests' short labels expanded."""
    first = re.split(r"[ (]", component, maxsplit=1)[0]
    return ALIASES.get(first, first)


def matches(entry: Entry, record: dict) -> bool:
    """Does this record compare the entry's component (by name; derivatives by tensor)?"""
    short = entry.scratch.rsplit(".", 1)[-1].lower()
    name = record_name(record["component"]).lower()
    if short.endswith("_derivative"):
        return name == short.removesuffix("_derivative") and record["tensor"] == "derivative"
    return name == short


def records_for(entry: Entry, records: list[dict]) -> list[dict]:
    """The records of the entry's tests, narrowed to those naming it when some do."""
    found = []
    for test in entry.tests:
        of_test = [r for r in records if catalog_test_name(r.get("test", "")) == test]
        named = [r for r in of_test if matches(entry, r)]
        if not named and entry.scratch.endswith("_grad"):  # l1_penalty_grad: l1_penalty's
            base = replace(entry, scratch=entry.scratch.removesuffix("_grad"))
            named = [r for r in of_test if matches(base, r)]
        found += named or of_test
    return found


def _cell(r: dict) -> dict:
    keys = ("max_abs", "max_rel", "headroom", "rtol", "atol")
    return {k: r[k] for k in keys}


def comparisons(records: list[dict]) -> list[dict]:
    """One row per (component, tensor): the worst float64 and float32 record, in record order."""
    rows: dict[tuple[str, str], dict] = {}
    for r in records:
        row = rows.setdefault((r["component"], r["tensor"]),
                              dict(component=r["component"], tensor=r["tensor"], count=0))  # fmt: skip
        row["count"] += 1
        worst = row.get(r["dtype"])
        if worst is None:
            row[r["dtype"]] = _cell(r)
        else:  # errors and headroom each at their worst; the tolerance of the worst headroom
            if r["headroom"] >= worst["headroom"]:
                worst.update(headroom=r["headroom"], rtol=r["rtol"], atol=r["atol"])
            worst["max_abs"] = max(worst["max_abs"], r["max_abs"])
            worst["max_rel"] = max(worst["max_rel"], r["max_rel"])
    return list(rows.values())


def worst(rows: list[dict], dtype: str) -> tuple[float | None, str]:
    """The worst headroom among ``rows`` for ``dtype`` and which "component: tensor" it was."""
    best: tuple[float | None, str] = (None, "")
    for row in rows:
        cell = row.get(dtype)
        if cell and (best[0] is None or cell["headroom"] > best[0]):
            best = (cell["headroom"], f"{row['component']}: {row['tensor']}")
    return best


def entry_status(entry: Entry, outcomes: dict[str, Counter] | None, rows: list[dict]) -> str:
    """passed / failed / skipped / not run; from reused records (outcomes None): recorded /
    over tolerance / no records, since the dump says nothing of the tests' other asserts."""
    if outcomes is None:
        over = any(
            row[d]["headroom"] > 1 for row in rows for d in ("float64", "float32") if d in row
        )
        return "over tolerance" if over else "recorded" if rows else "no records"
    ran = [outcomes[t] for t in entry.tests if t in outcomes]
    if not ran:
        return "not run"
    if any(c["failed"] or c["error"] for c in ran):
        return "failed"
    return "passed" if any(c["passed"] for c in ran) else "skipped"


def build_entries(catalog: list[Entry], records: list[dict],
                  outcomes: dict[str, Counter] | None) -> list[dict]:  # fmt: skip
    """Everything the page and the JSON say about each entry, in the catalog's order."""
    out = []
    for entry in catalog:
        rows = comparisons(records_for(entry, records))
        f64, f32 = worst(rows, "float64"), worst(rows, "float32")
        out.append(
            dict(scratch=entry.scratch, twin=entry.twin, section=entry.section,
                 tests=list(entry.tests), note=entry.note, comparisons=rows,
                 status=entry_status(entry, outcomes, rows),
                 tests_run={t: dict(outcomes[t]) for t in entry.tests if outcomes and t in outcomes},
                 worst_float64=f64[0], worst_float64_at=f64[1],
                 worst_float32=f32[0], worst_float32_at=f32[1])
        )  # fmt: skip
    return out
