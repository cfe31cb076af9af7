"""PolicyMaker: a Mesa agent that acts by policy rules (sim.policies), one phase of the step at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.policies.rule import PolicyRule


class PolicyMaker(mesa.Agent):
    """Owns rules and applies those of a phase, in the order it adopted them, to the step's policy tensors."""

    def __init__(self, model):
        super().__init__(model)
        self.rules: list[PolicyRule] = []

    def adopt(self, rule: PolicyRule) -> None:
        self.rules.append(rule)

    def phases(self) -> set[str]:
        """The phases in which it has rules to apply."""
        return {rule.phase for rule in self.rules}

    def act(self, phase: str, policy: Policy) -> None:
        """Apply its rules of `phase` (stepped so by the model, through an AgentSet per phase)."""
        for rule in self.rules:
            if rule.phase == phase:
                rule.act(self.model, policy)

    def remove(self) -> None:
        """Remove the agent: it acts no more (it leaves every phase's AgentSet)."""
        for acting in getattr(self.model, "acting", {}).values():
            acting.discard(self)
        super().remove()

    def rules_of(self, kind: type) -> list:
        """Its rules of class `kind`."""
        return [rule for rule in self.rules if isinstance(rule, kind)]
