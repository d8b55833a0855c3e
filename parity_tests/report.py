"""The parity report: run the catalog's tests, write one self-contained HTML page and a JSON.

    python -m parity_tests.report --out report/            # every entry's tests (-n 2)
    python -m parity_tests.report --out report/ --figures  # ... and the course's figures
    python -m parity_tests.report --out r/ -k Loss         # only entries matching "Loss"
    python -m parity_tests.report --out r/ --records /tmp/rec   # reuse a PARITY_RECORD dump

It runs the listed tests in a pytest subprocess with ``PARITY_RECORD`` set (each comparison
of ``harness.assert_close`` is recorded with its test's node id), maps the records to the
catalog's entries (report_data.py) and renders report.html (report_html.py) and
report.json. Exit status 1 when a test failed (the page is written anyway).
"""

from __future__ import annotations

import os

# Tiny matrices: BLAS and torch threads only add contention (see conftest), so one each.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

from parity_check.core import records as records_mod  # noqa: E402
from parity_check.core.catalog import CATALOG, SECTIONS, Entry  # noqa: E402
from parity_tests.report_data import build_entries, catalog_test_name  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TEST_DIR = "parity_tests"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="parity-report", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, type=Path, help="folder for report.html and report.json")
    p.add_argument("-k", "--select", default="",
                   help="run only the entries whose scratch name, twin or section contains this "
                        "(case-insensitive); the page still lists every entry")  # fmt: skip
    p.add_argument("--tests", nargs="+", default=None, metavar="FILE::FUNCTION",
                   help="run only these tests (as the catalog names them)")  # fmt: skip
    p.add_argument("--records", metavar="BASE",
                   help="reuse the dump <BASE>.*.jsonl of an earlier PARITY_RECORD run")  # fmt: skip
    p.add_argument("--figures", nargs="?", const="all", choices=("all", "cheap"), default=None,
                   help="draw the course's figures (all, or only the cheap ones)")  # fmt: skip
    p.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers (0: none)")
    return p.parse_args(argv)


def selected_tests(catalog: list[Entry], select: str, tests: list[str] | None) -> list[str]:
    """The catalog's tests to run, in catalog order, without repeats."""
    if tests is not None:
        known = {t for e in catalog for t in e.tests}
        unknown = [t for t in tests if t not in known]
        if unknown:
            raise SystemExit(f"--tests: not in the catalog: {unknown}")
        return list(dict.fromkeys(tests))
    needle = select.lower()
    entries = [e for e in catalog if needle in f"{e.scratch} {e.twin} {e.section}".lower()]
    if not entries:
        raise SystemExit(f"-k {select!r} matches no catalog entry")
    return list(dict.fromkeys(t for e in entries for t in e.tests))


def junit_outcomes(path: Path) -> dict[str, Counter]:
    """{"test_x.py::test_y": Counter(passed=, failed=, error=, skipped=)} from pytest's XML."""
    outcomes: dict[str, Counter] = defaultdict(Counter)
    for case in ET.parse(path).iter("testcase"):
        module = case.get("classname", "").split(".")
        file = next((m for m in reversed(module) if m.startswith("test_")), module[-1])
        key = catalog_test_name(f"{file}.py::{case.get('name', '')}")
        kinds = {child.tag for child in case}
        kind = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
        outcomes[key][{"failure": "failed"}.get(kind, kind)] += 1
    return dict(outcomes)


def start_tests(tests: list[str], base: str, workers: int, junit: Path) -> subprocess.Popen:
    """Start pytest on the tests with PARITY_RECORD=base (the figures are drawn meanwhile)."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}",
           *(["-n", str(workers)] if workers else []), *(f"{TEST_DIR}/{t}" for t in tests)]  # fmt: skip
    # a fresh pytest: not a worker of the pytest that may be running this report (its test)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PARITY_RECORD"] = base
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip


def finish_tests(run: subprocess.Popen, base: str, junit: Path) -> tuple[int, str, list, dict]:
    """Wait for pytest; return its exit code, a summary line, the records and the outcomes."""
    output, _ = run.communicate()
    if run.returncode not in (0, 1):  # 1: tests failed (shown per entry); else: pytest broke
        sys.stderr.write(output[-6000:])
    outcomes = junit_outcomes(junit) if junit.exists() else {}
    total = sum(outcomes.values(), Counter())
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(total.items()) if n) or "none run"
    line = f"{len(outcomes)} test functions, {counts} cases (pytest exit status {run.returncode})"
    return run.returncode, line, records_mod.load(base), outcomes


def versions() -> dict[str, str]:
    import numpy
    import torch

    return dict(torch=torch.__version__, numpy=numpy.__version__)


def prepare_page(figures: str | None) -> list[dict]:
    """The work that needs no test result: draw the figures, highlight every source."""
    from parity_tests.report_html import warm_sources

    warm_sources(e.scratch for e in CATALOG)
    warm_sources(e.twin for e in CATALOG)
    if not figures:
        return []
    import torch

    torch.set_num_threads(1)
    from course.figures import render_all

    return render_all(figures)


def build_report(args: argparse.Namespace, argv: list[str]) -> tuple[dict, int, list[dict]]:
    """Run (or reuse) the tests and draw the figures; return the report, exit code, records."""
    start = time.perf_counter()
    if args.records:
        figures = prepare_page(args.figures)
        returncode, outcomes, records = 0, None, records_mod.load(args.records)
        pytest_line = f"records reused from {args.records}.*.jsonl ({len(records)} comparisons)"
    else:
        tests = selected_tests(CATALOG, args.select, args.tests)
        with tempfile.TemporaryDirectory(prefix="parity-report-") as tmp:
            base, junit = f"{tmp}/rec", Path(tmp) / "junit.xml"
            run = start_tests(tests, base, args.workers, junit)
            try:
                figures = prepare_page(args.figures)
            finally:
                returncode, pytest_line, records, outcomes = finish_tests(run, base, junit)
    report = dict(
        run=dict(when=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 command=shlex.join(["python", "-m", "parity_tests.report", *argv]),
                 pytest=pytest_line, seconds=time.perf_counter() - start, **versions()),
        entries=build_entries(CATALOG, records, outcomes),
        figures=figures,
    )  # fmt: skip
    return report, returncode, records


def write(report: dict, out: Path) -> tuple[Path, Path]:
    """report.html (with the figures' PNGs) and report.json (the same figures, no images)."""
    from parity_tests.report_html import page

    out.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out / "report.html", out / "report.json"
    html_path.write_text(page(report, SECTIONS), encoding="utf-8")
    slim = report | dict(figures=[{k: v for k, v in f.items() if k != "png"}
                                  for f in report["figures"]])  # fmt: skip
    json_path.write_text(json.dumps(slim, indent=1), encoding="utf-8")
    return html_path, json_path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    report, returncode, records = build_report(args, argv)
    html_path, json_path = write(report, args.out)
    print(records_mod.format_table(records_mod.worst_by_component(records)))
    failed = [e["scratch"] for e in report["entries"] if e["status"] == "failed"]
    for f in report["figures"]:
        print(f"figure {f['name']:24} {f['status']:12} {f['seconds']:5.1f} s")
    print(f"\n{report['run']['pytest']}; {len(failed)} entries failed {failed or ''}")
    print(f"wrote {html_path} and {json_path} in {report['run']['seconds']:.1f} s")
    return 1 if returncode or failed else 0


if __name__ == "__main__":
    sys.exit(main())
