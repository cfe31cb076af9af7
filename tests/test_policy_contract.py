"""The policy rule contract (sim.policies.rule): registry, policy blocks, agents, phases and history."""

from __future__ import annotations

import typing

import numpy as np
import pytest
from mesa.agent import AgentSet
from mesa.experimental.scenarios import Scenario as MesaScenario
from pydantic import BaseModel

from sim.agents import Government, Multinational
from sim.model import SupplyChainModel
from sim.policies import PHASES, RULES
from sim.policies.rule import policy_configs
from sim.scenario import Scenario, load_scenario, policy_field


def schema_paths(model: type[BaseModel], prefix: str = "") -> typing.Iterator[tuple[str, type]]:
    """(dotted path, config class) of every config block the schema can hold, list items as '*'."""
    for name, info in model.model_fields.items():
        for candidate in (info.annotation, *typing.get_args(info.annotation)):
            path = f"{prefix}{name}" if candidate is info.annotation else f"{prefix}{name}.*"
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                yield path, candidate
                yield from schema_paths(candidate, path + ".")


def test_every_rule_config_lives_only_in_policy_blocks():
    """A registered config anywhere else would act in the no-policy baseline run."""
    import sim.policies  # noqa: F401

    holders = [(path, cls) for path, cls in schema_paths(Scenario) if cls in RULES]
    assert {cls for _, cls in holders} == set(RULES)  # each registered config has a place in the schema
    for path, cls in holders:
        assert policy_field(path.replace("*", "0")), f"{cls.__name__} at {path} is not in a policy block"


def test_rules_declare_the_contract():
    for rule in set(RULES.values()):
        assert rule.phase in PHASES, rule
        assert rule.agent in ("government", "multinational"), rule
        assert callable(getattr(rule, "build", None)) and callable(getattr(rule, "act", None)), rule


def test_the_baseline_keeps_no_rule():
    scenario = load_scenario("tiny_trade_war", {"tariffs.quotas": [
        {"importer": "US", "sectors": ["chips"], "in_quota_rate": 0.0, "over_quota_rate": 0.3, "quota": 5.0}]})
    found = policy_configs(scenario)
    assert len(found) >= 5  # schedule, quota, retaliation, truce, offer
    assert policy_configs(scenario.without_shocks()) == {}
    friends = load_scenario("friendshoring")
    assert policy_configs(friends) and policy_configs(friends.without_shocks()) == {}


def test_agents_own_their_rules_and_are_stepped_per_phase():
    model = SupplyChainModel("tiny_trade_war")
    owners = {id(rule): agent for agent in [*model.governments.values(), *model.multinationals.values()]
              for rule in agent.rules}
    assert owners
    for rule_id, agent in owners.items():
        rule = next(r for r in agent.rules if id(r) == rule_id)
        assert isinstance(agent, Government if rule.agent == "government" else Multinational)
        assert rule.owner == (agent.economy if isinstance(agent, Government) else agent.name)
    for phase, acting in model.acting.items():
        assert isinstance(acting, AgentSet)
        assert all(any(r.phase == phase for r in agent.rules) for agent in acting)
    assert [a.economy for a in model.acting["retaliate"]] == ["CN", "MY"]  # economy order
    assert [a.economy for a in model.acting["truce"]] == ["US"]
    assert isinstance(model.scenario, MesaScenario) and model.scenario.config is model.config


def test_history_keeps_what_the_rules_read():
    model = SupplyChainModel("tiny_trade_war")
    depth = max(rule.lookback_steps for agent in model.governments.values() for rule in agent.rules)
    assert model.history.depth == depth
    model.run_for(depth + 5)
    recorded = model.tariff_history
    for lag in range(depth):
        assert np.array_equal(model.history.tariff(lag), recorded[-1 - lag])
    with pytest.raises(ValueError, match="lookback_steps"):
        model.history.tariff(depth)


def test_a_policy_block_the_baseline_could_not_reset_is_refused():
    from typing import Annotated

    from pydantic import Field

    from sim.scenario.schema import POLICY, Strict, TariffQuota, _policy_paths

    class Inner(Strict):
        quotas: Annotated[list[TariffQuota], POLICY] = Field(default_factory=list)

    class Reachable(Strict):
        inner: Inner = Field(default_factory=Inner)

    class Hidden(Strict):
        inner: Inner | None = None

    assert list(_policy_paths(Reachable)) == ["inner.quotas"]
    with pytest.raises(TypeError, match="cannot be reset by the baseline"):
        list(_policy_paths(Hidden))


def test_a_removed_government_acts_no_more():
    model = SupplyChainModel("tiny_trade_war")
    model.governments["CN"].remove()
    model.run_for(120)  # China's tit-for-tat would answer the US tariffs within days
    assert not [e for e in model.events if e["actor"] == "CN"]
    assert all(agent.economy != "CN" for acting in model.acting.values() for agent in acting)
