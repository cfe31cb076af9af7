"""Government: the trade-policy maker of one economy.

For now a government follows the scenario's schedule: the tariffs it imposes on imports
(`tariffs.applied` entries with it as importer) and the export controls it sets on its exports
(`export_controls` with it as exporter), each active from its start day until its end day.
An active entry *sets* the rate of its lines; later entries override earlier ones. Rules that
react to other governments (retaliation, negotiation) build on this schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.scenario import ExportControl, TariffEntry

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel


def active(entry: TariffEntry | ExportControl, day: float) -> bool:
    return entry.start_day <= day and (entry.end_day is None or day < entry.end_day)


class Government(mesa.Agent):
    """Sets this economy's tariffs on imports and controls on exports for the current step."""

    def __init__(self, model: SupplyChainModel, economy: str):
        super().__init__(model)
        self.economy = economy
        config = model.config
        self.tariff_schedule = [t for t in config.tariffs.applied if t.importer == economy]
        self.export_controls = [c for c in config.export_controls if c.exporter == economy]

    def set_policy(self, policy: Policy, day: float) -> None:
        """Write this step's active tariffs and export controls into the policy tensors."""
        lines = self.model.index.lines
        for entry in self.tariff_schedule:
            if active(entry, day):
                policy.tariff[lines(self.economy, entry.exporters, entry.sectors)] = entry.rate
        for entry in self.export_controls:
            if active(entry, day):
                policy.export_block[lines(self.economy, entry.importers, entry.sectors)] = entry.share

    def __repr__(self) -> str:
        return f"Government({self.economy})"
