"""Where the time of a sweep's runs goes: `sim sweep SPEC --profile [N]`.

Runs the first `N` runs of the sweep in this process as one task, in the order and the way a worker
meets them (seed by seed, reusing each seed's network and baseline run when every swept parameter is
a policy field, as `sim.sweep.runner` decides), after one untimed run that loads the compiled kernels
(a worker does that once per sweep), with the main parts of a run timed by wrapping their functions
(no profiler, so the rest runs at full speed). Reports runs per minute in one process, seconds per
run, the networks built and each part's share of the wall time: the engine step, supplier search,
the policy schedule, the quota, retaliation and negotiation rules, the recorder, Mesa's DataCollector,
scenario validation, model set-up (network builds where not reused), results and metrics; "other"
is the rest (the model step itself, Mesa's event loop, shocks, relocation). The parts never call one
another, so the shares add up. Nothing is written to the sweep's store.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from pathlib import Path

import numpy as np

OTHER = "other (model step, Mesa, shocks, relocation)"


def parts() -> list[tuple[str, object, str]]:
    """(label, owner, attribute) of the functions timed; none of them calls another."""
    from mesa import DataCollector

    from sim import scenario
    from sim.engine.core import Engine
    from sim.model import SupplyChainModel
    from sim.policies import OfferRule, OwnPlantsRule, Retaliation, TariffQuotaRule
    from sim.recorder import Recorder
    from sim.scenario import derive
    from sim.sweep import worker

    return [("engine step", Engine, "step"), ("supplier search", Engine, "revise_suppliers"),
            ("policy schedule", SupplyChainModel, "_set_schedule"), ("retaliation rules", Retaliation, "act"),
            ("negotiation rules", OwnPlantsRule, "act"), ("negotiation rules", OfferRule, "act"),
            ("tariff quotas", TariffQuotaRule, "act"), ("recorder", Recorder, "record"),
            ("Mesa DataCollector", DataCollector, "collect"), ("overrides", worker, "apply_overrides"),
            ("overrides", derive, "apply_overrides"),
            ("scenario validation", scenario.Scenario, "from_dict"),
            ("model set-up (network build when not reused)", SupplyChainModel, "__init__"),
            ("results", SupplyChainModel, "results"), ("metrics", worker, "metrics"),
            ("loss series", worker, "loss_series")]


def profile(spec_source: str | Path | dict, runs: int = 20) -> dict:
    """The first `runs` runs of the sweep `spec_source` in this process, timed by part (see the module)."""
    from sim.scenario import policy_field
    from sim.sweep import worker
    from sim.sweep.designs import DesignPoints
    from sim.sweep.runner import _tasks
    from sim.sweep.spec import load_spec

    if runs < 1:
        raise ValueError(f"profile {runs} runs: allowed: one or more")
    spec = load_spec(spec_source)
    design = DesignPoints.of(spec)
    ids = np.arange(len(design) * spec.replicates)
    reuse = all(policy_field(path) for p in spec.parameters for path in p.targets)
    if reuse:  # as the runner orders the whole sweep: seed by seed; a worker's first runs are then these
        ids = ids[np.lexsort((ids, ids % spec.replicates))]
    ids = ids[:runs]
    base_raw = spec.base_raw()
    key = spec.spec_hash(base_raw)
    task = next(_tasks(spec, design, spec.replicate_seeds(), base_raw, ids, len(ids), key if reuse else None, key))
    warm_up = dataclasses.replace(task, runs=task.runs[:1], sweep_key=None)
    worker.run_task(warm_up)  # untimed: loads the compiled kernels, which a worker does once per sweep
    worker._reused.clear()  # every seed's network and baseline are built inside the timed runs
    worker._bases.clear()  # and the base is validated inside them
    spent: dict[str, float] = {}
    originals = []
    try:
        for label, owner, name in parts():
            original = inspect.getattr_static(owner, name)
            function = original.__func__ if isinstance(original, classmethod) else original

            def timed(*a, _f=function, _label=label, **k):
                started = time.perf_counter()
                try:
                    return _f(*a, **k)
                finally:
                    spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - started

            originals.append((owner, name, original))
            setattr(owner, name, classmethod(timed) if isinstance(original, classmethod) else timed)
        started = time.perf_counter()
        records = worker.run_task(task)
        wall = time.perf_counter() - started
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    shares = {label: spent.get(label, 0.0) / wall for label, _, _ in parts()}  # a label timed twice counts once
    shares[OTHER] = 1.0 - sum(shares.values())
    failed = [r.row["error"] for r in records if r.row["status"] != "ok"]
    builds = len({order.seed for order in task.runs}) if reuse else len(task.runs)
    return {"sweep": spec.name, "runs": len(ids), "reuse": reuse, "network_builds": builds, "wall_s": wall,
            "s_per_run": wall / len(ids), "runs_per_min": 60.0 * len(ids) / wall, "shares": shares,
            "failed": failed}


def profile_lines(report: dict) -> list[str]:
    """The report as `sim sweep --profile` prints it."""
    reuse = "reused per seed" if report["reuse"] else "built for every run"
    lines = [f"{report['sweep']}: {report['runs']} runs in this process in {report['wall_s']:.1f} s, "
             f"{report['s_per_run']:.3f} s per run, {report['runs_per_min']:.1f} runs/min on one core "
             f"(networks and baselines {reuse}: {report['network_builds']} built)", "where the time goes:"]
    lines += [f"  {label:46s} {share:6.1%}" for label, share in report["shares"].items()]
    if report["failed"]:
        lines.append(f"{len(report['failed'])} run(s) failed, so the shares describe failures too; the first:")
        lines += [f"  {error}" for error in report["failed"][:5]]
    return lines
