"""The policy rule contract: one protocol, a registry keyed by config type, and the phases of a step.

A rule is built from the config blocks of one type found in the scenario's policy blocks (the fields
the schema marks `POLICY`, which the no-policy baseline resets, so no rule can act in a baseline run),
belongs to one agent (the government of an economy, or a multinational) and acts once per step in its
phase, writing into the step's policy tensors. A new rule is one config class, placed in a policy
block of the schema, plus one module with a class registered for it:

    @registers(TariffQuota)
    class TariffQuotaRule:
        phase = "quota"
        agent = "government"

        @classmethod
        def build(cls, entries, model): ...   # [(path, config)] of its config type -> [rules]

        def act(self, model, policy): ...

Phases run in the order of PHASES, each agent's rules in the order their configs appear in the
scenario. The `schedule` phase is event-driven: its rules act only on the days one of their
`change_days()` falls on (the model copies their result on the other days).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from pydantic import BaseModel

from sim.scenario import POLICY_FIELDS
from sim.scenario.checks import blocks

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel

# schedule: the dated entries of the tariff and control schedules; quota: tariff-rate quotas; negotiate:
# offers and exemptions; truce; retaliate: answers to partners' tariffs; relocate: multinationals' plans,
# after the step's capacity shocks
PHASES = ("schedule", "quota", "negotiate", "truce", "retaliate", "relocate")
Phase = Literal["schedule", "quota", "negotiate", "truce", "retaliate", "relocate"]


class PolicyRule(Protocol):
    """What every policy rule provides (see the module docstring)."""

    phase: ClassVar[Phase]
    agent: ClassVar[Literal["government", "multinational"]]
    owner: str  # the economy whose government, or the multinational, that acts by the rule
    lookback_steps: int  # how many completed steps of the policy history it reads (sim.policies.history)

    @classmethod
    def build(cls, entries: list[tuple[str, BaseModel]], model: SupplyChainModel) -> list[PolicyRule]: ...

    def act(self, model: SupplyChainModel, policy: Policy) -> None: ...


class OnePerBlock:
    """The usual build of a rule: one rule per config block, `cls(config, model, where)`, reading the last step."""

    lookback_steps = 1

    @classmethod
    def build(cls, entries: list[tuple[str, BaseModel]], model: SupplyChainModel) -> list:
        return [cls(config, model, where) for where, config in entries]


RULES: dict[type, type] = {}  # config class -> the rule class built from it


def registers(*config_types: type) -> Callable[[type], type]:
    """Class decorator: the rule is built from the scenario's blocks of `config_types`."""

    def register(rule: type) -> type:
        if rule.phase not in PHASES:
            raise ValueError(f"{rule.__name__}.phase {rule.phase!r}; allowed: {', '.join(PHASES)}")
        for config_type in config_types:
            known = RULES.get(config_type)
            if known is not None and (known.__module__, known.__qualname__) != (rule.__module__, rule.__qualname__):
                raise ValueError(f"{config_type.__name__} is already the config of {known.__name__}")
            RULES[config_type] = rule  # the same rule again (its module reloaded) replaces itself
        return rule

    return register


def policy_configs(scenario) -> dict[type, list[tuple[str, BaseModel]]]:
    """The scenario's policy blocks that a registered rule is built from, grouped by rule class, each with
    its path (e.g. 'tariffs.applied[2]'), in the order they appear in the scenario."""
    found: dict[type, list[tuple[str, BaseModel]]] = {}
    for path in POLICY_FIELDS:  # in the scenario's field order, as the blocks come in a walk of it
        for where, value in _values_at(scenario, path.split(".")):
            items = enumerate(value) if isinstance(value, list) else [(None, value)]
            for i, item in items:
                if not isinstance(item, BaseModel):
                    continue
                for inner, block in blocks(item, where if i is None else f"{where}[{i}]"):
                    rule = RULES.get(type(block))
                    if rule is not None:
                        found.setdefault(rule, []).append((inner, block))
    return found


def _values_at(owner: BaseModel, parts: list[str], where: str = "") -> Iterator[tuple[str, object]]:
    """The values at a POLICY_FIELDS path under `owner` ('*': every item of a list), with their dotted paths."""
    name, rest = parts[0], parts[1:]
    value = getattr(owner, name)
    path = f"{where}.{name}" if where else name
    if not rest:
        yield path, value
    elif rest[0] == "*":
        for i, item in enumerate(value):
            yield from _values_at(item, rest[1:], f"{path}[{i}]")
    else:
        yield from _values_at(value, rest, path)


def build_rules(model: SupplyChainModel) -> list[PolicyRule]:
    """Every rule of the model's scenario, built from its configs, in scenario order within each rule class."""
    import sim.policies  # noqa: F401  (the rule modules register themselves on import)

    rules: list[PolicyRule] = []
    for rule, entries in policy_configs(model.config).items():
        rules.extend(rule.build(entries, model))
    return rules
