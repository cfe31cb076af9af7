"""Run a scenario and its no-policy baseline on the same network, and return comparable results."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim.model import SupplyChainModel
from sim.network import SupplyNetwork
from sim.results import Results
from sim.scenario import Scenario, load_scenario

LOGGER = logging.getLogger("sim.run")


def run(scenario: Scenario | str | Path | None = None, *, steps: int | None = None, rng=None,
        overrides: Mapping[str, Any] | None = None, network: SupplyNetwork | None = None,
        baseline: Results | None = None, progress: bool = False) -> Results:
    """Simulate `scenario` and its baseline (same network and seed, no tariffs changes, controls or
    shocks) for `steps` steps; the returned results carry the baseline run as their reference.

    `network` and `baseline` may be given from an earlier run of a scenario that differs from this
    one only in POLICY_FIELDS, with the same seed and steps: they are then what this run would build
    and simulate (the sweep workers reuse them so).

    >>> res = run("tiny", steps=30)
    >>> res.summary()["reference"]
    'baseline run'
    """
    if baseline is not None and network is None:
        raise ValueError("a baseline is reused with the network it ran on: pass both or neither")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        raise ValueError("pass overrides with a scenario name or path, not with a loaded Scenario")
    # the results come from the recorder: no firm agents, nothing for Mesa's DataCollector
    model = SupplyChainModel(scenario, rng=rng, network=network, firm_agents=False, data_collector=False)
    model.run(steps, progress=progress, label=scenario.name)
    LOGGER.debug("record: %.2f MB per step, rows in %s; goods in transit held in %s",
                 model.recorder.bytes_per_step() / 2**20, model.recorder.precision,
                 np.dtype(model.engine.transit_dtype).name)
    if baseline is None:
        reference = SupplyChainModel(scenario.without_shocks(), rng=rng, network=model.network, firm_agents=False,
                                     data_collector=False)
        reference.run(steps, progress=progress, label="baseline")
        baseline = reference.results()
        reference.release()
    results = model.results()
    model.release()
    results.network = model.network
    results.baseline = baseline
    return results
