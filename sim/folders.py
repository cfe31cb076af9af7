"""Output folders: check one takes files before any work, replace a file atomically, and word a failed
write the same everywhere.

A bad `--out` (a file, a path under a file, a read-only place) is a one-line `ScenarioError`
before a run or a sweep starts; a write that fails later (a full disk, a lost permission) is a
`StorageError` that names the file, the reason and what is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.errors import ScenarioError, StorageError


def writable_folder(out: Path, field: str = "--out") -> None:
    """Create the folder `out` if needed and check it takes files."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".sim-write-check"
        probe.touch()
        probe.unlink()
    except (FileExistsError, NotADirectoryError):
        raise ScenarioError(f"{out} is, or is under, a file; allowed: a folder (new or existing)",
                            field=field) from None
    except OSError as exc:
        raise ScenarioError(f"cannot write to {out}: {exc.strerror}; allowed: a writable folder",
                            field=field) from None


def storage_error(what: Path, exc: OSError, kept: str) -> StorageError:
    """A failed write of `what`: the reason, and `kept`, what the user still has and how to go on."""
    return StorageError(f"cannot write {what}: {exc.strerror or exc}; {kept}")


def write_text_atomic(path: Path, text: str) -> None:
    """Replace `path` by `text` through a synced temporary file and a rename (never half written)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
