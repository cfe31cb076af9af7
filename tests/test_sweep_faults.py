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
from sim.errors import ScenarioError
from sim.sweep import analysis, runner, store
from sim.sweep.parts import write_part

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


def kill_a_worker_once_runs_finish(out: Path, killed: list[int]) -> None:
    """From a thread: SIGKILL one worker process once the sweep has journaled its first run."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        journal = out / "journal.jsonl"
        workers = sweep_workers(os.getpid())
        if workers and journal.is_file() and journal.stat().st_size > 0:
            os.kill(workers[0].pid, signal.SIGKILL)
            killed.append(workers[0].pid)
            return
        time.sleep(0.02)


@pytest.mark.parametrize("attempts", [runner.ATTEMPTS, 1])
def test_a_killed_worker_is_replaced_and_its_runs_retried_or_recorded_as_lost(tmp_path, monkeypatch, attempts):
    monkeypatch.setattr(runner, "ATTEMPTS", attempts)
    spec, out = small_spec(steps=150), tmp_path / "out"
    killed: list[int] = []
    killer = threading.Thread(target=kill_a_worker_once_runs_finish, args=(out, killed))
    killer.start()
    result = sim.sweep(spec, workers=2, out=out, progress=False, runs_per_task=1)
    killer.join()
    assert len(killed) == 1 and not psutil.pid_exists(killed[0])
    runs = analysis.load_runs(out)
    if attempts > 1:  # retried on a fresh pool: every run finished, none lost
        assert (result.runs_finished, result.runs_failed, result.runs_lost) == (8, 0, 0)
        assert runs["worker"].nunique() > 2  # the replacement pool's processes did some of the runs
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
    assert message.startswith("error: at '--out': cannot write the report") and "No space left" in message


def test_a_folder_from_before_checksums_is_adopted_and_its_unreadable_parts_recomputed(tmp_path):
    spec, out = small_spec(), tmp_path / "old"
    clean = sim.sweep(spec, workers=0, out=tmp_path / "clean", progress=False)
    sim.sweep(spec, workers=0, out=out, progress=False, batch_runs=4, flush_seconds=1e9)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["parts"]  # as written before parts were recorded
    (out / "manifest.json").write_text(json.dumps(manifest))
    part = out / "runs" / "part-00000.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    with pytest.raises(ScenarioError, match=r"runs/part-00000.parquet is damaged \(unreadable\)"):
        analysis.load_runs(out)
    resumed = sim.sweep(spec, workers=0, out=out, progress=False)
    assert resumed.runs_this_session == 4 and resumed.runs_finished == 8 and len(resumed.repairs) == 1
    assert set(json.loads((out / "manifest.json").read_text())["parts"]) == {
        "runs/part-00001.parquet", "series/part-00001.parquet", "runs/part-00002.parquet", "series/part-00002.parquet"}
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
