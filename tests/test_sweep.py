"""Sweeps end to end: identical results on 1 process, 2 processes and a Dask LocalCluster; resuming
after a real SIGKILL of the driver; failed runs recorded; bad specs refused before any run."""

import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.errors import ScenarioError
from sim.sweep import analysis, worker
from sim.sweep.designs import DesignPoints
from sim.sweep.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
VOLATILE = ["worker", "elapsed_s"]


def small_spec(**changes) -> dict:
    """A 2 x 2 grid on the tiny trade war with 2 replicates (8 runs of 40 steps)."""
    spec = {
        "name": "small",
        "base": "tiny_trade_war",
        "steps": 40,
        "design": {"type": "grid"},
        "replicates": 2,
        "parameters": [
            {"name": "tariff_cn", "path": "tariffs.applied.0.rate", "values": [0.2, 0.8]},
            {"name": "switching_days", "path": "engine.switching_days", "values": [15, 90]},
        ],
        "outputs": {"metrics": ["throughput.cumulative_loss_days", "exports.CN.peak_loss_pct",
                                "purchases.US.chips.peak_loss_pct", "tariff_revenue"],
                    "timeseries": ["throughput", "exports.MY"]},
    }
    spec.update(changes)
    return spec


def stable(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = analysis.load_runs(out).drop(columns=VOLATILE)
    series = analysis.load_series(out).sort_values(["run_id", "series", "step"]).reset_index(drop=True)
    return runs, series


def test_one_process_two_processes_and_dask_give_identical_results(tmp_path):
    from distributed import Client, LocalCluster

    method, environment, main_module = multiprocessing.get_start_method(), dict(os.environ), sys.modules["__main__"]
    spec = small_spec()
    base_raw = load_spec(spec).base_raw()
    one = sim.sweep(spec, workers=1, out=tmp_path / "one", progress=False)
    two = sim.sweep(spec, workers=2, out=tmp_path / "two", progress=False)
    fresh = sim.sweep(spec, workers=0, out=tmp_path / "fresh", progress=False, reuse=False)  # nothing reused
    assert load_spec(spec).base_raw() == base_raw
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        dask = sim.sweep(spec, scheduler=cluster.scheduler_address, out=tmp_path / "dask", progress=False)
        with Client(cluster) as client:
            executor = sim.sweep(spec, executor=client.get_executor(), workers=2, out=tmp_path / "executor",
                                 progress=False)
    assert multiprocessing.get_start_method() == method  # never changed behind the user's back
    assert dict(os.environ) == environment and sys.modules["__main__"] is main_module
    for result in (one, two, dask, executor):
        assert (result.runs_total, result.runs_finished, result.runs_failed) == (8, 8, 0)
    runs_one, series_one = stable(one.out)
    assert runs_one["tariff_revenue"].nunique() > 2  # the parameters and seeds do change the runs
    assert len(series_one) == 8 * 2 * 40
    for other in (two, dask, executor, fresh):
        runs, series = stable(other.out)
        pd.testing.assert_frame_equal(runs, runs_one)
        pd.testing.assert_frame_equal(series, series_one)
    pids = set(analysis.load_runs(two.out)["worker"].str.split(":").str[1].astype(int))
    assert os.getpid() not in pids and 1 <= len(pids) <= 2  # worker processes (one may do all: runs are short)


def test_reused_networks_and_baselines_give_the_runs_built_afresh_on_the_default_scenario(tmp_path):
    spec = {"name": "reuse", "base": "us_tariffs_2025", "steps": 120, "design": {"type": "grid"}, "replicates": 2,
            "parameters": [{"name": "us_on_my", "path": "tariffs.applied.0.increase", "values": [0.1, 0.5]},
                           {"name": "second", "path": "tariffs.applied.1.increase", "values": [0.05, 0.3]}],
            "outputs": {"metrics": ["throughput.cumulative_loss_days", "exports.MY.peak_loss_pct", "tariff_revenue",
                                    "tariff_revenue_reference"], "timeseries": ["throughput"]}}
    reused = sim.sweep(spec, workers=0, out=tmp_path / "reused", progress=False)  # in this process
    assert [key[1] for key in worker._reused] == load_spec(spec).replicate_seeds()  # one entry per seed
    fresh = sim.sweep(spec, workers=0, out=tmp_path / "fresh", progress=False, reuse=False)
    for a, b in zip(stable(reused.out), stable(fresh.out), strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert stable(reused.out)[0]["tariff_revenue"].nunique() == 8  # the swept policies do change the runs


def test_rerun_skips_finished_runs_and_a_changed_spec_is_refused(tmp_path):
    spec = small_spec(parameters=small_spec()["parameters"][:1], replicates=1)
    with ThreadPoolExecutor(2) as pool:  # any concurrent.futures.Executor
        first = sim.sweep(spec, executor=pool, out=tmp_path / "s", progress=False)
        again = sim.sweep(spec, executor=pool, out=tmp_path / "s", progress=False)
        assert (first.runs_this_session, again.runs_this_session, again.runs_finished) == (2, 0, 2)
        changed = small_spec(parameters=small_spec()["parameters"][:1], replicates=1, steps=41)
        with pytest.raises(ScenarioError, match="different sweep"):
            sim.sweep(changed, executor=pool, out=tmp_path / "s", progress=False)
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["spec"]["steps"] == 40 and len(manifest["sessions"]) == 2
    assert manifest["sim_version"] == sim.__version__ and len(manifest["replicate_seeds"]) == 1


DRIVER = """
import sys
import sim

# no __main__ guard on purpose: the workers must not re-run this script
sim.sweep(sys.argv[1], workers=1, out=sys.argv[2], progress=False, batch_runs=3, runs_per_task=1)
print("sweep done")
"""


def finished_on_disk(out: Path) -> set[int]:
    """Run ids recorded in Parquet parts or in the journal (a torn last line is ignored)."""
    if not (out / "manifest.json").is_file():
        return set()
    runs = analysis.load_runs(out)
    ids = set(runs["run_id"]) if len(runs) else set()
    journal = out / "journal.jsonl"
    if journal.is_file():
        for line in journal.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                ids.add(json.loads(line)["row"]["run_id"])
    return ids


def live_in_group(group: int) -> int:
    """Processes of a process group that are alive (zombies excluded), read from /proc."""
    alive = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            alive += fields[0] != "Z" and int(fields[2]) == group
    return alive


def test_sigkill_of_the_driver_then_rerun_loses_and_repeats_nothing(tmp_path):
    spec_file = tmp_path / "kill.yaml"
    spec_file.write_text(yaml.safe_dump(small_spec(name="kill", steps=60, replicates=6)))  # 24 runs
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(DRIVER))
    out = tmp_path / "killed"
    driver = subprocess.Popen([sys.executable, str(script), str(spec_file), str(out)], cwd=ROOT,
                              start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(finished_on_disk(out)) < 5 and time.monotonic() < deadline and driver.poll() is None:
            time.sleep(0.05)
        assert driver.poll() is None, driver.communicate()[1].decode()[-2000:]
        assert live_in_group(driver.pid) >= 2  # the driver and its worker
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=30)
        deadline = time.monotonic() + 20
        while live_in_group(driver.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert live_in_group(driver.pid) == 0  # the worker exited with its driver: no orphan
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)
    assert driver.returncode == -signal.SIGKILL
    before = finished_on_disk(out)
    assert 5 <= len(before) < 24
    rerun = subprocess.run([sys.executable, str(script), str(spec_file), str(out)], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0 and "sweep done" in rerun.stdout, rerun.stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sessions"][-1]["runs"] == 24 - len(before)  # finished runs were not repeated
    assert any("took over the lock" in note for note in manifest["sessions"][-1]["repairs"])
    assert manifest["runs_finished"] == 24
    with ThreadPoolExecutor(2) as pool:
        whole = sim.sweep(spec_file, executor=pool, out=tmp_path / "whole", progress=False)
    killed_runs, killed_series = stable(out)
    whole_runs, whole_series = stable(whole.out)
    pd.testing.assert_frame_equal(killed_runs, whole_runs)
    pd.testing.assert_frame_equal(killed_series, whole_series)


def test_a_run_that_raises_is_recorded_as_failed_and_the_others_complete(tmp_path):
    spec = small_spec(
        name="failing", replicates=1,
        overrides={"tariffs.applied": [{"importer": "US", "exporters": ["CN"], "rate": 0.3, "start_day": 0,
                                        "end_day": 200}]},
        parameters=[{"name": "start", "path": "tariffs.applied.0.start_day", "values": [10, 50]},
                    {"name": "end", "path": "tariffs.applied.0.end_day", "values": [30, 100]}],
    )
    result = sim.sweep(spec, workers=1, out=tmp_path / "f", progress=False)  # a worker process
    runs = analysis.load_runs(result.out)
    assert (result.runs_finished, result.runs_failed) == (3, 1)
    assert runs["worker"].str.split(":").str[1].astype(int).ne(os.getpid()).all()
    bad = runs[runs["status"] == "failed"].iloc[0]
    assert (bad["start"], bad["end"]) == (50, 30)
    assert "ScenarioError" in bad["error"] and "end_day 30 is not after start_day 50" in bad["error"]
    assert pd.isna(bad["throughput.cumulative_loss_days"])
    assert runs.loc[runs["status"] == "ok", "throughput.cumulative_loss_days"].notna().all()


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"parameters": [{"name": "x", "path": "engine.restoraton_days", "values": [1, 2]}]},
     "parameters[0].path", "unknown key 'restoraton_days'"),
    ({"parameters": [{"name": "x", "path": "economies.XX.label", "values": ["a"]}]},
     "parameters[0].path", "no list item 'XX'"),
    ({"parameters": [{"name": "x", "path": "engine.switching_days", "low": 30, "high": 30}],
      "design": {"type": "lhs", "n": 4}}, "parameters[0].low", "empty range"),
    ({"parameters": [{"name": "x", "path": "engine.switching_days", "values": []}]},
     "parameters[0].values", "empty list"),
    ({"parameters": [{"name": "x", "path": "engine.switching_days", "values": [-5, 10]}]},
     "parameters[0].path", "greater than 0"),
    ({"design": {"type": "latin_square", "n": 4}}, "design.type", "allowed: grid, random, lhs, sobol, morris"),
    ({"design": {"type": "sobol", "n": 6}}, "design.n", "power of 2"),
    ({"outputs": {"metrics": ["exports.XX.peak_loss_pct"]}}, "outputs.metrics[0]", "unknown economy 'XX'"),
    ({"outputs": {"metrics": ["throughput.worst"]}}, "outputs.metrics[0]", "must end in one of"),
    ({"base": "no_such_scenario"}, "base", "no scenario named"),
])
def test_a_bad_spec_is_refused_before_any_run(tmp_path, change, field, message):
    spec_file = tmp_path / "bad.yaml"
    spec_file.write_text(yaml.safe_dump(small_spec(**change)))
    out = tmp_path / "out"
    with pytest.raises(ScenarioError) as err:
        sim.sweep(spec_file, workers=1, out=out, progress=False)
    assert message in str(err.value) and err.value.field == field and err.value.file == str(spec_file)
    assert not out.exists()  # nothing started


def test_a_binary_spec_is_a_clear_error(tmp_path):
    spec_file = tmp_path / "bad.yaml"
    spec_file.write_bytes(b"\xff\xfe\x00 not yaml")
    with pytest.raises(ScenarioError, match="not a text file") as err:
        sim.sweep(spec_file, workers=1, out=tmp_path / "out", progress=False)
    assert err.value.file == str(spec_file) and not (tmp_path / "out").exists()


def test_cli_bad_spec_exits_2_without_traceback(tmp_path, capsys):
    spec_file = tmp_path / "bad.yaml"
    spec_file.write_text(yaml.safe_dump(small_spec(design={"type": "factorial"})))
    assert main(["sweep", str(spec_file), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown design 'factorial'" in err and "Traceback" not in err


@pytest.mark.parametrize(("design", "points"), [
    ({"type": "random", "n": 7}, 7), ({"type": "lhs", "n": 6}, 6),
    ({"type": "sobol", "n": 4}, 4 * (3 + 2)), ({"type": "sobol", "n": 4, "second_order": True}, 4 * (2 * 3 + 2)),
    ({"type": "morris", "n": 3, "levels": 4}, 3 * (3 + 1)),
])
def test_designs_are_deterministic_and_inside_the_ranges(design, points):
    spec = load_spec(small_spec(design=design, parameters=[
        {"name": "switching", "path": "engine.switching_days", "low": 10, "high": 200, "scale": "log"},
        {"name": "inventory", "path": "sectors.chips.inventory_days", "low": 2, "high": 30, "integer": True},
        {"name": "rule", "path": "retaliation.0.rule", "levels": {"none": "none", "tft": "tit_for_tat"}},
    ]))
    a, b = DesignPoints.of(spec), DesignPoints.of(spec)
    assert len(a) == points
    rows = pd.DataFrame([a.values(i) for i in range(len(a))])
    pd.testing.assert_frame_equal(rows, pd.DataFrame([b.values(i) for i in range(len(b))]))
    assert rows["switching"].between(10, 200).all() and rows["inventory"].between(2, 30).all()
    assert set(rows["rule"]) <= {"none", "tft"}
    assert a.overrides(a.values(0))["retaliation.0.rule"] in ("none", "tit_for_tat")


def test_sobol_and_morris_indices_and_the_standard_figures(tmp_path):
    parameters = [{"name": "tariff_cn", "path": "tariffs.applied.0.rate", "low": 0.0, "high": 1.0},
                  {"name": "smoothing", "path": "engine.demand_smoothing_days", "low": 5, "high": 6}]
    metric = "throughput.cumulative_loss_days"
    with ThreadPoolExecutor(2) as pool:
        sobol = sim.sweep(small_spec(name="sobol", design={"type": "sobol", "n": 8}, replicates=1,
                                     parameters=parameters, outputs={"metrics": [metric],
                                                                     "timeseries": ["exports.CN"]}),
                          executor=pool, out=tmp_path / "sobol", progress=False)
        morris = sim.sweep(small_spec(name="morris", design={"type": "morris", "n": 4}, replicates=1,
                                      parameters=parameters, outputs={"metrics": [metric]}),
                           executor=pool, out=tmp_path / "morris", progress=False)
    s = analysis.sobol_indices(sobol.out, metric)
    m = analysis.morris_indices(morris.out, metric)
    assert s.loc["tariff_cn", "ST"] > s.loc["smoothing", "ST"]  # the tariff drives the loss
    assert m.loc["tariff_cn", "mu_star"] > m.loc["smoothing", "mu_star"]
    written = analysis.write_figures(sobol.out)
    names = sorted(p.name for p in written)
    assert names == ["fan_exports.CN.png", f"tornado_{metric}.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("path", sorted((ROOT / "configs" / "sweeps").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_sweep_spec_is_valid(path):
    spec = load_spec(path)
    assert len(DesignPoints.of(spec)) >= 2


def test_cli_runs_a_sweep_and_writes_its_figures(tmp_path, capsys):
    out = tmp_path / "grid"
    argv = ["sweep", str(ROOT / "configs" / "sweeps" / "tiny_grid.yaml"), "--workers", "0", "--out", str(out),
            "--quiet"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "tiny_grid: 18/18 runs finished, 0 failed; 18 ran now" in text
    assert (out / "figures" / "heatmap_throughput.cumulative_loss_days.png").is_file()
    assert (out / "figures" / "fan_throughput.png").is_file()
    assert main(argv) == 0 and "0 ran now" in capsys.readouterr().out


def test_profile_times_the_first_runs_by_part_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "tiny_grid", "--profile", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["runs"] == 4 and not report["failed"]
    shares = report["shares"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert 0.0 < shares["engine step"] < 1.0 and shares["model set-up (network build when not reused)"] > 0.0
    assert all(share >= -1e-9 for share in shares.values())  # the parts never call one another
    assert report["runs_per_min"] == pytest.approx(60.0 * 4 / report["wall_s"])
    assert not any(tmp_path.iterdir())  # no store, no figures
    from sim.engine.core import Engine

    assert Engine.step.__name__ == "step"  # the timed wrappers are gone
    assert main(["sweep", "tiny_grid", "--profile", "2"]) == 0
    text = capsys.readouterr().out
    assert "2 runs in this process" in text and "engine step" in text
    assert main(["sweep", "tiny_grid", "--profile", "0"]) == 2
    # a policy-only sweep reuses each seed's network and baseline, and its first runs are one seed's
    spec = {"name": "profile_policy", "base": "tiny_trade_war", "replicates": 3, "steps": 20,
            "design": {"type": "random", "n": 4},
            "parameters": [{"name": "cn_rate", "path": "tariffs.applied.0.rate", "low": 0.1, "high": 0.6}],
            "outputs": {"metrics": ["throughput.cumulative_loss_days"]}}
    from sim.sweep.profile import profile

    report = profile(spec, 4)
    assert report["reuse"] and report["network_builds"] == 1 and not report["failed"]
    with pytest.raises(ValueError, match="one or more"):
        profile(spec, 0)
