"""An exclusive lock on a sweep's output folder, so that two sweeps never write into one folder.

The lock is an advisory `flock` on `<folder>/.lock`, which holds the holder's process id, host and
start time. The operating system drops the lock when its holder exits in any way (SIGKILL
included), so a lock left by a dead sweep is never in the way: the next sweep takes it over and
says so. A second sweep into a folder in use is refused with a message naming the holder. Forked
children (a caller's fork-context pool) close their copy of the lock file at once, so a worker
that outlives its driver does not keep the folder locked.
"""

from __future__ import annotations

import datetime
import fcntl
import os
import socket
from pathlib import Path

from sim.errors import ScenarioError

_HELD: set = set()  # lock files open in this process, closed in forked children


def _close_in_child() -> None:
    for handle in list(_HELD):
        handle.close()
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


class FolderLock:
    """Hold `<folder>/.lock` until `release()`; `stale` names a dead holder whose lock was taken over."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / ".lock"
        self._handle = open(self.path, "a+")  # noqa: SIM115 - held open for as long as the lock
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            self._handle.close()
            raise ScenarioError(f"another sweep ({holder or 'a running process'}) is writing to {folder}; "
                                "allowed: wait for it to finish, or give another --out", field="--out") from None
        self.stale = self._holder() or None
        self._handle.seek(0)
        self._handle.truncate()
        started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        self._handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {started}")
        self._handle.flush()
        _HELD.add(self._handle)

    def _holder(self) -> str:
        self._handle.seek(0)
        return self._handle.read().strip()

    def release(self) -> None:
        """Empty the lock file (a clean exit leaves no holder behind) and unlock it."""
        if self._handle.closed:
            return
        _HELD.discard(self._handle)
        self._handle.truncate(0)
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
