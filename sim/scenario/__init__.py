"""Scenario configs: the schema, its checks, loading from YAML and overrides by dotted path.

A scenario names the economies and sectors, gives an input-output table at country x sector level
(intermediate flows and final demand, annual values), says how many firms each cell holds and how
they link, sets inventories, lead times and elasticities, and lists the policy blocks simulated against
the no-policy baseline (tariffs, quotas, export controls, capacity losses, the governments' rules).
Everything a user can get wrong is checked once, when the scenario is built, and reported as a
`ScenarioError` naming the file, the field, the bad value and what is allowed, so nothing downstream
ever sees a half-valid config. The modules: `names` (annotated name types), `schema` (the config
blocks and `Scenario`), `checks` (cross-field checks), `errors` (pydantic's errors in words) and
`loading` (files, `extends`, CSV tables, overrides).
"""

from sim.scenario import schema
from sim.scenario.errors import first_error, model_at
from sim.scenario.loading import (
    FLAGS,
    apply_overrides,
    config_dirs,
    deep_merge,
    load_raw,
    load_scenario,
    parse_override,
    read_yaml,
    resolve_config,
    resolve_path,
    scenario_dirs,
)
from sim.scenario.names import NAME_PATTERN, CellName, EconomyName, EconomyTargets, Name, SectorName, SectorTargets
from sim.scenario.schema import *  # noqa: F403  (the config blocks, `Scenario`, the policy blocks)

__all__ = [
    *schema.__all__, "FLAGS", "NAME_PATTERN", "CellName", "EconomyName", "EconomyTargets", "Name", "SectorName",
    "SectorTargets", "apply_overrides", "config_dirs", "deep_merge", "first_error", "load_raw", "load_scenario",
    "model_at", "parse_override", "read_yaml", "resolve_config", "resolve_path", "scenario_dirs",
]
