"""Economy: a country or region, its consumers (final demand) and its aggregate statistics.

The aggregates are read from the model's record of the last step: output, value added, exports
and imports (goods delivered across its border, at baseline prices; in total or by partner and
sector), the consumer price index (final-demand-weighted landed prices) and tariff revenue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.selection import deliveries

if TYPE_CHECKING:
    from sim.model import SupplyChainModel


class Economy(mesa.Agent):
    """Consumers and statistics of one economy."""

    def __init__(self, model: SupplyChainModel, name: str):
        super().__init__(model)
        self.name = name
        self.position = model.network.economies.index(name)

    def _latest(self, table: str) -> np.ndarray:
        return self.model.recorder.latest(table)

    @property
    def output(self) -> float:
        """Gross output in the last step."""
        cells = self._latest("output").reshape(-1, len(self.model.network.sectors))
        return float(cells[self.position].sum())

    @property
    def value_added(self) -> float:
        """Value added in the last step at baseline prices: output less the inputs it used."""
        model = self.model
        flows = model.last_flows
        output = model.engine.structure.output0 if flows is None else flows.output
        mine = model.network.firm_economy == self.position
        return float(np.dot(output[mine], model.engine.structure.value_added[mine]))

    @property
    def exports(self) -> float:
        return float(self.model.recorder.trade(self.position, exports=True))

    @property
    def imports(self) -> float:
        return float(self.model.recorder.trade(self.position, exports=False))

    def trade_with(self, partner: str, sector: str | None = None, exports: bool = True) -> float:
        """Last step's deliveries to (exports) or from `partner`, optionally of one sector."""
        rec, net = self.model.recorder, self.model.network
        other = net.economies.index(partner)
        exporter, importer = (self.position, other) if exports else (other, self.position)
        mask = deliveries(rec.groups, exporters=[exporter], importers=[importer],
                          sectors=None if sector is None else [net.sectors.index(sector)])
        return float(rec.latest("delivered")[mask].sum())

    @property
    def tariff_revenue(self) -> float:
        return float(self.model.recorder.tariff_revenue(self.position))

    @property
    def consumer_price_index(self) -> float:
        return float(self.model.recorder.consumer_price_index()[self.position])

    def __repr__(self) -> str:
        return f"Economy({self.name})"
