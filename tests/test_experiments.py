"""Each research script in experiments/ runs end to end at its reduced size and writes its figures
and its table."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.py") if p.stem != "common")


def test_every_question_of_the_issue_has_a_script():
    assert SCRIPTS == ["chip_exemption", "friendshoring", "rare_earths", "retaliation", "sensitivity"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_runs_quick_and_writes_figures_and_a_table(tmp_path, script):
    out = tmp_path / script
    done = subprocess.run([sys.executable, str(ROOT / "experiments" / f"{script}.py"), "--quick", "--workers", "0",
                           "--out", str(out), "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "0 failed" in done.stdout, done.stdout
    table = pd.read_csv(out / "table.csv")
    assert len(table) >= 2 and table.select_dtypes("number").notna().any().sum() >= 3
    figures = sorted(out.glob("*.png"))
    assert len(figures) >= 2, figures
    for figure in figures:
        assert figure.read_bytes()[:4] == b"\x89PNG"
    assert (out / "sweep-quick" / "manifest.json").is_file()
    if script == "sensitivity":  # a quick Sobol sample is far too small for its indices to mean anything
        assert "caution: small sample" in done.stdout, done.stdout


def test_a_quick_run_has_its_own_folder(monkeypatch):
    sys.path.insert(0, str(ROOT / "experiments"))
    try:
        import common
    finally:
        sys.path.remove(str(ROOT / "experiments"))
    monkeypatch.setattr(sys, "argv", ["retaliation.py", "--quick"])
    assert common.arguments("retaliation", "?").out == ROOT / "results" / "retaliation-quick"
    monkeypatch.setattr(sys, "argv", ["retaliation.py"])
    assert common.arguments("retaliation", "?").out == ROOT / "results" / "retaliation"
