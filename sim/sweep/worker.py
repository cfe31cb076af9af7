"""One unit of work of a sweep, as executed on a worker (a process, a Dask worker, an MPI rank).

A task carries everything its runs need as plain data — the base scenario mapping, the overrides
and the seed of each run — so any `concurrent.futures.Executor` can ship it and no worker reads
files or shared state. Each run loads its scenario, simulates it against its baseline with
`sim.run`, and returns its parameters, metrics and series. A run that raises is returned as
failed with its error; it never takes the other runs of the task down with it.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.run import run as run_scenario
from sim.scenario import Scenario, apply_overrides
from sim.sweep.outputs import loss_series, metrics


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
        raw = apply_overrides(task.base_raw, order.overrides, file=task.base_file)
        scenario = Scenario.from_dict(raw, file=task.base_file)
        results = run_scenario(scenario, steps=task.steps, rng=order.seed)
        row.update(metrics(results, task.metric_names))
        kept = loss_series(results, task.series_names)
    except Exception as exc:  # a failed run is data, not a crash of the sweep
        where = traceback.extract_tb(exc.__traceback__)[-1]
        row["status"] = "failed"
        row["error"] = f"{type(exc).__name__}: {str(exc)[:500]} ({os.path.basename(where.filename)}:{where.lineno})"
        row.update(dict.fromkeys(task.metric_names, float("nan")))
    row["elapsed_s"] = time.perf_counter() - started
    return RunRecord(row, kept)
