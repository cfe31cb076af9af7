"""sim: an agent-based simulator of tariffs, retaliation and export controls on supply chains.

Public API (stable names):
    load_scenario(path_or_name, overrides=None) -> Scenario
    scenario_from_mrio(io_system, ...) -> Scenario
    SupplyChainModel(scenario, rng=...)         a mesa.Model; .run_for(n), .step(), .results()
    run(scenario, steps=...) -> Results         a scenario and its baseline on the same network
    build_network(scenario, rng) -> SupplyNetwork
    sweep(spec, executor=None, ...) -> SweepResult   parameter sweeps streamed to Parquet (resumable)
"""

from sim.errors import ScenarioError
from sim.model import SupplyChainModel
from sim.network import SupplyNetwork, build_network, load_network, save_network
from sim.network.mrio import scenario_from_mrio
from sim.results import Results
from sim.run import run
from sim.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from sim.sweep.runner import sweep  # the function; the package stays importable as sim.sweep.*

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SCENARIO",
    "Results",
    "Scenario",
    "ScenarioError",
    "SupplyChainModel",
    "SupplyNetwork",
    "build_network",
    "load_network",
    "load_scenario",
    "run",
    "save_network",
    "scenario_from_mrio",
    "sweep",
]
