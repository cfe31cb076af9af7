"""Multinational: a parent firm (e.g. a US chipmaker) that owns plants in several economies.

Ownership is part of the network build (a share of a cell's output, see `multinationals` in the
scenario). The multinational reports its plants' output and its own tariff bill (the duties its
home economy levies on what its foreign plants ship home), and owns its relocation plans
(friend-shoring, `sim.policies.relocation`), which the model steps in the relocation phase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.policy_maker import PolicyMaker

if TYPE_CHECKING:
    from sim.model import SupplyChainModel


class Multinational(PolicyMaker):
    """A parent company and its plants (firm indices)."""

    def __init__(self, model: SupplyChainModel, name: str, home: str):
        super().__init__(model)
        self.name = name
        self.home = home
        self.owner_index = model.network.multinationals.index(name)
        self.plants = np.flatnonzero(model.network.firm_owner == self.owner_index)

    @property
    def output(self) -> float:
        flows = self.model.last_flows
        source = self.model.engine.structure.output0 if flows is None else flows.output
        return float(source[self.plants].sum())

    @property
    def tariff_bill(self) -> float:
        """Duties paid in the last step on shipments from its plants abroad into its home economy."""
        flows = self.model.last_flows
        if flows is None:
            return 0.0
        net, st = self.model.network, self.model.engine.structure
        home = net.economies.index(self.home)
        owned = np.isin(st.supplier, self.plants) & (st.buyer_economy == home)
        price = self.model.engine.state.price[st.supplier[owned]]
        return float(np.sum(flows.shipped[owned] * price * flows.route_tariff[flows.link_route[owned]]))

    def __repr__(self) -> str:
        return f"Multinational({self.name}, home={self.home}, plants={len(self.plants)})"
