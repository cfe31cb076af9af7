"""Where a sweep's runs execute: local processes, a Dask cluster, or any given Executor.

The local pool is a `ProcessPoolExecutor` with an explicit "spawn" context: the process-wide
start method is never changed. Worker processes are started while `sys.modules['__main__']` is a
bare stand-in module, so they never re-run the calling script: a script without an
`if __name__ == "__main__"` guard works (and cannot recurse or hang), as do notebooks and
`python -c`. Workers run numerical libraries single-threaded (OMP/OpenBLAS/MKL thread variables
set to 1 unless already set), so N workers use N cores. `workers=0` runs everything in the
calling process. Dask: a scheduler address (`tcp://host:port`) or a LocalCluster started here,
both used through `Client.get_executor()`. Anything else implementing
`concurrent.futures.Executor` (e.g. `mpi4py.futures.MPIPoolExecutor`) is used as given and left
open.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from sim.errors import ScenarioError


@contextlib.contextmanager
def clean_main() -> Iterator[None]:
    """Let child processes start without importing the caller's `__main__` (restored on exit)."""
    main = sys.modules.get("__main__")
    if main is None or (getattr(main, "__file__", None) is None and getattr(main, "__spec__", None) is None):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def single_threaded_children() -> Iterator[None]:
    """Child processes started meanwhile run their numerical libraries on one thread each (one run
    per core, no oversubscription), unless the caller set these variables; restored on exit."""
    unset = [name for name in THREAD_VARIABLES if name not in os.environ]
    os.environ.update(dict.fromkeys(unset, "1"))
    try:
        yield
    finally:
        for name in unset:
            os.environ.pop(name, None)


@contextlib.contextmanager
def starting_workers() -> Iterator[None]:
    """The conditions worker processes are started under: a clean `__main__`, one thread each."""
    with clean_main(), single_threaded_children():
        yield


@dataclass
class Backend:
    """An executor, how many runs it works on at once, a label for the manifest, and how to close it."""

    executor: Executor
    workers: int
    label: str
    close: Callable[[], None] = field(default=lambda: None)
    restart: Callable[[], None] | None = None  # replace a broken executor by a fresh one (local pools)


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def in_process() -> Backend:
    """Runs one after another in this process (no worker processes: quick starts, plain tracebacks)."""
    pool = ThreadPoolExecutor(max_workers=1)
    return Backend(pool, 1, "in-process", lambda: pool.shutdown(wait=True, cancel_futures=True))


def local_processes(workers: int | None = None) -> Backend:
    """A process pool on this machine with the "spawn" context (all cores by default; 0: in this process)."""
    if workers == 0:
        return in_process()
    n = workers or default_workers()

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=exit_with_parent, initargs=(os.getpid(),))

    backend = Backend(new_pool(), n, f"processes:{n}")

    def restart() -> None:
        backend.executor.shutdown(wait=False, cancel_futures=True)
        with starting_workers():
            backend.executor = new_pool()

    backend.close = lambda: backend.executor.shutdown(wait=True, cancel_futures=True)
    backend.restart = restart
    return backend


PARENT_POLL_S = 1.0


def exit_with_parent(parent: int) -> None:
    """In a worker process: exit as soon as the process that started it is gone (even SIGKILLed), so a
    dead driver leaves no workers behind. Polls the parent id from a daemon thread."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="sim-exit-with-parent", daemon=True).start()


def dask_cluster(scheduler: str | None = None, local_workers: int | None = None, *,
                 processes: bool = True) -> Backend:
    """An executor on a Dask cluster: the scheduler at `scheduler`, or a LocalCluster of `local_workers`."""
    from distributed import Client, LocalCluster

    if scheduler:
        client = connect(scheduler)
        n = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
        return Backend(client.get_executor(), n, f"dask:{scheduler}", client.close)
    n = local_workers or default_workers()
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, host="127.0.0.1",
                           dashboard_address=None)
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return Backend(client.get_executor(), n, f"dask-local:{n}", close)


CONNECT_TIMEOUT_S = 10
WORKER_WAIT_S = 30


def check_address(scheduler: str) -> None:
    """A one-line error unless `scheduler` reads as a scheduler address ([protocol://]host[:port])."""
    if not re.fullmatch(r"([a-z]+://)?(\[[0-9A-Fa-f:.]+\]|[^/\s:\[\]]+)(:\d+)?/?", scheduler):
        raise ScenarioError(f"bad address {scheduler!r}; allowed: a Dask scheduler address such as "
                            "tcp://host:8786", field="--scheduler")


def connect(scheduler: str):
    """A Dask client of the scheduler at `scheduler`, with at least one worker; anything else (a bad
    address, nothing listening, something that is not a Dask scheduler, no workers within
    WORKER_WAIT_S) is a one-line `ScenarioError` naming the address."""
    from distributed import Client

    check_address(scheduler)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - whatever the far end did, the address is the user's to fix
        raise ScenarioError(f"could not connect to a Dask scheduler at {scheduler} ({type(exc).__name__}: "
                            f"{str(exc)[:120]}); allowed: the address of a running "
                            "scheduler (dask scheduler, or --dask-local N to start one here)",
                            field="--scheduler") from None
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_S)
    except TimeoutError:
        client.close()
        raise ScenarioError(f"the Dask scheduler at {scheduler} has no workers after {WORKER_WAIT_S} s; "
                            "start some (dask worker " + scheduler + ")", field="--scheduler") from None
    return client


def given(executor: Executor, workers: int | None = None) -> Backend:
    """A caller's executor, used as is and not shut down."""
    n = workers or getattr(executor, "_max_workers", None) or default_workers()
    return Backend(executor, int(n), type(executor).__name__)
