"""The parity report's page: one static, self-contained HTML file (inline CSS, PNG data URIs).

Laid out in the course's order: a summary table, then per section its figures and its
catalog entries (sources side by side, the errors of every compared tensor, the notes on
where the course's formula and PyTorch's differ). A small script writes, on load, how many
images decoded into ``<body data-images-*>``: the browser test reads it back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import cache

from parity_tests.report_data import HIGHLIGHT
from parity_tests.report_sources import highlight, highlight_css, source_of

COLLAPSE_LINES = 25  # sources longer than this start folded in a <details>
DTYPES = ("float64", "float32")

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
main{max-width:1500px;margin:0 auto;padding:16px 28px 60px}
h1{margin:8px 0 4px}h2{margin:36px 0 8px;padding-top:8px;border-top:3px solid #31597a}
h3{margin:0;font-size:15px}code{font-size:12.5px}
.meta{color:#56606b}.legend span{margin-right:14px}
table{border-collapse:collapse;background:#fff;font-size:12.5px;margin:6px 0}
th,td{border:1px solid #d8dde3;padding:3px 7px;text-align:left;vertical-align:top}
table.summary td{max-width:24em;overflow-wrap:anywhere}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ok{background:#eaf6ec}.warn{background:#fff0c2;font-weight:600}.fail{background:#f9c9c9;font-weight:700}
.status{display:inline-block;white-space:nowrap;border-radius:9px;padding:0 8px;font-size:12px;margin-left:8px}
.status.passed,.status.recorded{background:#cfe9d4}.status.failed,.status.over-tolerance{background:#f3b6b6}
.status.not-run,.status.no-records,.status.skipped{background:#e2e5e9}
.entry{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:10px 14px;margin:14px 0}
.note{background:#fff8e1;border-left:4px solid #e0a800;padding:6px 10px;margin:8px 0}
.tests{color:#56606b;font-size:12px}
.sources{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:8px}
.sources>div{min-width:0}.label{font-size:12px;color:#56606b;margin:2px 0;overflow-wrap:anywhere}
.hl{max-height:560px;overflow:auto;border:1px solid #e1e4e8;border-radius:4px}
.hl pre{margin:0;padding:6px 8px;font-size:12px;line-height:1.35}
details>summary{cursor:pointer;color:#31597a;font-size:12.5px}
figure{background:#fff;border:1px solid #d8dde3;border-radius:6px;margin:14px 0;padding:10px}
figure img{max-width:100%;height:auto;display:block}
figcaption{color:#333;margin-top:6px}figure.missing{background:#f1f2f4;color:#56606b}
.scroll{overflow-x:auto}
"""

SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute('data-images-total', imgs.length);
  document.body.setAttribute('data-images-decoded', ok.length);
  document.body.setAttribute('data-entries', document.querySelectorAll('.entry').length);
});
"""


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def anchor(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


def level(headroom: float | None) -> str:
    """CSS class of a headroom: fail above the tolerance, warn above HIGHLIGHT of it."""
    if headroom is None:
        return ""
    return "fail" if headroom > 1 else "warn" if headroom > HIGHLIGHT else "ok"


def headroom_cell(headroom: float | None) -> str:
    if headroom is None:
        return '<td class="num">—</td>'
    return f'<td class="num {level(headroom)}">{headroom:.3g}</td>'


def _worst_at(e: dict) -> str:
    """The compared tensor closest to its tolerance, in whichever dtype is closer."""
    f64, f32 = e["worst_float64"], e["worst_float32"]
    if f32 is not None and (f64 is None or f32 > f64):
        return f"{e['worst_float32_at']} (float32)"
    return f"{e['worst_float64_at']} (float64)" if f64 is not None else ""


def summary_table(entries: list[dict]) -> str:
    rows = []
    for e in entries:
        rows.append(
            f'<tr><td>{esc(e["section"])}</td><td><a href="#{anchor(e["scratch"])}">'
            f"<code>{esc(e['scratch'])}</code></a></td><td><code>{esc(e['twin'])}</code></td>"
            f'<td><span class="status {e["status"].replace(" ", "-")}">{esc(e["status"])}</span></td>'
            f"{headroom_cell(e['worst_float64'])}{headroom_cell(e['worst_float32'])}"
            f"<td>{esc(_worst_at(e))}</td></tr>"
        )
    head = (
        "<tr><th>section</th><th>scratch</th><th>torch twin</th><th>tests</th>"
        "<th>worst headroom float64</th><th>worst headroom float32</th>"
        "<th>worst compared tensor</th></tr>"
    )
    return f'<div class="scroll"><table class="summary">{head}{"".join(rows)}</table></div>'


def _error_cells(cell: dict | None) -> str:
    if cell is None:
        return '<td class="num" colspan="4">—</td>'
    return (
        f'<td class="num">{cell["max_abs"]:.2e}</td><td class="num">{cell["max_rel"]:.2e}</td>'
        f'<td class="num">{cell["rtol"]:.1e} / {cell["atol"]:.1e}</td>'
        f"{headroom_cell(cell['headroom'])}"
    )


def comparison_table(rows: list[dict]) -> str:
    if not rows:
        return '<p class="meta">No numeric comparison recorded for this entry in this run.</p>'
    head = (
        '<tr><th rowspan="2">component</th><th rowspan="2">compared tensor</th>'
        '<th rowspan="2">cases</th><th colspan="4">float64</th><th colspan="4">float32</th></tr>'
        + "<tr>" + "<th>max abs</th><th>max rel</th><th>rtol / atol</th><th>headroom</th>" * 2
        + "</tr>"
    )  # fmt: skip
    body = "".join(
        f"<tr><td>{esc(r['component'])}</td><td>{esc(r['tensor'])}</td>"
        f'<td class="num">{r["count"]}</td>'
        + "".join(_error_cells(r.get(d)) for d in DTYPES)
        + "</tr>"
        for r in rows
    )
    table = f'<div class="scroll"><table>{head}{body}</table></div>'
    if len(rows) > 12:
        return f"<details open><summary>{len(rows)} compared tensors</summary>{table}</details>"
    return table


@cache
def _highlighted(dotted: str) -> str:
    return highlight(source_of(dotted))


def warm_sources(names: Iterable[str]) -> None:
    """Look up and highlight sources ahead (the report does it while pytest runs)."""
    for name in names:
        _highlighted(name)


def source_block(dotted: str, role: str) -> str:
    src = source_of(dotted)
    label = f'<p class="label"><b>{role}</b> <code>{esc(dotted)}</code> — {esc(src.label)}</p>'
    if not src.code:
        return f"<div>{label}</div>"
    code = _highlighted(dotted)
    if src.lines > COLLAPSE_LINES:
        what = (
            f"{src.lines} lines"
            if src.shown == src.lines
            else f"the first {src.shown} of {src.lines} lines"
        )
        code = f"<details><summary>show {what}</summary>{code}</details>"
    return f"<div>{label}{code}</div>"


def entry_block(e: dict) -> str:
    status = e["status"]
    tests = ", ".join(f"<code>{esc(t)}</code>" for t in e["tests"])
    note = (
        f'<div class="note"><b>Course vs PyTorch:</b> {esc(e["note"])}</div>' if e["note"] else ""
    )
    return (
        f'<div class="entry" id="{anchor(e["scratch"])}" data-entry="{esc(e["scratch"])}">'
        f"<h3><code>{esc(e['scratch'])}</code> ↔ <code>{esc(e['twin'])}</code>"
        f'<span class="status {status.replace(" ", "-")}">{esc(status)}</span></h3>'
        f'<p class="tests">section: {esc(e["section"])} · proven by {tests}</p>{note}'
        f"{comparison_table(e['comparisons'])}"
        f'<div class="sources">{source_block(e["scratch"], "scratch")}'
        f"{source_block(e['twin'], 'twin')}</div></div>"
    )


def figure_block(f: dict) -> str:
    attrs = f'data-figure="{esc(f["name"])}" data-status="{esc(f["status"])}"'
    if f["png"]:
        body = f'<img alt="{esc(f["title"])}" src="data:image/png;base64,{f["png"]}">'
        return f"<figure {attrs}><h3>{esc(f['title'])}</h3>{body}<figcaption>{esc(f['caption'])}</figcaption></figure>"
    return (
        f'<figure class="missing" {attrs}><h3>{esc(f["title"])} — {esc(f["status"])}</h3>'
        f"<figcaption>{esc(f['caption'])}</figcaption></figure>"
    )


def page(report: dict, sections: tuple[str, ...]) -> str:
    """The whole page for ``report`` (what report.build_report returns)."""
    entries, figures = report["entries"], report.get("figures", [])
    body = []
    for section in sections:
        in_section = [e for e in entries if e["section"] == section]
        figs = [f for f in figures if f["section"] == section]
        body.append(f'<h2 id="{anchor(section)}">{esc(section)}</h2>')
        if not in_section and not figs:
            body.append('<p class="meta">Nothing in the catalog for this section yet.</p>')
        body += [figure_block(f) for f in figs] + [entry_block(e) for e in in_section]
    toc = " · ".join(f'<a href="#{anchor(s)}">{esc(s)}</a>' for s in sections)
    run = report["run"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parity report: scratch (NumPy) vs PyTorch</title>
<style>{CSS}{highlight_css()}</style><script>{SCRIPT}</script></head>
<body><main>
<h1>Parity report: scratch (NumPy) vs PyTorch</h1>
<p class="meta">{esc(run["when"])} · {esc(run["pytest"])} · {run["seconds"]:.0f} s ·
torch {esc(run["torch"])} · numpy {esc(run["numpy"])}<br><code>{esc(run["command"])}</code></p>
<p>Every public scratch component, its torch twin, and how close they came. <b>Headroom</b>
is the largest |scratch − torch| / (atol + rtol·|torch|) over a compared tensor: a test
passes at ≤ 1. float64 is held to rtol 1e-10 / atol 1e-12, float32 to torch's defaults.</p>
<p class="legend"><span class="ok">&nbsp;≤ {HIGHLIGHT} of the tolerance&nbsp;</span>
<span class="warn">&nbsp;above {HIGHLIGHT} of it&nbsp;</span><span class="fail">&nbsp;above it&nbsp;</span></p>
<p>{toc}</p>
<h2 id="summary">Summary</h2>{summary_table(entries)}
{"".join(body)}
</main></body></html>
"""
