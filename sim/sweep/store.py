"""The results of a sweep on disk, written while it runs, and what a rerun needs to resume.

Layout of a sweep folder: `manifest.json` (the spec, its hash, the package version, the seeds,
run counts and the timings of each session), `runs/part-*.parquet` (one row per run: identity,
seed, status, error, time, parameters, metrics), `series/part-*.parquet` (long table run_id,
series, step, loss_pct) and `journal.jsonl`. Each finished run is appended to the journal at once
(so a killed driver loses no finished run); every `batch_runs` runs or `flush_seconds` the journal
is compacted into one new Parquet part, written to a temporary file and renamed, then emptied.
On open, a journal left by a killed sweep is compacted first; finished run ids are read back from
the parts, so a rerun skips them. The driver holds at most one batch of rows.
"""

from __future__ import annotations

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
from sim.sweep.spec import SweepSpec
from sim.sweep.worker import RunRecord

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


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_json_atomic(data: dict, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


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
        if overwrite:
            self._clear()
        self.manifest = self._open_manifest()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.series_dir.mkdir(parents=True, exist_ok=True)
        for stale in (*self.runs_dir.glob("*.tmp"), *self.series_dir.glob("*.tmp")):
            stale.unlink()
        self._rows: list[dict] = []
        self._series: list[tuple[int, dict[str, np.ndarray]]] = []
        self._last_flush = time.monotonic()
        self._recover_journal()
        self.status = self._read_status()
        self._journal = open(self.journal_path, "a")  # noqa: SIM115 - held open for the sweep's lifetime

    # -- opening ------------------------------------------------------------------------------
    def _clear(self) -> None:
        for folder in (self.runs_dir, self.series_dir):
            for part in folder.glob("*"):
                part.unlink()
        for path in (self.journal_path, self.manifest_path):
            path.unlink(missing_ok=True)

    def _open_manifest(self) -> dict:
        if self.manifest_path.is_file():
            manifest = json.loads(self.manifest_path.read_text())
            if manifest.get("spec_hash") != self.spec_hash:
                raise ScenarioError(
                    f"{self.out} holds results of a different sweep (spec or base scenario changed); "
                    "use another output folder or overwrite it (--overwrite)", field="--out")
            return manifest
        self.out.mkdir(parents=True, exist_ok=True)
        from sim import __version__

        manifest = {
            "name": self.spec.name, "spec": self.spec.definition(), "spec_hash": self.spec_hash,
            "sim_version": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "base_file": self.spec.base_path, "runs": self.n_runs, "replicate_seeds": self.spec.replicate_seeds(),
            "created": _now(), "sessions": [],
        }
        write_json_atomic(manifest, self.manifest_path)
        return manifest

    def _recover_journal(self) -> None:
        """Compact what a killed sweep left in the journal (a torn last line is dropped)."""
        if not self.journal_path.is_file():
            return
        done = self._part_ids()
        with open(self.journal_path) as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if entry["row"]["run_id"] in done:
                    continue
                self._rows.append(entry["row"])
                self._series.append((entry["row"]["run_id"],
                                     {k: np.asarray(v, float) for k, v in entry["series"].items()}))
        self._write_part()
        self.journal_path.unlink()

    def _part_ids(self) -> set[int]:
        parts = sorted(self.runs_dir.glob("part-*.parquet"))
        if not parts:
            return set()
        return {i for part in parts for i in pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist()}

    def _read_status(self) -> np.ndarray:
        """Per run id: 0 not run, 1 finished, 2 failed (the last record of a run wins)."""
        status = np.zeros(self.n_runs, dtype=np.int8)
        for part in sorted(self.runs_dir.glob("part-*.parquet")):
            table = pq.read_table(part, columns=["run_id", "status"])
            ids = table.column("run_id").to_numpy()
            failed = np.asarray(table.column("status").to_pylist()) == "failed"
            status[ids] = np.where(failed, 2, 1)
        return status

    # -- writing ------------------------------------------------------------------------------
    def add(self, records: list[RunRecord]) -> None:
        """Journal finished runs at once and buffer them for the next part."""
        for record in records:
            series = {k: v.tolist() for k, v in record.series.items()}
            self._journal.write(json.dumps({"row": record.row, "series": series}) + "\n")
            self._rows.append(record.row)
            self._series.append((record.row["run_id"], record.series))
            self.status[record.row["run_id"]] = 2 if record.row["status"] == "failed" else 1
        self._journal.flush()
        if len(self._rows) >= self.batch_runs or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write buffered runs as one Parquet part and empty the journal."""
        if self._rows:
            self._write_part()
            self._journal.truncate(0)
            self._journal.seek(0)
        self._last_flush = time.monotonic()

    def _write_part(self) -> None:
        if not self._rows:
            return
        index = len(list(self.runs_dir.glob("part-*.parquet")))
        name = f"part-{index:05d}.parquet"
        if any(self._series[i][1] for i in range(len(self._series))):
            _write_atomic(self._series_table(), self.series_dir / name)
        columns = {c: [_cell(r.get(c), self.schema.field(c).type) for r in self._rows] for c in self.schema.names}
        _write_atomic(pa.table(columns, schema=self.schema), self.runs_dir / name)
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

    def close(self, session: dict) -> None:
        """Flush, close the journal and record the session in the manifest."""
        self.flush()
        self._journal.close()
        if self.journal_path.is_file() and self.journal_path.stat().st_size == 0:
            self.journal_path.unlink()
        session["finished"] = _now()
        self.manifest["sessions"].append(session)
        self.manifest["runs_finished"] = int((self.status == 1).sum())
        self.manifest["runs_failed"] = int((self.status == 2).sum())
        self.manifest["updated"] = _now()
        write_json_atomic(self.manifest, self.manifest_path)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
