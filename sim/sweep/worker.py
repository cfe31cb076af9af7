"""One unit of work of a sweep, as executed on a worker (a process, a Dask worker, an MPI rank).

A task carries everything its runs need as plain data — the base scenario mapping, the overrides
and the seed of each run — so any `concurrent.futures.Executor` can ship it and no worker reads
files or shared state. Each run validates its scenario, simulates it against its baseline with
`sim.run`, and returns its parameters, metrics and series. A worker validates a task's base scenario
once (keyed by the task's base key) and each run's overrides on it (`sim.scenario.derive`: the
blocks the overrides do not reach are shared, the scenario is the one validating everything gives).
A run that raises is returned as failed with its error; it never takes the other runs of the task
down with it.

Runs that differ only in policy fields (`sim.scenario.POLICY_FIELDS`: applied tariffs, exemptions,
quotas, controls, shocks, relocation plans, retaliation, truces, negotiation) share their network and
their baseline run, for the same seed and steps. When every swept parameter is a policy field, the
driver marks the tasks with a sweep key and orders the runs seed by seed; a worker then keeps the last `REUSE_SIZE` of
them, keyed by the sweep, the seed and the steps, and passes them to `sim.run`, which returns what
it would have computed (a test checks bit-identical tables with reuse off). The cached baseline
arrays are read-only.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.errors import ScenarioError
from sim.run import run as run_scenario
from sim.scenario import Scenario, apply_overrides
from sim.scenario.derive import Base
from sim.sweep.outputs import loss_series, metrics

REUSE_SIZE = 2  # about 25 MB each for the default scenario (the baseline run's recorded rows); runs come seed by seed
_reused: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()  # this process's networks and baseline runs
_bases: dict[str, Base | None] = {}  # this process's validated base scenario, by base key (None: it did not validate)


@dataclass
class RunOrder:
    """One run: its identity, its seed, its recorded parameter values and the overrides they mean."""

    run_id: int
    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    overrides: dict[str, Any]


@dataclass
class Task:
    """Runs shipped together to one worker, with the shared inputs they need."""

    base_raw: dict
    base_file: str | None
    steps: int | None
    metric_names: list[str]
    series_names: list[str]
    runs: list[RunOrder] = field(default_factory=list)
    sweep_key: str | None = None  # identifies the sweep (spec and base); None: reuse nothing between runs
    base_key: str | None = None  # identifies the base: validated once per worker (None: every run validates it all)


@dataclass
class RunRecord:
    """What a worker returns for one run: a table row and its loss series (empty if it failed)."""

    row: dict[str, Any]
    series: dict[str, np.ndarray]


def run_task(task: Task) -> list[RunRecord]:
    """Execute every run of `task`; failures are recorded, not raised."""
    return [_run_one(task, order) for order in task.runs]


def _run_one(task: Task, order: RunOrder) -> RunRecord:
    started = time.perf_counter()
    row: dict[str, Any] = {"run_id": order.run_id, "point": order.point, "replicate": order.replicate,
                           "seed": order.seed, "status": "ok", "error": None, "elapsed_s": 0.0,
                           "worker": f"{socket.gethostname()}:{os.getpid()}", **order.params}
    kept: dict[str, np.ndarray] = {}
    try:
        scenario = _scenario(task, order.overrides)
        key = _reuse_key(task, order)
        network, baseline = _reused.get(key, (None, None)) if key else (None, None)
        results = run_scenario(scenario, steps=task.steps, rng=order.seed, network=network, baseline=baseline)
        if key is not None:
            _keep(key, results)
        row.update(metrics(results, task.metric_names))
        kept = loss_series(results, task.series_names)
    except Exception as exc:  # a failed run is data, not a crash of the sweep
        where = traceback.extract_tb(exc.__traceback__)[-1]
        row["status"] = "failed"
        row["error"] = f"{type(exc).__name__}: {str(exc)[:500]} ({os.path.basename(where.filename)}:{where.lineno})"
        row.update(dict.fromkeys(task.metric_names, float("nan")))
    row["elapsed_s"] = time.perf_counter() - started
    return RunRecord(row, kept)


def _scenario(task: Task, overrides: dict[str, Any]) -> Scenario:
    """A run's scenario: derived from the worker's validated base (validated once per base key), or, where the
    task has no base key or its base does not validate, the base with the overrides validated afresh."""
    base = _base(task.base_key, task) if task.base_key is not None else None
    if base is not None:
        return base.derive(overrides)
    return Scenario.from_dict(apply_overrides(task.base_raw, overrides, file=task.base_file), file=task.base_file)


def _base(key: str, task: Task) -> Base | None:
    """This process's validated base under `key` (None if it does not validate), validated on first use."""
    if key not in _bases:
        try:
            base = Base(task.base_raw, task.base_file)
        except ScenarioError:  # each run then reports the error its overrides leave, as without a base
            base = None
        _bases.clear()  # one base at a time: another sweep's is of no more use
        _bases[key] = base
    return _bases[key]


def _keep(key: tuple, results: Any) -> None:
    """Keep a run's network and baseline under `key` (the most recent REUSE_SIZE keys of this sweep)."""
    if key in _reused:
        _reused.move_to_end(key)
        return
    if any(other[0] != key[0] for other in _reused):  # another sweep's: of no more use
        _reused.clear()
    for table in results.baseline.arrays.values():
        table.setflags(write=False)  # shared by later runs: nothing may change it in place
    _reused[key] = (results.network, results.baseline)
    while len(_reused) > REUSE_SIZE:
        _reused.popitem(last=False)


def _reuse_key(task: Task, order: RunOrder) -> tuple | None:
    """What a run's network and baseline depend on when the driver marked its task for reuse (every
    swept parameter a policy field): the sweep, the seed and the steps; None otherwise."""
    return None if task.sweep_key is None else (task.sweep_key, order.seed, task.steps)
