"""Truces: on its day, two economies drop their retaliation against each other and start counting anew.

Each side's retaliation rule (sim.policies.retaliation) sets its level against the other to zero and
measures the other's later increases from the level in force at the truce. The truce belongs to the
government of the first economy named; it acts once and logs the truce.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.policies.retaliation import Retaliation
from sim.policies.rule import OnePerBlock, registers
from sim.scenario import Truce

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel


@registers(Truce)
class TruceRule(OnePerBlock):
    """One truce between two economies."""

    phase = "truce"
    agent = "government"

    def __init__(self, config: Truce, model: SupplyChainModel, where: str):
        self.config, self.where, self.owner = config, where, config.economies[0]
        self.done = False

    def act(self, model: SupplyChainModel, policy: Policy) -> None:
        truce = self.config
        if self.done or model.day < truce.day:
            return
        self.done = True
        a, b = truce.economies
        for me, other in ((a, b), (b, a)):
            for retaliation in model.governments[me].rules_of(Retaliation):
                retaliation.truce(model, model.index.economy(other))
        model.log_event(actor=f"{a}+{b}", action="truce", partner="", sectors="*", value=0.0, rule="truce",
                        reason=f"{self.where} on day {truce.day:g}", source=truce.source or "")
