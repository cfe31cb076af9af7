"""The Parquet parts of a sweep folder: written atomically, recorded with a checksum, verified before use.

A part is written to a temporary file, synced and renamed into place; its record (size in bytes and
SHA-256) then goes into the manifest's `parts`, keyed by its path in the folder
(`runs/part-00003.parquet`). `sort_parts` splits what a folder holds into recorded parts that match
their record, parts never recorded (a driver killed between the rename and the manifest: their rows
are still in the journal) and damaged parts (missing, truncated, altered). `verified_parts` gives
the recorded parts of one kind for reading and refuses a damaged one by name. A folder written
before parts were recorded (its manifest has no `parts`) is read as it is.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ScenarioError

KINDS = ("runs", "series")


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


def on_disk(out: Path) -> list[str]:
    """Every part file in the folder, by its key (`runs/part-00000.parquet`)."""
    return sorted(f"{kind}/{p.name}" for kind in KINDS for p in (out / kind).glob("part-*.parquet"))


def sort_parts(out: Path, recorded: dict[str, dict]) -> tuple[list[str], list[str], dict[str, str]]:
    """(good, unrecorded, damaged: key -> what is wrong) over recorded parts and parts on disk."""
    present = on_disk(out)
    unrecorded = [key for key in present if key not in recorded]
    good, damaged = [], {}
    for key, record in recorded.items():
        problem = damage(out / key, record)
        if problem is None:
            good.append(key)
        else:
            damaged[key] = problem
    return sorted(good), unrecorded, damaged


def verified_parts(out: Path, kind: str, manifest: dict) -> list[Path]:
    """The parts of `kind` to read, in write order; a damaged one is an error naming it."""
    recorded = manifest.get("parts")
    if recorded is None:  # written before parts were recorded: at least each must read
        parts = sorted((out / kind).glob("part-*.parquet"))
        for part in parts:
            if not readable(part):
                raise ScenarioError(f"{part} is damaged (unreadable); run the sweep again with --out {out} to "
                                    "recompute its runs")
        return parts
    keys = sorted(key for key in recorded if key.startswith(f"{kind}/"))
    for key in keys:
        problem = damage(out / key, recorded[key])
        if problem is not None:
            raise ScenarioError(f"{out / key} is damaged ({problem}); run the sweep again with --out {out} to "
                                "recompute its runs")
    return [out / key for key in keys]


def readable(path: Path) -> bool:
    """Whether a part's Parquet footer and every column chunk read back (for parts with no record)."""
    try:
        pq.read_table(path)
    except (pa.ArrowException, OSError):
        return False
    return True


def part_index(key: str) -> int:
    """5 for 'runs/part-00005.parquet'."""
    return int(Path(key).stem.split("-")[1])
