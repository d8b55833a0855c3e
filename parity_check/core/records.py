"""Read the comparison records a test run dumped (``PARITY_RECORD``) and summarise them.

``python -m parity_check.core.records /tmp/rec`` prints, per component and dtype, the worst
absolute and relative error and the worst headroom (error / tolerance; ≤ 1 passes).
"""

from __future__ import annotations

import glob
import json
import sys
from collections import defaultdict


def load(base: str) -> list[dict]:
    """All records from ``<base>.<worker>.jsonl`` files (one per pytest-xdist worker)."""
    records = []
    for path in sorted(glob.glob(f"{base}.*.jsonl")):
        with open(path, encoding="utf-8") as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def worst_by_component(records: list[dict]) -> dict[tuple[str, str], dict]:
    """{(component, dtype): {max_abs, max_rel, headroom, tensor (the worst one), count}}."""
    worst: dict[tuple[str, str], dict] = defaultdict(
        lambda: dict(max_abs=0.0, max_rel=0.0, headroom=0.0, tensor="", count=0)
    )
    for r in records:
        w = worst[(r["component"], r["dtype"])]
        w["count"] += 1
        w["max_abs"] = max(w["max_abs"], r["max_abs"])
        w["max_rel"] = max(w["max_rel"], r["max_rel"])
        if r["headroom"] >= w["headroom"]:
            w["headroom"], w["tensor"] = r["headroom"], r["tensor"]
    return dict(worst)


def format_table(worst: dict[tuple[str, str], dict]) -> str:
    lines = [
        f"{'component':44} {'dtype':8} {'max abs':>10} {'max rel':>10} {'headroom':>9}  worst tensor"
    ]
    for (component, dtype), w in sorted(worst.items()):
        lines.append(
            f"{component[:44]:44} {dtype:8} {w['max_abs']:10.2e} {w['max_rel']:10.2e} "
            f"{w['headroom']:9.3f}  {w['tensor']}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m parity_check.core.records BASE  (the PARITY_RECORD value)")
    print(format_table(worst_by_component(load(sys.argv[1]))))
