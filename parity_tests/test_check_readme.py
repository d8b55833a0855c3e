"""The checker's manual (docs/check.md, the site's "Check your own code") says what it really does.

The worked example is run exactly as the page writes it, and its documented verdict
(the failing tensors, the diagnosis) must be what it prints; the mistake table must list
every catalogued mistake, so neither can go stale.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parity_check import check, cli
from parity_check.mistakes import MISTAKES

ROOT = Path(__file__).resolve().parents[1]
SECTION = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")


def test_the_worked_example_gives_the_documented_verdict(capsys, monkeypatch):
    command = re.search(r"^\$ parity-check (BatchNorm2d examples/\S+)$", SECTION, re.M).group(1)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "200")
    status = cli.main(command.split())
    out = capsys.readouterr().out
    assert status == 1
    documented = re.search(r"^diagnosis: (.+?) \[", SECTION, re.M | re.S).group(1)
    assert " ".join(documented.split()) in " ".join(out.split())
    assert "[batchnorm-biased-running-var; course section: Regularisation]" in " ".join(out.split())
    assert "FAIL: 16 of 24 comparisons out of tolerance" in out
    assert "note: parameters mapped: weight=gamma, bias=beta" in out


def test_the_fixed_example_passes(tmp_path, monkeypatch, capsys):
    source = (ROOT / "examples" / "batchnorm_course_style.py").read_text()
    fixed = source.replace("+ m * var  #", "+ m * var * n / (n - 1)  #").replace(
        "mean, var = x.mean(axis=axes), x.var(axis=axes)",
        "mean, var = x.mean(axis=axes), x.var(axis=axes)\n            n = x.size // x.shape[1]",
    )
    assert fixed != source
    (tmp_path / "fixed.py").write_text(fixed)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["BatchNorm2d", "fixed.py:BatchNorm2d"]) == 0
    assert (
        "PASS: fixed.py:BatchNorm2d matches torch.nn.BatchNorm2d in all 24 comparisons"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.key for m in MISTAKES])
def test_the_mistake_table_lists_every_mistake(mistake):
    assert f"| `{mistake.key}` |" in SECTION


def test_your_first_check_passes_in_scope_and_its_documented_mistake_is_named(
    tmp_path, monkeypatch
):
    code = re.search(r"## Your first check.*?```python\n(.*?)```", SECTION, re.S).group(1)
    (tmp_path / "my_linear.py").write_text(code)
    (tmp_path / "averaged.py").write_text(code.replace("sum(axis=0)", "mean(axis=0)"))
    monkeypatch.chdir(tmp_path)
    verdict = check("Linear", "my_linear.py:MyLinear")
    assert verdict.passed and verdict.in_scope and len(verdict.not_covered) == 2
    said = re.search(r"^(PASS \(in scope\): .+?listed above\))$", SECTION, re.M | re.S).group(1)
    assert " ".join(said.split()) == verdict.summary()
    wrong = check("Linear", "averaged.py:MyLinear")
    assert not wrong.passed and wrong.diagnosis.mistake == "linear-bias-grad-averaged"
