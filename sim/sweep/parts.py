"""The Parquet parts of a sweep folder: written atomically, logged with a checksum, verified before use.

A part is written to a temporary file, synced and renamed into place; its record (key, size in
bytes, SHA-256) is then appended to `parts.jsonl` and synced, one line per part, so recording costs
the same however many parts there are. Keys are paths in the folder (`runs/part-00003.parquet`).
`sort_parts` splits what a folder holds into parts that match their record, parts on disk with no
record (the driver died between the rename and the log line) and damaged parts (missing,
truncated, altered). `verified_parts` gives the recorded parts of one kind for reading, in write
order, and refuses a damaged one by name. A folder written before parts were logged (its manifest
has no `checksums` entry) is read as it is, each part checked to read back whole.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ScenarioError
from sim.folders import write_text_atomic

KINDS = ("runs", "series")
LOG = "parts.jsonl"


def digest(path: Path) -> dict:
    """A part's record: its size and SHA-256."""
    with open(path, "rb") as handle:
        return {"bytes": os.fstat(handle.fileno()).st_size, "sha256": hashlib.file_digest(handle, "sha256").hexdigest()}


def write_part(table: pa.Table, path: Path) -> dict:
    """Write `table` to `path` atomically (temporary file, fsync, rename); return its record."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return digest(path)


def read_log(out: Path) -> dict[str, dict] | None:
    """Recorded parts by key (a torn last line is ignored), or None if the folder has no log."""
    path = out / LOG
    if not path.is_file():
        return None
    records = {}
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
            records[entry["key"]] = {"bytes": int(entry["bytes"]), "sha256": str(entry["sha256"])}
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
    return records


def append_log(out: Path, key: str, record: dict) -> None:
    """Record one part: a line appended to the log and synced."""
    with open(out / LOG, "a") as handle:
        handle.write(json.dumps({"key": key, **record}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def write_log(out: Path, records: dict[str, dict]) -> None:
    """Replace the log by `records` (after parts were set aside or adopted), atomically."""
    write_text_atomic(out / LOG, "".join(json.dumps({"key": key, **record}) + "\n" for key, record in records.items()))


def damage(path: Path, record: dict) -> str | None:
    """What is wrong with a recorded part, or None if it matches its record."""
    if not path.is_file():
        return "missing"
    found = digest(path)
    if found["bytes"] != record["bytes"]:
        return f"{found['bytes']} bytes where {record['bytes']} were written"
    if found["sha256"] != record["sha256"]:
        return "its checksum differs from the one recorded when it was written"
    return None


def readable(path: Path) -> bool:
    """Whether a part's Parquet footer and every column chunk read back (for parts with no record)."""
    try:
        pq.read_table(path)
    except (pa.ArrowException, OSError):
        return False
    return True


def part_index(key: str | Path) -> int:
    """5 for 'runs/part-00005.parquet'."""
    return int(Path(key).name.split(".")[0].split("-")[1])


def on_disk(out: Path) -> list[str]:
    """Every part file in the folder, by its key (`runs/part-00000.parquet`), in write order."""
    return sorted((f"{kind}/{p.name}" for kind in KINDS for p in (out / kind).glob("part-*.parquet")),
                  key=lambda key: (part_index(key), key))


def sort_parts(out: Path, recorded: dict[str, dict]) -> tuple[list[str], dict[str, str]]:
    """(parts on disk with no record, damaged recorded parts: key -> what is wrong)."""
    unrecorded = [key for key in on_disk(out) if key not in recorded]
    damaged = {key: problem for key, record in recorded.items()
               if (problem := damage(out / key, record)) is not None}
    return unrecorded, damaged


def verified_parts(out: Path, kind: str, manifest: dict) -> list[Path]:
    """The parts of `kind` to read, in write order; a damaged one is an error naming it."""
    recorded = read_log(out)
    if recorded is None:
        parts = [out / key for key in on_disk(out) if key.startswith(f"{kind}/")]
        if manifest.get("checksums") and parts:
            raise ScenarioError(f"{out / LOG} is missing, so the parts in {out} cannot be verified; run the sweep "
                                f"again with --out {out} to check and adopt them")
        for part in parts:  # written before parts were logged: at least each must read back whole
            if not readable(part):
                raise ScenarioError(f"{part} is damaged (unreadable); run the sweep again with --out {out} to "
                                    "recompute its runs")
        return parts
    keys = sorted((key for key in recorded if key.startswith(f"{kind}/")), key=part_index)
    for key in keys:
        problem = damage(out / key, recorded[key])
        if problem is not None:
            raise ScenarioError(f"{out / key} is damaged ({problem}); run the sweep again with --out {out} to "
                                "recompute its runs")
    return [out / key for key in keys]
