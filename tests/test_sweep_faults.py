"""Faults a sweep survives: a folder in use, damaged parts, a killed worker, a full disk.

Each fault is real: another process holds the lock, bytes of a written part are flipped or cut, a
worker process is SIGKILLed while the sweep runs, writes go to /dev/full (ENOSPC from the kernel).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml
from test_sweep import live_in_group, small_spec, stable

import sim
from sim.cli import main
from sim.errors import ScenarioError, StorageError
from sim.sweep import analysis, runner, store
from sim.sweep.designs import DesignPoints
from sim.sweep.parts import read_log, write_part
from sim.sweep.runner import SweepResult
from sim.sweep.spec import load_spec
from sim.sweep.worker import RunRecord

ROOT = Path(__file__).resolve().parents[1]
HOLD_LOCK = ("import sys; from pathlib import Path; from sim.sweep.lock import FolderLock; "
             "lock = FolderLock(Path(sys.argv[1])); print('held', flush=True); sys.stdin.read()")


def spec_file(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(small_spec(**changes)))
    return path


def test_a_second_sweep_into_a_folder_in_use_is_refused_and_a_dead_holders_lock_is_taken_over(tmp_path, capsys):
    out, spec = tmp_path / "out", spec_file(tmp_path, replicates=1)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["sweep", str(spec), "--workers", "0", "--out", str(out), "--quiet", "--no-figures"]) == 2
        message = capsys.readouterr().err
        assert f"another sweep (pid {holder.pid} on" in message and "give another --out" in message
        assert not (out / "manifest.json").exists()  # refused before anything was written
    finally:
        holder.kill()
        holder.wait()
    result = sim.sweep(spec, workers=0, out=out, progress=False)
    assert result.runs_finished == 4
    assert any(f"no longer running (pid {holder.pid} on" in note for note in result.repairs)
    assert (out / ".lock").read_text() == ""  # released at the end
    assert sim.sweep(spec, workers=0, out=out, progress=False).repairs == []


def test_damaged_parts_are_refused_on_load_set_aside_on_resume_and_their_runs_recomputed(tmp_path):
    spec = small_spec()
    clean = sim.sweep(spec, workers=0, out=tmp_path / "clean", progress=False)
    out = tmp_path / "damaged"
    sim.sweep(spec, workers=0, out=out, progress=False, batch_runs=2, flush_seconds=1e9)  # 4 pairs of parts
    runs_part, series_part = out / "runs" / "part-00001.parquet", out / "series" / "part-00002.parquet"
    data = bytearray(runs_part.read_bytes())
    for offset in (8, len(data) // 3, len(data) // 2, len(data) - 12):  # single bits, here and there
        flipped = bytearray(data)
        flipped[offset] ^= 0x10
        runs_part.write_bytes(flipped)
        with pytest.raises(ScenarioError, match=r"runs/part-00001.parquet is damaged \(its checksum differs"):
            analysis.load_runs(out)
    series_part.write_bytes(b"")  # a zero-byte part
    with pytest.raises(ScenarioError, match=r"series/part-00002.parquet is damaged \(0 bytes where"):
        analysis.load_series(out)
    resumed = sim.sweep(spec, workers=0, out=out, progress=False)
    assert resumed.runs_this_session == 4 and resumed.runs_finished == 8  # 2 runs in each damaged pair
    assert len(resumed.repairs) == 2
    assert any(str(runs_part) in note and "checksum differs" in note for note in resumed.repairs)
    assert any(str(series_part) in note and "(0 bytes where" in note for note in resumed.repairs)
    assert len(list((out / "damaged").iterdir())) == 4  # both parts of each damaged pair, kept for inspection
    for kept, expected in zip(stable(out), stable(clean.out), strict=True):
        assert kept.equals(expected)


def sweep_workers(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(pid).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]


def kill_a_worker_once_runs_finish(out: Path, killed: list[int], first_pool: set[int]) -> None:
    """From a thread: SIGKILL one worker process once the sweep has journaled its first run."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        journal = out / "journal.jsonl"
        workers = sweep_workers(os.getpid())
        if workers and journal.is_file() and journal.stat().st_size > 0:
            first_pool.update(p.pid for p in workers)
            os.kill(workers[0].pid, signal.SIGKILL)
            killed.append(workers[0].pid)
            return
        time.sleep(0.02)


def sweep_killing_a_worker(spec: dict, out: Path, **where) -> tuple[SweepResult, set[int]]:
    """Run the sweep while a thread SIGKILLs one of its workers; the result and the first pool's pids."""
    killed: list[int] = []
    first_pool: set[int] = set()
    killer = threading.Thread(target=kill_a_worker_once_runs_finish, args=(out, killed, first_pool))
    killer.start()
    result = sim.sweep(spec, out=out, progress=False, runs_per_task=1, **where)
    killer.join()
    assert len(killed) == 1 and not psutil.pid_exists(killed[0])
    return result, first_pool


@pytest.mark.parametrize("attempts", [runner.ATTEMPTS, 1])
def test_a_killed_worker_is_replaced_and_its_runs_retried_or_recorded_as_lost(tmp_path, monkeypatch, attempts):
    monkeypatch.setattr(runner, "ATTEMPTS", attempts)
    spec, out = small_spec(steps=1000), tmp_path / "out"
    result, first_pool = sweep_killing_a_worker(spec, out, workers=2)
    runs = analysis.load_runs(out)
    pids = {int(worker.rsplit(":", 1)[1]) for worker in runs["worker"].dropna()}
    if attempts > 1:  # retried on a fresh pool: every run finished, none lost
        assert (result.runs_finished, result.runs_failed, result.runs_lost) == (8, 0, 0)
        assert pids - first_pool  # the replacement pool's processes did the runs left at the kill
    else:  # no retry allowed: the runs in flight are lost, not failed, and the next resume runs them
        assert result.runs_lost >= 1 and result.runs_failed == 0
        lost = runs[runs["status"] == "lost"]
        assert lost["error"].str.startswith("worker lost 1 times: BrokenProcessPool").all()
        again = sim.sweep(spec, workers=1, out=out, progress=False)
        assert again.runs_this_session == result.runs_lost and again.runs_lost == 0 and again.runs_finished == 8


def test_a_full_disk_stops_the_sweep_with_one_line_and_keeps_what_finished(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(store, "WRITE_PAUSE_S", 0.01)
    out, spec = tmp_path / "out", spec_file(tmp_path)
    out.mkdir()
    (out / "journal.jsonl").symlink_to("/dev/full")  # every write to it fails with ENOSPC
    code = main(["sweep", str(spec), "--workers", "0", "--out", str(out), "--quiet", "--no-figures"])
    message = capsys.readouterr().err
    assert code == 2 and "cannot write" in message and "No space left on device" in message
    assert "run the same command again to resume" in message and "Traceback" not in message
    (out / "journal.jsonl").unlink()
    resumed = sim.sweep(spec, workers=0, out=out, progress=False)
    assert resumed.runs_finished == 8


def test_a_part_written_to_a_full_disk_leaves_nothing_behind(tmp_path):
    import pyarrow as pa

    target = tmp_path / "part-00000.parquet"
    (tmp_path / "part-00000.parquet.tmp").symlink_to("/dev/full")
    with pytest.raises(OSError, match="No space left"):
        write_part(pa.table({"x": list(range(100_000))}), target)
    assert not target.exists() and not (tmp_path / "part-00000.parquet.tmp").exists()


def test_a_report_written_to_a_full_disk_is_one_line(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").symlink_to("/dev/full")
    assert main(["run", "tiny_trade_war", "--steps", "5", "--out", str(out), "--quiet"]) == 2
    message = capsys.readouterr().err
    assert message.startswith(f"error: cannot write {out}: No space left on device") and "allowed: a folder" in message


def test_a_folder_from_before_checksums_is_adopted_and_its_unreadable_parts_recomputed(tmp_path):
    spec, out = small_spec(), tmp_path / "old"
    clean = sim.sweep(spec, workers=0, out=tmp_path / "clean", progress=False)
    sim.sweep(spec, workers=0, out=out, progress=False, batch_runs=4, flush_seconds=1e9)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["checksums"]  # as written before parts were logged
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "parts.jsonl").unlink()
    part = out / "runs" / "part-00000.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    with pytest.raises(ScenarioError, match=r"runs/part-00000.parquet is damaged \(unreadable\)"):
        analysis.load_runs(out)
    resumed = sim.sweep(spec, workers=0, out=out, progress=False)
    assert resumed.runs_this_session == 4 and resumed.runs_finished == 8 and len(resumed.repairs) == 1
    assert set(read_log(out)) == {"runs/part-00001.parquet", "series/part-00001.parquet", "runs/part-00002.parquet",
                                  "series/part-00002.parquet"}
    for kept, expected in zip(stable(out), stable(clean.out), strict=True):
        assert kept.equals(expected)


DASK_DRIVER = "import sys, sim; sim.sweep(sys.argv[1], dask_local=1, out=sys.argv[2], progress=False, runs_per_task=1)"


def test_a_killed_driver_leaves_no_dask_workers_behind(tmp_path):
    spec = spec_file(tmp_path, steps=200, replicates=200)
    driver = subprocess.Popen([sys.executable, "-c", DASK_DRIVER, str(spec), str(tmp_path / "out")], cwd=ROOT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        journal = tmp_path / "out" / "journal.jsonl"
        while not (journal.is_file() and journal.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert driver.poll() is None and len(psutil.Process(driver.pid).children(recursive=True)) >= 1
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=30)
        deadline = time.monotonic() + 30
        while live_in_group(driver.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert live_in_group(driver.pid) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(driver.pid, signal.SIGKILL)


def open_store(out: Path, spec: dict) -> store.ResultStore:
    """The store of `out` as a sweep of `spec` opens it."""
    loaded = load_spec(spec)
    n_runs = len(DesignPoints.of(loaded)) * loaded.replicates
    return store.ResultStore(out, loaded, loaded.spec_hash(loaded.base_raw()), n_runs)


def rerun_records(out: Path, ids: list[int]) -> list[RunRecord]:
    """New records of finished runs, as a retry that failed this time would return them."""
    rows = analysis.load_runs(out).set_index("run_id", drop=False).loc[ids]
    records = []
    for row in rows.to_dict("records"):
        row.update(status="failed", error="RuntimeError: again", elapsed_s=1.5)
        records.append(RunRecord({k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}, {}))
    return records


def test_a_part_with_no_checksum_is_adopted_and_a_folder_without_manifest_refused(tmp_path):
    spec, out = small_spec(), tmp_path / "out"
    sim.sweep(spec, workers=0, out=out, progress=False, batch_runs=4, flush_seconds=1e9)
    log = (out / "parts.jsonl").read_text().splitlines()
    (out / "parts.jsonl").write_text("\n".join(log[:-1]) + "\n")  # stopped before logging its last part
    assert len(analysis.load_runs(out)) == 4  # the part with no record is not read
    resumed = sim.sweep(spec, workers=0, out=out, progress=False)
    assert resumed.runs_this_session == 0 and resumed.runs_finished == 8
    assert len(resumed.repairs) == 1 and "had no checksum (written just before a stop): adopted" in resumed.repairs[0]
    assert len(read_log(out)) == len(log)
    (out / "manifest.json").unlink()
    with pytest.raises(ScenarioError, match="holds sweep results but no manifest.json"):
        sim.sweep(spec, workers=0, out=out, progress=False)
    assert len(list((out / "runs").iterdir())) == 2  # nothing was deleted


def test_a_newer_record_left_in_the_journal_wins_over_the_part(tmp_path):
    spec, out = small_spec(), tmp_path / "out"
    sim.sweep(spec, workers=0, out=out, progress=False)
    records = rerun_records(out, [1, 6])
    opened = open_store(out, spec)
    opened.add(records)  # journaled, not yet in a part
    opened._journal.close()  # the driver dies here: no flush, no close
    opened._lock.release()
    reopened = open_store(out, spec)
    assert reopened.count("failed") == 2 and reopened.count("ok") == 6
    reopened.close({})
    runs = analysis.load_runs(out).set_index("run_id")
    assert list(runs.loc[[1, 6], "status"]) == ["failed", "failed"]


def test_a_part_that_cannot_be_written_keeps_its_runs_in_the_journal(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "WRITE_ATTEMPTS", 1)  # a failed write cleans up its temporary file: no retry here
    spec, out = small_spec(), tmp_path / "out"
    sim.sweep(spec, workers=0, out=out, progress=False)
    opened = open_store(out, spec)
    blocked = out / "runs" / f"part-{opened._next_part:05d}.parquet.tmp"
    blocked.symlink_to("/dev/full")
    opened.add(rerun_records(out, [2, 3]))
    with pytest.raises(StorageError, match=r"cannot write .*runs/part-00001.parquet: .*No space left on device"):
        opened.flush()
    assert not blocked.exists()
    blocked.symlink_to("/dev/full")
    with pytest.raises(StorageError):
        opened.close({})  # the final flush fails the same way; the lock is released all the same
    assert not blocked.exists()
    reopened = open_store(out, spec)  # the journal still holds both runs
    assert reopened.count("failed") == 2 and reopened.count("ok") == 6
    reopened.close({})


def test_a_killed_dask_worker_is_replaced_and_the_sweep_completes(tmp_path):
    spec, out = small_spec(steps=1000), tmp_path / "out"
    result, _ = sweep_killing_a_worker(spec, out, dask_local=2)
    assert (result.runs_finished, result.runs_failed, result.runs_lost) == (8, 0, 0)
    for kept, expected in zip(stable(out), stable(sim.sweep(spec, workers=0, out=tmp_path / "clean",
                                                             progress=False).out), strict=True):
        assert kept.equals(expected)
