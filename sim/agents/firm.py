"""Firm: one plant in one economy and one sector, the named face of a row of the engine's arrays.

A `Firm` is a view: it stores only its index, and every number it reports (output, price, capacity,
inventories, suppliers, customers) is read from the engine at the moment it is asked, so firms never
go stale and cost almost nothing to create. The step itself runs on arrays for all firms at once.
Removing a firm (Mesa's `remove`) closes its plant: from the next step on it has no capacity, so it
produces and ships nothing, and its buyers turn to their other suppliers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import SupplyChainModel


class Firm(mesa.Agent):
    """A plant; its rule (produce, deliver, order) runs vectorised in `sim.engine`."""

    def __init__(self, model: SupplyChainModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def economy(self) -> str:
        net = self.model.network
        return net.economies[net.firm_cell[self.index] // net.n_sectors]

    @property
    def sector(self) -> str:
        net = self.model.network
        return net.sectors[net.firm_cell[self.index] % net.n_sectors]

    @property
    def owner(self) -> str | None:
        owner = self.model.network.firm_owner[self.index]
        return None if owner < 0 else self.model.network.multinationals[owner]

    @property
    def baseline_output(self) -> float:
        return float(self.model.engine.structure.output0[self.index])

    @property
    def output(self) -> float:
        """Output in the last step (baseline before the first step)."""
        flows = self.model.last_flows
        return self.baseline_output if flows is None else float(flows.output[self.index])

    @property
    def price(self) -> float:
        return float(self.model.engine.state.price[self.index])

    @property
    def capacity(self) -> float:
        return float(self.model.engine.structure.capacity0[self.index] * self.model.policy.capacity[self.index])

    @property
    def inventories(self) -> dict[str, float]:
        """Input inventories by sector, in days of baseline use."""
        st = self.model.engine.structure
        lo, hi = np.searchsorted(st.slot_firm, [self.index, self.index + 1])
        inventory = self.model.engine.state.inventory[lo:hi]
        days = inventory / st.slot_flow0[lo:hi] * (365 / self.model.config.time.steps_per_year)
        return {self.model.network.sectors[s]: float(d) for s, d in zip(st.slot_sector[lo:hi], days, strict=True)}

    @property
    def suppliers(self) -> list[int]:
        """Firms it buys from now: the build's links and those supplier search formed, less dropped ones."""
        st = self.model.engine.structure
        return st.supplier[(st.buyer == self.index) & self._live()].tolist()

    @property
    def customers(self) -> list[int]:
        """Buyer nodes it sells to now (firms, or n_firms + economy for final demand)."""
        st = self.model.engine.structure
        return st.buyer[(st.supplier == self.index) & self._live()].tolist()

    def _live(self) -> np.ndarray:
        """[links] links with a weight or an order share (dropped links and qualifying new links have neither)."""
        return (self.model.engine.structure.w0 > 0) | (self.model.engine.state.share > 0)

    def remove(self) -> None:
        """Close the plant (no capacity from the next step on) and remove the agent from the model."""
        self.model.close_plant(self.index)
        super().remove()

    def __repr__(self) -> str:
        return f"Firm({self.index}, {self.economy}.{self.sector})"
