"""Friend-shoring: a multinational moves capacity between its own plants when a tariff wedge persists.

The wedge is the rise (over the calibration year) of the home economy's tariff on the sector from
the 'from' economy minus that from the 'to' economy. Once it has stayed above the threshold for
`persistence_days`, the multinational decides to move `share` of its 'from' plants' capacity;
after the investment lag the move ramps up linearly over `ramp_days`. Capacity leaves the 'from'
plants in full and arrives at the 'to' plants less the relocation cost, shared over them by size;
nothing else is created or lost.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.rule import registers
from sim.scenario import Relocation

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel


@registers(Relocation)
class RelocationRule:
    """One relocation plan of one multinational: watches the wedge, then moves capacity."""

    phase = "relocate"
    agent = "multinational"
    lookback_steps = 1

    @classmethod
    def build(cls, entries: list[tuple[str, Relocation]], model: SupplyChainModel) -> list[RelocationRule]:
        """Each plan of `multinationals[i].relocations`, owned by multinational i and moving its plants."""
        rules = []
        for where, config in entries:
            parent = model.config.multinationals[int(re.match(r"multinationals\[(\d+)\]", where).group(1))]
            rules.append(cls(config, parent.name, parent.home, model, model.multinationals[parent.name].plants))
        return rules

    def __init__(self, config: Relocation, owner: str, home: str, model: SupplyChainModel, plants: np.ndarray):
        self.config, self.owner = config, owner
        net, steps = model.network, model.config.steps
        sector = net.sectors.index(config.sector)
        self.home = model.index.economy(home)
        self.origin = model.index.economy(config.from_economy)
        self.destination = model.index.economy(config.to_economy)
        self.sector = sector
        cell = net.firm_cell[plants]
        self.from_plants = plants[cell == self.origin * net.n_sectors + sector]
        self.to_plants = plants[cell == self.destination * net.n_sectors + sector]
        capacity0 = model.engine.structure.capacity0
        self.moved_capacity = config.share * capacity0[self.from_plants].sum()
        self.to_capacity0 = capacity0[self.to_plants].sum()
        self.persistence = round(steps(config.persistence_days))
        self.lag = round(steps(config.lag_days))
        self.ramp = max(1, round(steps(config.ramp_days)))
        self.wedge_steps = 0
        self.decided_at: int | None = None
        self.progress = 0.0  # share of the move done, 0..1

    def wedge(self, model: SupplyChainModel) -> float:
        """The home tariff's rise on the sector from 'from' less that from 'to', as applied in the last step."""
        change = model.history.tariff(0) - model.baseline_tariff
        return float(change[self.home, self.origin, self.sector] - change[self.home, self.destination, self.sector])

    def act(self, model: SupplyChainModel, policy: Policy) -> None:
        """Update the plan and apply the move done so far to the firms' capacity factors (after the step's
        capacity shocks)."""
        step, cfg, factor = model.engine.state.step, self.config, policy.capacity
        if self.decided_at is None:
            wedge = self.wedge(model)
            self.wedge_steps = self.wedge_steps + 1 if wedge > cfg.wedge_threshold else 0
            if self.wedge_steps > self.persistence:
                self.decided_at = step
                model.log_event(actor=self.owner, action="decide relocation", partner=cfg.to_economy,
                                sectors=cfg.sector, value=cfg.share, rule="relocation",
                                reason=f"tariff wedge {100 * wedge:.1f} points against {cfg.from_economy} for "
                                       f"{cfg.persistence_days:g} days; capacity arrives after {cfg.lag_days:g} days",
                                source=cfg.source or "")
        else:
            progress = min(1.0, max(0.0, (step - self.decided_at - self.lag) / self.ramp))
            if progress >= 1.0 > self.progress:
                model.log_event(actor=self.owner, action="relocation complete", partner=cfg.to_economy,
                                sectors=cfg.sector, value=cfg.share, rule="relocation",
                                reason=f"moved {100 * cfg.share:.0f}% of {cfg.from_economy} capacity, "
                                       f"{100 * cfg.cost_share:.0f}% lost in the move", source=cfg.source or "")
            self.progress = progress
        if self.progress > 0:
            factor[self.from_plants] *= 1.0 - cfg.share * self.progress
            arriving = self.progress * self.moved_capacity * (1.0 - cfg.cost_share)
            factor[self.to_plants] *= 1.0 + arriving / self.to_capacity0
