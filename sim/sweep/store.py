"""The results of a sweep on disk, written while it runs, and what a rerun needs to resume.

Layout of a sweep folder: `manifest.json` (the spec, its hash, the package version, the seeds,
run counts and the timings of each session), `runs/part-*.parquet` (one row per run: identity,
seed, status, error, time, parameters, metrics), `series/part-*.parquet` (long table run_id,
series, step, loss_pct), `parts.jsonl` (each part's checksum), `journal.jsonl` and `.lock`. The
folder is locked for the store's lifetime (sim.sweep.lock). Each finished run is appended to the
journal at once (so a killed driver loses no finished run); every `batch_runs` runs or
`flush_seconds` the journal is compacted into one new pair of Parquet parts, each logged with its
checksum (sim.sweep.parts), then emptied. On open, damaged parts are moved to `damaged/` (their
runs will run again), parts with no log line are adopted if they read back whole, and a journal
left by a killed sweep is compacted; each run's status is read back from the parts, the last
record of a run winning, so a rerun skips finished runs. A run is `ok`, `failed` (it raised) or
`lost` (its worker died or the cluster lost it); lost runs run again on every resume. A write that
fails for lack of space or permission is tried a few times, then stops the sweep with a
`StorageError` that keeps everything finished so far. The driver holds at most one batch of rows.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ScenarioError
from sim.folders import storage_error, writable_folder, write_text_atomic
from sim.metrics import METRICS_VERSION
from sim.sweep.lock import FolderLock
from sim.sweep.parts import (
    KINDS,
    LOG,
    append_log,
    digest,
    on_disk,
    part_index,
    read_log,
    readable,
    sort_parts,
    write_log,
    write_part,
)
from sim.sweep.spec import SweepSpec
from sim.sweep.worker import RunRecord

STATUS_CODES = {"ok": 1, "failed": 2, "lost": 3}  # 0: not run yet
WRITE_ATTEMPTS, WRITE_PAUSE_S = 3, 2.0

ID_COLUMNS = {"run_id": pa.int64(), "point": pa.int64(), "replicate": pa.int64(), "seed": pa.int64(),
              "status": pa.string(), "error": pa.string(), "elapsed_s": pa.float64(), "worker": pa.string()}
SERIES_SCHEMA = pa.schema({"run_id": pa.int64(), "series": pa.string(), "step": pa.int32(),
                           "loss_pct": pa.float64()})
ARROW_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}


def run_schema(spec: SweepSpec) -> pa.Schema:
    """Columns of the runs table: identity, parameters (typed by the spec), metrics (float)."""
    columns = dict(ID_COLUMNS)
    columns.update({p.name: ARROW_TYPES[p.column_type()] for p in spec.parameters})
    columns.update(dict.fromkeys(spec.outputs.metrics, pa.float64()))
    return pa.schema(columns)


def _cell(value: Any, kind: pa.DataType) -> Any:
    """A row value in the column's type (discrete non-numeric values as JSON text)."""
    if value is None:
        return None
    if kind == pa.string() and not isinstance(value, str):
        return json.dumps(value, sort_keys=True)
    return value


KEPT = "every run finished so far is kept in {out}: free space (or fix permissions) and run the same command again"


def _retrying(write, what: Path, out: Path):
    """Run `write()`; an OSError (full disk, lost permission) is tried WRITE_ATTEMPTS times, then a StorageError."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return write()
        except OSError as exc:
            if attempt == WRITE_ATTEMPTS:
                raise storage_error(what, exc, KEPT.format(out=out) + " to resume") from None
            time.sleep(WRITE_PAUSE_S)
    return None


def write_json_atomic(data: dict, path: Path) -> None:
    """Write `data` as JSON to `path` atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, default=str))


class ResultStore:
    """Streamed, resumable storage of one sweep's runs in a folder."""

    def __init__(self, out: Path, spec: SweepSpec, spec_hash: str, n_runs: int, *, batch_runs: int = 500,
                 flush_seconds: float = 120.0, overwrite: bool = False):
        self.out = Path(out)
        self.spec = spec
        self.spec_hash = spec_hash
        self.n_runs = n_runs
        self.batch_runs = batch_runs
        self.flush_seconds = flush_seconds
        self.schema = run_schema(spec)
        self.runs_dir, self.series_dir = self.out / "runs", self.out / "series"
        self.journal_path = self.out / "journal.jsonl"
        self.manifest_path = self.out / "manifest.json"
        self.repairs: list[str] = []  # what opening the folder found and set right, for the user
        self._rows: list[dict] = []
        self._series: list[tuple[int, dict[str, np.ndarray]]] = []
        self._last_flush = time.monotonic()
        writable_folder(self.out)
        try:
            self._lock = FolderLock(self.out)
        except OSError as exc:
            raise storage_error(self.out / ".lock", exc, "allowed: a writable folder") from None
        try:
            self._open(overwrite)
        except OSError as exc:
            self._lock.release()
            raise storage_error(Path(exc.filename or self.out), exc, KEPT.format(out=self.out)) from None
        except BaseException:
            self._lock.release()
            raise

    # -- opening ------------------------------------------------------------------------------
    def _open(self, overwrite: bool) -> None:
        """Lock-held set-up: the manifest, the parts' check, the journal's recovery, each run's status."""
        if self._lock.stale:
            self.repairs.append(f"took over the lock of a sweep that is no longer running ({self._lock.stale})")
        if overwrite:
            self._clear()
        self.manifest = self._open_manifest()
        for folder in (self.runs_dir, self.series_dir):
            folder.mkdir(parents=True, exist_ok=True)
            for stale in folder.glob("*.tmp"):
                stale.unlink()
        self.parts = self._check_parts()
        self._next_part = 1 + max((part_index(key) for key in (*self.parts, *on_disk(self.out))), default=-1)
        self._recover_journal()
        self.status = self._read_status()
        self._journal = open(self.journal_path, "a")  # noqa: SIM115 - held open for the sweep's lifetime

    def _clear(self) -> None:
        for folder in (self.runs_dir, self.series_dir, self.out / "damaged"):
            for part in folder.glob("*"):
                part.unlink()
        for path in (self.journal_path, self.manifest_path, self.out / LOG):
            path.unlink(missing_ok=True)

    def _open_manifest(self) -> dict:
        if self.manifest_path.is_file():
            try:
                manifest = json.loads(self.manifest_path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ScenarioError(f"{self.manifest_path} is damaged (not JSON); allowed: a folder written by "
                                    "sim sweep: use another output folder or overwrite it (--overwrite)",
                                    field="--out") from None
            if not isinstance(manifest, dict) or manifest.get("spec_hash") != self.spec_hash:
                raise ScenarioError(
                    f"{self.out} holds results of a different sweep (spec or base scenario changed); "
                    "use another output folder or overwrite it (--overwrite)", field="--out")
            if manifest.get("metrics_version", 1) != METRICS_VERSION:
                raise ScenarioError(
                    f"{self.out} holds runs measured by metrics version {manifest.get('metrics_version', 1)}, and "
                    f"this sim measures by version {METRICS_VERSION} (sim/metrics.py: recovery now counts losses "
                    "only and must last 30 days), so new runs would not compare with them; use another output "
                    "folder or overwrite it (--overwrite)", field="--out")
            return manifest
        if on_disk(self.out) or self.journal_path.is_file():
            raise ScenarioError(f"{self.out} holds sweep results but no manifest.json, so they cannot be matched to "
                                "this sweep; allowed: restore the manifest, use another --out, or --overwrite to "
                                "discard them", field="--out")
        from sim import __version__

        manifest = {
            "name": self.spec.name, "spec": self.spec.definition(), "spec_hash": self.spec_hash,
            "sim_version": __version__, "metrics_version": METRICS_VERSION,
            "python": platform.python_version(), "numpy": np.__version__,
            "base_file": self.spec.base_path, "runs": self.n_runs, "replicate_seeds": self.spec.replicate_seeds(),
            "created": utc_now(), "sessions": [], "checksums": LOG,
        }
        write_json_atomic(manifest, self.manifest_path)
        return manifest

    def _check_parts(self) -> dict[str, dict]:
        """The recorded parts after setting right what the folder holds: damaged parts (and their
        pairs) are set aside so their runs run again; parts with no record are adopted if they read
        back whole (a driver killed before logging them), else set aside. A folder from before parts
        were logged has all its parts adopted that way."""
        recorded = read_log(self.out)
        log_missing = recorded is None
        unrecorded, damaged = sort_parts(self.out, recorded or {})
        recorded = dict(recorded or {})
        if log_missing and self.manifest.get("checksums") and unrecorded:
            self.repairs.append(f"{self.out / LOG} was missing: parts that read back whole were adopted")
        for key in unrecorded:
            if readable(self.out / key):
                recorded[key] = digest(self.out / key)
                if not log_missing:
                    self.repairs.append(f"{self.out / key} had no checksum (written just before a stop): adopted")
            else:
                damaged[key] = "unreadable, with no checksum"
        if damaged:
            aside = self.out / "damaged"
            aside.mkdir(exist_ok=True)
            for key, problem in damaged.items():
                for member in (f"{kind}/{Path(key).name}" for kind in KINDS):
                    if (self.out / member).is_file():
                        os.replace(self.out / member, aside / f"{member.replace('/', '-')}.{time.time_ns()}")
                    recorded.pop(member, None)
                self.repairs.append(f"{self.out / key} is damaged ({problem}): moved to {aside}/; its runs run again")
        if log_missing or unrecorded or damaged:
            write_log(self.out, recorded)
            self.manifest["checksums"] = LOG
            write_json_atomic(self.manifest, self.manifest_path)
        return recorded

    def _recover_journal(self) -> None:
        """Compact what a killed sweep left in the journal (a torn last line is dropped). Every line is
        newer than every part, so all are kept: a run recorded again wins over its older record."""
        if not self.journal_path.is_file():
            return
        with open(self.journal_path) as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                self._rows.append(entry["row"])
                self._series.append((entry["row"]["run_id"],
                                     {k: np.asarray(v, float) for k, v in entry["series"].items()}))
        self._write_part()
        self.journal_path.unlink()

    def _run_parts(self) -> list[Path]:
        """The recorded runs parts in write order (all verified on open)."""
        return [self.out / key for key in sorted(self.parts, key=part_index) if key.startswith("runs/")]

    def _read_status(self) -> np.ndarray:
        """Per run id: 0 not run, else its STATUS_CODES value (the last record of a run wins)."""
        status = np.zeros(self.n_runs, dtype=np.int8)
        for part in self._run_parts():
            table = pq.read_table(part, columns=["run_id", "status"])
            status[table.column("run_id").to_numpy()] = [STATUS_CODES[s] for s in table.column("status").to_pylist()]
        return status

    # -- writing ------------------------------------------------------------------------------
    def add(self, records: list[RunRecord]) -> None:
        """Journal finished runs at once and buffer them for the next part."""
        lines = "".join(json.dumps({"row": r.row, "series": {k: v.tolist() for k, v in r.series.items()}}) + "\n"
                        for r in records)
        _retrying(lambda: (self._journal.write(lines), self._journal.flush()), self.journal_path, self.out)
        for record in records:
            self._rows.append(record.row)
            self._series.append((record.row["run_id"], record.series))
            self.status[record.row["run_id"]] = STATUS_CODES[record.row["status"]]
        if len(self._rows) >= self.batch_runs or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write buffered runs as one pair of Parquet parts and empty the journal."""
        if self._rows:
            self._write_part()
            self._journal.truncate(0)
            self._journal.seek(0)
        self._last_flush = time.monotonic()

    def _write_part(self) -> None:
        """The buffered rows as a new pair of parts (series first), each logged with its checksum."""
        if not self._rows:
            return
        name = f"part-{self._next_part:05d}.parquet"
        tables = {}
        if any(kept for _, kept in self._series):
            tables[f"series/{name}"] = self._series_table()
        columns = {c: [_cell(r.get(c), self.schema.field(c).type) for r in self._rows] for c in self.schema.names}
        tables[f"runs/{name}"] = pa.table(columns, schema=self.schema)
        for key, table in tables.items():
            record = _retrying(lambda key=key, table=table: write_part(table, self.out / key), self.out / key,
                               self.out)
            _retrying(lambda key=key, record=record: append_log(self.out, key, record), self.out / LOG, self.out)
            self.parts[key] = record
        self._next_part += 1
        self._rows, self._series = [], []

    def _series_table(self) -> pa.Table:
        run_ids, names, steps, losses = [], [], [], []
        for run_id, kept in self._series:
            for name, values in kept.items():
                run_ids.append(np.full(len(values), run_id))
                names.extend([name] * len(values))
                steps.append(np.arange(1, len(values) + 1))
                losses.append(np.asarray(values, float))
        return pa.table({"run_id": np.concatenate(run_ids), "series": names,
                         "step": np.concatenate(steps).astype(np.int32), "loss_pct": np.concatenate(losses)},
                        schema=SERIES_SCHEMA)

    def count(self, status: str) -> int:
        """How many runs have `status` ('ok', 'failed' or 'lost')."""
        return int((self.status == STATUS_CODES[status]).sum())

    def close(self, session: dict) -> None:
        """Flush, close the journal, record the session in the manifest and release the folder."""
        try:
            self.flush()
            session["finished"] = utc_now()
            session["repairs"] = self.repairs
            self.manifest["sessions"].append(session)
            self.manifest["runs_finished"] = self.count("ok")
            self.manifest["runs_failed"] = self.count("failed")
            self.manifest["runs_lost"] = self.count("lost")
            self.manifest["updated"] = utc_now()
            _retrying(lambda: write_json_atomic(self.manifest, self.manifest_path), self.manifest_path, self.out)
        finally:
            with contextlib.suppress(OSError):  # a journal on a full disk: its rows are in parts or run again
                self._journal.close()
            if self.journal_path.is_file() and self.journal_path.stat().st_size == 0:
                self.journal_path.unlink()
            self._lock.release()


def utc_now() -> str:
    """The time now in UTC, to the second (ISO 8601), as the manifest records it."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
