"""Make docs/records.json: run the catalog's tests, keep each component's worst headroom.

    python docs/_ext/make_records.py                    # every entry's tests (-n 2)
    python docs/_ext/make_records.py --records /tmp/rec  # reuse a PARITY_RECORD dump

It runs the listed tests in a pytest subprocess with ``PARITY_RECORD`` set (each comparison
of ``harness.assert_close`` is recorded with its test's node id), maps the records to the
catalog's entries (``report_data.build_entries``) and writes the file the site's component
pages read, naming the command, the machine and the versions that made it. Exit status 1
when a test failed (nothing is written then: the site shows only a passing run).
"""

from __future__ import annotations

import os

# Tiny matrices: BLAS and torch threads only add contention (see conftest), so one each.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

import sources  # noqa: E402  (docs/_ext: the one module that imports the project)

ROOT = sources.ROOT
TEST_DIR = "parity_tests"
OUT = ROOT / "docs" / "records.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make_records.py", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=OUT, help=f"the file to write ({OUT.name})")
    p.add_argument("--records", metavar="BASE",
                   help="reuse the dump <BASE>.*.jsonl of an earlier PARITY_RECORD run")  # fmt: skip
    p.add_argument("-n", "--workers", type=int, default=2, help="pytest-xdist workers (0: none)")
    return p.parse_args(argv)


def junit_outcomes(path: Path) -> dict[str, Counter]:
    """{"test_x.py::test_y": Counter(passed=, failed=, error=, skipped=)} from pytest's XML."""
    outcomes: dict[str, Counter] = defaultdict(Counter)
    for case in ET.parse(path).iter("testcase"):
        module = case.get("classname", "").split(".")
        file = next((m for m in reversed(module) if m.startswith("test_")), module[-1])
        key = sources.catalog_test_name(f"{file}.py::{case.get('name', '')}")
        kinds = {child.tag for child in case}
        kind = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
        outcomes[key][{"failure": "failed"}.get(kind, kind)] += 1
    return dict(outcomes)


def run_tests(tests: list[str], base: str, workers: int, junit: Path) -> tuple[int, str]:
    """pytest on the tests with PARITY_RECORD=base; its exit status and a summary line."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}",
           *(["-n", str(workers)] if workers else []), *(f"{TEST_DIR}/{t}" for t in tests)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PARITY_RECORD"] = base
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode not in (0, 1):  # 1: tests failed (named per entry); else pytest broke
        sys.stderr.write((run.stdout + run.stderr)[-6000:])
    outcomes = junit_outcomes(junit) if junit.exists() else {}
    total = sum(outcomes.values(), Counter())
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(total.items()) if n) or "none run"
    return run.returncode, f"{len(outcomes)} test functions, {counts} cases", outcomes


def machine() -> str:
    """The CPU model and core count, the OS, Python: what the numbers were measured on."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"  # fmt: skip


def slim(entry: dict) -> dict:
    """What a component page shows: status, per-test outcomes, worst headroom, comparisons."""
    keep = ("status", "tests_run", "comparisons", "worst_float64", "worst_float64_at",
            "worst_float32", "worst_float32_at")  # fmt: skip
    return {k: entry[k] for k in keep}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    start = time.perf_counter()
    tests = list(dict.fromkeys(t for e in sources.CATALOG for t in e.tests))
    if args.records:
        returncode, outcomes = 0, None
        records = sources.load_records(args.records)
        line = f"records reused from {args.records}.*.jsonl ({len(records)} comparisons)"
    else:
        with tempfile.TemporaryDirectory(prefix="parity-records-") as tmp:
            base, junit = f"{tmp}/rec", Path(tmp) / "junit.xml"
            returncode, line, outcomes = run_tests(tests, base, args.workers, junit)
            records = sources.load_records(base)
    entries = sources.build_entries(sources.CATALOG, records, outcomes)
    failed = [e["scratch"] for e in entries if e["status"] in ("failed", "over tolerance")]
    print(f"{line}; {len(records)} comparisons; {len(failed)} entries failed {failed or ''}")
    if returncode or failed:
        return 1
    run = dict(when=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               command=shlex.join(["python", "docs/_ext/make_records.py", *argv]),
               machine=machine(), pytest=line, seconds=round(time.perf_counter() - start, 1),
               torch=version("torch"), numpy=version("numpy"))  # fmt: skip
    data = dict(run=run, entries={e["scratch"]: slim(e) for e in entries})
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {run['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
