"""Drive a sweep: validate the spec, skip finished runs, keep a bounded number in flight, stream results.

`sweep(spec, executor=...)` is the public entry point. The driver never holds more than
`max_in_flight` submitted tasks and one batch of finished rows, so its memory does not grow with
the number of runs; finished runs go to the store as they arrive, so a killed sweep resumes where it
stopped. Run `i` is point `i // replicates` of the design with replicate seed `i % replicates`:
identical on any executor and in any order.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Executor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sim.errors import WorkerError
from sim.scenario import policy_field
from sim.sweep.designs import DesignPoints
from sim.sweep.executors import Backend, check_address, dask_cluster, given, local_processes, starting_workers
from sim.sweep.spec import SweepSpec, load_spec
from sim.sweep.store import STATUS_CODES, ResultStore, utc_now
from sim.sweep.worker import RunOrder, RunRecord, Task, run_task

DEFAULT_OUT = Path("results") / "sweeps"


@dataclass
class SweepResult:
    """Where a sweep's results are and how it went; load tables with `.runs()` and `.series()`."""

    out: Path
    spec: SweepSpec
    runs_total: int
    runs_finished: int
    runs_failed: int
    runs_lost: int
    runs_this_session: int
    wall_s: float
    repairs: list[str]

    def runs(self):
        """All runs as one DataFrame (see sim.sweep.analysis.load_runs)."""
        from sim.sweep.analysis import load_runs

        return load_runs(self.out)

    def series(self, names: list[str] | None = None):
        """The kept loss series as a long DataFrame (see sim.sweep.analysis.load_series)."""
        from sim.sweep.analysis import load_series

        return load_series(self.out, names)


def sweep(spec: SweepSpec | Mapping | str | Path, executor: Executor | None = None, *, workers: int | None = None,
          scheduler: str | None = None, dask_local: int | None = None, out: str | Path | None = None,
          progress: bool = True, retry_failed: bool = False, overwrite: bool = False, runs_per_task: int | None = None,
          max_in_flight: int | None = None, batch_runs: int = 500, flush_seconds: float = 120.0,
          reuse: bool = True) -> SweepResult:
    """Run every unfinished run of a sweep and stream its results to `out` (resumable).

    `executor` may be any `concurrent.futures.Executor` (left open); otherwise a Dask cluster
    (`scheduler` address, or `dask_local` workers started here) or local processes (`workers`,
    all cores by default; 0 runs them in this process). Returns a SweepResult; the spec is
    validated before anything runs. Workers validate the base scenario once and each run's overrides
    on it (sim.scenario.derive); when every parameter is a policy field, they also reuse each seed's
    network and baseline run (sim.sweep.worker). `reuse=False` validates, builds and simulates
    everything afresh for every run (the results are the same).

    >>> result = sweep("configs/sweeps/tiny_grid.yaml", workers=2)   # doctest: +SKIP
    >>> result.runs().head()                                       # doctest: +SKIP
    """
    spec = load_spec(spec)
    design = DesignPoints.of(spec)
    seeds = spec.replicate_seeds()
    n_runs = len(design) * spec.replicates
    base_raw = spec.base_raw()
    out = Path(out) if out is not None else DEFAULT_OUT / spec.name
    if scheduler:
        check_address(scheduler)  # before the output folder is touched
    store = ResultStore(out, spec, spec.spec_hash(base_raw), n_runs, batch_runs=batch_runs,
                        flush_seconds=flush_seconds, overwrite=overwrite)
    again = (STATUS_CODES["lost"], STATUS_CODES["failed"]) if retry_failed else (STATUS_CODES["lost"],)
    todo = np.flatnonzero((store.status == 0) | np.isin(store.status, again))
    base_key = store.spec_hash if reuse else None  # workers validate the base once and share its blocks
    reuse = reuse and all(policy_field(path) for p in spec.parameters for path in p.targets)
    if reuse:  # seed by seed, so that a worker meets each seed's network and baseline in one stretch
        todo = todo[np.lexsort((todo, todo % spec.replicates))]
    started, done_before = time.perf_counter(), n_runs - len(todo)
    backend: Backend | None = None
    session = {"started": utc_now(), "runs": 0, "executor": None}
    try:
        if len(todo):
            with starting_workers():
                backend = _backend(executor, workers, scheduler, dask_local)
            session["executor"] = backend.label
            chunk = runs_per_task or max(1, min(32, math.ceil(len(todo) / (backend.workers * 64))))
            tasks = _tasks(spec, design, seeds, base_raw, todo, chunk, store.spec_hash if reuse else None, base_key)
            with tqdm(total=n_runs, initial=done_before, unit="run", desc=spec.name, disable=not progress,
                      smoothing=0.1) as bar, starting_workers():
                for records in _execute(backend, tasks, max_in_flight or 2 * backend.workers):
                    store.add(records)
                    session["runs"] += len(records)
                    bar.update(len(records))
    finally:
        session["wall_s"] = round(time.perf_counter() - started, 3)
        try:
            store.close(session)
        finally:
            if backend is not None:
                backend.close()
    return SweepResult(out, spec, n_runs, store.count("ok"), store.count("failed"), store.count("lost"),
                       session["runs"], session["wall_s"], store.repairs)


def _backend(executor: Executor | None, workers: int | None, scheduler: str | None,
             dask_local: int | None) -> Backend:
    if executor is not None:
        return given(executor, workers)
    if scheduler or dask_local:
        return dask_cluster(scheduler, dask_local)
    return local_processes(workers)


def _tasks(spec: SweepSpec, design: DesignPoints, seeds: list[int], base_raw: dict, todo: np.ndarray,
           chunk: int, sweep_key: str | None, base_key: str | None = None) -> Iterator[Task]:
    """Tasks of `chunk` runs each, built lazily from the design (nothing per run is kept in advance)."""
    for start in range(0, len(todo), chunk):
        task = Task(base_raw, spec.base_path, spec.steps, list(spec.outputs.metrics), list(spec.outputs.timeseries),
                    sweep_key=sweep_key, base_key=base_key)
        for run_id in todo[start:start + chunk]:
            point, replicate = divmod(int(run_id), spec.replicates)
            values = design.values(point)
            task.runs.append(RunOrder(int(run_id), point, replicate, seeds[replicate], values,
                                      design.overrides(values)))
        yield task


ATTEMPTS = 3  # tries of a task whose worker dies (killed, out of memory, lost by the cluster)
LOST_IN_A_ROW = 3  # tasks lost one after another, with no task finishing between: the backend is broken


def _execute(backend: Backend, tasks: Iterator[Task], max_in_flight: int) -> Iterator[list[RunRecord]]:
    """Submit tasks keeping at most `max_in_flight` pending; yield each task's records as it finishes.

    Runs that raise come back from the worker as failed. A task whose worker dies (the future raises
    one of `worker_deaths()`) is submitted again, on a fresh pool if the pool broke, up to ATTEMPTS
    times in all. Retries go one at a time with nothing else in flight, so a task that kills its
    worker every time is the only one charged for it; then its runs are recorded as lost, apart from
    failed runs, and run again on the next resume. LOST_IN_A_ROW tasks lost in a row, each on its own,
    stop the sweep with a WorkerError. Any other exception from a future is a bug and propagates.
    """
    deaths = worker_deaths()
    pending: dict = {}  # future -> (task, attempt, executor it went to)
    again: deque[tuple[Task, int]] = deque()
    exhausted, lost_in_a_row = False, 0
    while pending or again or not exhausted:
        if again:
            if not pending:
                task, attempt = again.popleft()
                pending[_submit(backend, task)] = (task, attempt, backend.executor)
        else:
            while not exhausted and len(pending) < max_in_flight:
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                    break
                pending[_submit(backend, task)] = (task, 1, backend.executor)
        if not pending:
            break
        finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        for future in finished:
            task, attempt, executor = pending.pop(future)
            try:
                records = future.result()
            except deaths as exc:
                if isinstance(exc, BrokenExecutor) and executor is backend.executor and backend.restart:
                    backend.restart()
                if attempt < ATTEMPTS:
                    again.append((task, attempt + 1))
                    continue
                lost_in_a_row += attempt > 1  # counted when it died alone: then it is not bad company
                yield [_lost(task, order, exc, attempt) for order in task.runs]
                if lost_in_a_row >= LOST_IN_A_ROW:
                    raise WorkerError(f"workers keep dying: {lost_in_a_row} tasks lost in a row, each after "
                                      f"{ATTEMPTS} tries (last: {type(exc).__name__}: {str(exc)[:200]}); the runs "
                                      "finished so far are kept: check the memory a run needs or the cluster, "
                                      "then run the same command again to resume") from None
                continue
            lost_in_a_row = 0
            yield records


def worker_deaths() -> tuple[type[BaseException], ...]:
    """Exceptions by which an executor says a task's worker died or was lost (not that the task failed)."""
    kinds: list[type[BaseException]] = [BrokenExecutor, CancelledError]
    with contextlib.suppress(ImportError):
        from distributed import KilledWorker
        from distributed.comm.core import CommClosedError

        kinds += [KilledWorker, CommClosedError]
    return tuple(kinds)


def _submit(backend: Backend, task: Task):
    """Submit `task`; a pool found broken at submission is restarted once."""
    try:
        return backend.executor.submit(run_task, task)
    except BrokenExecutor:
        if backend.restart is None:
            raise
        backend.restart()
        return backend.executor.submit(run_task, task)


def _lost(task: Task, order: RunOrder, exc: BaseException, attempts: int) -> RunRecord:
    row = {"run_id": order.run_id, "point": order.point, "replicate": order.replicate, "seed": order.seed,
           "status": "lost", "error": f"worker lost {attempts} times: {type(exc).__name__}: {str(exc)[:200]}",
           "elapsed_s": float("nan"), "worker": None, **order.params,
           **dict.fromkeys(task.metric_names, float("nan"))}
    return RunRecord(row, {})
