"""`sim run` end to end: the files it promises, and bad input exiting 2 without a traceback."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.errors import ScenarioError
from sim.sweep.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "scenarios" / "tiny.yaml"
PROMISED = ["output.parquet", "flows.parquet", "prices.parquet", "unmet_demand.parquet", "tariff_revenue.parquet",
            "summary.json", "throughput.png", "disruption.png"]


def sim_run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sim", "run", *map(str, args), "--quiet"], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("scenario", [None, "tiny"])
def test_run_writes_the_promised_files(tmp_path, scenario):
    out = tmp_path / "out"
    args = ([scenario] if scenario else []) + ["--steps", 40, "--out", out]
    done = sim_run(*args)
    assert done.returncode == 0, done.stderr
    for name in PROMISED:
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 40 and summary["reference"] == "baseline run"
    assert "peak loss %" in done.stdout and "by origin economy" in done.stdout
    flows = pd.read_parquet(out / "flows.parquet")
    assert flows["step"].max() == 40 and (flows["value"] >= 0).all()


def test_set_overrides_reach_the_model(tmp_path):
    shock = "capacity_shocks=[{cells: [MY.chips], share: 0.8, start_day: 1, duration_days: 20}]"
    done = sim_run("tiny", "--steps", 30, "--set", shock, "--set", "sectors.chips.inventory_days=2",
                   "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["by_economy"]["MY"]["peak_loss_pct"] > 10


def write_bad(tmp_path, mutate):
    raw = yaml.safe_load(TINY.read_text())
    mutate(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


BAD_CASES = {
    "unknown country": (lambda r: r["io"]["intermediate"][0].update(importer="XX"),
                        ["io.intermediate[0].importer", "'XX'", "US, CN, MY"]),
    "negative flow": (lambda r: r["io"]["final_demand"][0].update(value=-5),
                      ["io.final_demand[0].value", "-5", "greater than or equal to 0"]),
    "missing sector": (lambda r: r["io"]["intermediate"][0].pop("sector"),
                       ["io.intermediate[0].sector", "missing"]),
    "zero-output cell": (lambda r: r["network"].update(cells={"US.materials": 0}),
                         ["network.cells.US.materials", "0 firms", "has output"]),
    "typo": (lambda r: r.setdefault("engine", {}).update(restoraton_days=3),
             ["engine.restoraton_days", "unknown key", "restoration_days"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_exits_2_with_a_clear_message(tmp_path, case):
    mutate, expected = BAD_CASES[case]
    path = write_bad(tmp_path, mutate)
    done = sim_run(path, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr
    for fragment in expected:
        assert fragment in done.stderr, (fragment, done.stderr)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", sorted((ROOT / "configs" / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_loads_and_runs(path):
    import sim

    results = sim.run(path, steps=20)
    assert results.steps == 20 and results.summary()["firms"] > 0


def test_version_and_the_list_of_what_ships(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"sim {sim.__version__}"
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    shipped = ROOT / "configs"
    for kind in ("scenarios", "sweeps"):
        for path in (shipped / kind).glob("*.yaml"):
            assert f"  {path.stem} " in listing, path.stem
    assert "tiny_grid" in listing and "US tariff on China x switching time" in listing
    line = next(row for row in listing.splitlines() if "experiments/retaliation.py" in row)
    assert line.split()[1:4] == ["Retaliation", "or", "not:"]


def test_a_sweep_spec_is_found_by_name():
    spec = load_spec("tiny_grid")
    assert Path(spec.file) == ROOT / "configs" / "sweeps" / "tiny_grid.yaml" and spec.name == "tiny_grid"
    with pytest.raises(ScenarioError, match="no sweep named 'tiny_gird'; known sweeps: default_morris"):
        load_spec("tiny_gird")
