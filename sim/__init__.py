"""sim: an agent-based simulator of tariffs, retaliation and export controls on supply chains.

Public API (stable names):
    load_scenario(path_or_name, overrides=None) -> Scenario
    scenario_from_mrio(io_system, ...) -> Scenario
    SupplyChainModel(scenario, rng=...)         a mesa.Model; .run_for(n), .step(), .results()
    run(scenario, steps=...) -> Results         a scenario and its baseline on the same network
    build_network(scenario, rng) -> SupplyNetwork
    sweep(spec, executor=None, ...) -> SweepResult   parameter sweeps streamed to Parquet (resumable)

Names load on first use, so `import sim` (and `sim --help`) does not import Mesa, numba or pandas
until something needs them. `sim.run` and `sim.sweep` are the functions, although modules of the same
names define them (`sim/run.py`, the package `sim/sweep/`): importing those modules never replaces
the functions, so `from sim.sweep import analysis` and `from sim.run import run` work, while
`import sim.sweep as s` gives the function (use `from sim import sweep as ...` for the package's parts:
`from sim.sweep import load_spec`). Other submodules load on first access (`sim.metrics.disruption`).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__version__ = "0.1.0"

_HOMES = {
    "DEFAULT_SCENARIO": "sim.scenario",
    "Results": "sim.results",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.errors",
    "SupplyChainModel": "sim.model",
    "SupplyNetwork": "sim.network",
    "build_network": "sim.network",
    "load_network": "sim.network",
    "load_scenario": "sim.scenario",
    "run": "sim.run",
    "save_network": "sim.network",
    "scenario_from_mrio": "sim.network.mrio",
    "sweep": "sim.sweep.runner",
}
_FUNCTIONS_NAMED_LIKE_MODULES = ("run", "sweep")

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    elif importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule: sim.metrics, sim.scenario, ...
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    vars(sys.modules[__name__])[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


class _Package(types.ModuleType):
    """The `sim` package: loading the module `sim.run` or `sim.sweep` leaves the function of that name in place."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTIONS_NAMED_LIKE_MODULES and isinstance(value, types.ModuleType):
            return  # the module stays reachable in sys.modules and by `from sim.<name> import ...`
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
