"""One page per catalog entry, written into docs/components/ when the build starts.

Each page holds the scratch source and its twin in tabs synced across the site (choose
"scratch" once and every page shows scratch), the formula, where the course and torch
differ, the proof (its tests, the tolerance and the worst headroom, from docs/records.json),
the catalogued mistakes the checker names for it and the ``parity-check`` command.
A component docs/records.json does not hold fails the build: run docs/_ext/make_records.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import sources
from formulas import FORMULAS
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

RECORDS = "records.json"
OUT = "components"
SYNC = "implementation"  # the sync-group of every source tab set on the site


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def short(entry: sources.Entry) -> str:
    return entry.scratch.rsplit(".", 1)[-1]


def fence(code: str, language: str) -> str:
    ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", code)), default=0))
    return f"{ticks}{language}\n{code.rstrip()}\n{ticks}"


def tab(label: str, key: str, name: str) -> str:
    """One tab: the source of ``name``, and of its base class when ``name`` only names it."""
    shown = [sources.source_of(name)]
    if (base := sources.short_subclass_base(name)) is not None:
        shown.append(sources.source_of(base))
    body = "\n\n".join(f"{s.label}\n\n{fence(s.code, s.language)}" for s in shown)
    return (
        f":::{{tab-item}} {label}\n:sync: {key}\n:class-content: component-source\n\n{body}\n:::\n"
    )


def level(headroom: float | None) -> str:
    if headroom is None:
        return "no numeric comparison"
    if headroom > 1:
        return f"**{headroom:.3g} (over the tolerance)**"
    return f"**{headroom:.3g}**" if headroom > sources.HIGHLIGHT else f"{headroom:.3g}"


def proof(entry: sources.Entry, record: dict) -> str:
    lines = ["## The proof", "", "The tests (in `parity_tests/`) and the cases each passed:", ""]
    for test in entry.tests:
        ran = record["tests_run"].get(test, {})
        lines.append(f"- `{test}`: {ran.get('passed', 0)} passed")
    lines += ["", "**Headroom** is each compared tensor's worst error divided by its tolerance, "
              "`max |scratch - torch| / (atol + rtol·|torch|)`: smaller is better, at most 1 "
              f"passes, and it is in bold above {sources.HIGHLIGHT} (a twin within a tenth of "
              "its tolerance needs no second look)."]  # fmt: skip
    lines += ["", "| dtype | worst headroom (error / tolerance) | where |", "| --- | --- | --- |"]
    for dtype in ("float64", "float32"):
        worst = record[f"worst_{dtype}"]
        lines.append(f"| {dtype} | {level(worst)} | {record[f'worst_{dtype}_at'] or '—'} |")
    rows = record["comparisons"]
    if rows:
        lines += ["", f":::{{dropdown}} Every compared tensor ({len(rows)}), its tolerance and its worst error", "",
                  "| compared | dtype | rtol | atol | max abs | headroom |",
                  "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for row in rows:
            for dtype in ("float64", "float32"):
                if dtype in row:
                    c = row[dtype]
                    lines.append(f"| {row['component']}: {row['tensor']} | {dtype} | {c['rtol']:.0e}"
                                 f" | {c['atol']:.0e} | {c['max_abs']:.2e} | {level(c['headroom'])} |")  # fmt: skip
        lines.append(":::")
    else:
        lines += ["", "These tests compare no float tensor (exact values, shapes, messages): "
                  "the proof is that they pass."]  # fmt: skip
    lines += ["", "Headroom is the worst error over the tolerance: at most 1 passes. Measured by "
              "the run named on [the records page](../records.md)."]  # fmt: skip
    return "\n".join(lines)


def checker(entry: sources.Entry) -> str:
    name = short(entry)
    if name not in sources.SPECS:
        return ""
    lines = ["## Check your own", "", "Run your implementation through the same cases:", "",
             f"```bash\nparity-check {name} your_module.py:Your{name[:1].upper()}{name[1:]}\n```"]  # fmt: skip
    mistakes = sources.mistakes_for(name)
    if mistakes:
        lines += ["", "The classic mistakes the checker recognises here:", ""]
        lines += [f"- `{m.key}`: {m.explanation}" for m in mistakes]
    return "\n".join(lines)


def page(entry: sources.Entry, record: dict) -> str:
    name = short(entry)
    parts = [f"# {name}", "",
             f"`{entry.scratch}` · twin `{entry.twin}` · section [{entry.section}]({slug(entry.section)}.md)"]  # fmt: skip
    if entry.scratch in FORMULAS:
        parts += ["", "## The formula", "", "$$", FORMULAS[entry.scratch], "$$", "",
                  "Notation: $N$ is the batch (the targets kept, for a loss), $g$ the upstream "
                  "gradient $\\partial L/\\partial y$ that backward receives, $[\\cdot]$ is 1 "
                  "where its condition holds and 0 elsewhere, $\\varepsilon$ a setting's "
                  "small constant or the label smoothing."]  # fmt: skip
    parts += ["", "## Scratch and its twin", "",
              "The **scratch** tab is the NumPy code, forward and hand-written backward; the "
              "**torch** tab is the twin it is proven against, whose math mostly runs in "
              "torch's C++ kernels, with autograd supplying the backward. Your choice of tab "
              "holds on every page.", "", f"::::{{tab-set}}\n:sync-group: {SYNC}\n",
              tab("scratch", "scratch", entry.scratch), tab("torch", "torch", entry.twin), "::::"]  # fmt: skip
    if entry.note:
        parts += ["", "## Where the course and torch differ", "", entry.note]
    parts += ["", proof(entry, record)]
    if more := checker(entry):
        parts += ["", more]
    return "\n".join(parts) + "\n"


def section_page(section: str, entries: list[sources.Entry]) -> str:
    rows = [f"| [{short(e)}]({slug(e.scratch)}.md) | `{e.twin}` |" for e in entries]
    toc = "\n".join(slug(e.scratch) for e in entries)
    return (f"# {section}\n\n| component | twin |\n| --- | --- |\n" + "\n".join(rows)
            + f"\n\n```{{toctree}}\n:hidden:\n\n{toc}\n```\n")  # fmt: skip


def load_records(srcdir: Path) -> dict:
    path = srcdir / RECORDS
    if not path.is_file():
        raise ExtensionError(f"{path} is missing: run python docs/_ext/make_records.py")
    data = json.loads(path.read_text(encoding="utf-8"))
    missing = [e.scratch for e in sources.CATALOG if e.scratch not in data["entries"]]
    if missing:
        raise ExtensionError(f"no record for {missing} in {path}: run "
                             "python docs/_ext/make_records.py")  # fmt: skip
    return data


def write_if_changed(path: Path, text: str) -> None:
    """Rewrite a page only when it changes, so Sphinx re-reads only what changed."""
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate(app: Sphinx) -> None:
    srcdir = Path(app.srcdir)
    data = load_records(srcdir)
    out = srcdir / OUT
    out.mkdir(exist_ok=True)
    keep = set()
    for section in sources.SECTIONS:
        entries = [e for e in sources.CATALOG if e.section == section]
        keep.add(f"{slug(section)}.md")
        write_if_changed(out / f"{slug(section)}.md", section_page(section, entries))
        for entry in entries:
            keep.add(f"{slug(entry.scratch)}.md")
            write_if_changed(out / f"{slug(entry.scratch)}.md",
                             page(entry, data["entries"][entry.scratch]))  # fmt: skip
    for stale in out.glob("*.md"):
        if stale.name not in keep:
            stale.unlink()
    run = data["run"]
    write_if_changed(srcdir / "records-run.md", "\n".join(
        f"- **{k}**: {run[k]}" for k in ("command", "machine", "when", "pytest", "torch", "numpy")
    ) + "\n")  # fmt: skip


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
