"""Government: the trade-policy maker of one economy.

It owns the rules the scenario gives it (sim.policies): its schedule of tariffs on imports and
controls on exports, tariff-rate quotas, negotiation (offers it makes, exemptions it grants), truces
and its retaliation rule. The model steps governments phase by phase through Mesa AgentSets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents.policy_maker import PolicyMaker

if TYPE_CHECKING:
    from sim.model import SupplyChainModel


class Government(PolicyMaker):
    """Sets this economy's tariffs on imports and controls on exports by its rules."""

    def __init__(self, model: SupplyChainModel, economy: str):
        super().__init__(model)
        self.economy = economy

    def __repr__(self) -> str:
        return f"Government({self.economy})"
