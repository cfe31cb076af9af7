"""Tariff-rate quotas: a lower rate up to a quota of imports per period, a higher rate above it.

While a quota is in force, its importer counts the imports on its lines (shipments from its exporters
in its sectors, to firms and final demand, at baseline prices: what pays the duty, read from the
policy history) since the current period began. Until the count reaches the quota the lines pay
`in_quota_rate`; from the step after it does, `over_quota_rate`, until the period ends and the count
starts again from zero (as customs close a quota once it is filled). The quota is `quota` (a value
per period) or `quota_share` of the lines' calibrated imports over one period. Imports are counted a
step at a time, so a period's in-quota imports can pass the quota by up to one step's imports. The
quota's rate replaces the schedule's on its lines; negotiation and retaliation act on it after.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.policies.rule import OnePerBlock, registers
from sim.policies.schedule import active
from sim.scenario import TariffQuota

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel


@registers(TariffQuota)
class TariffQuotaRule(OnePerBlock):
    """One tariff-rate quota: counts the period's imports on its lines and sets their rate."""

    phase = "quota"
    agent = "government"

    def __init__(self, config: TariffQuota, model: SupplyChainModel, where: str):
        self.config, self.where, self.owner = config, where, config.importer
        index = model.index
        # its lines as flat indices of the tariff tensor [importer, exporter, sector], the links' route codes too
        self.routes = np.array(index.flat_lines(config.importer, config.exporters, config.sectors), dtype=np.int64)
        self._links, self._routes_of = np.zeros(0, dtype=np.intp), None  # the links on its lines, found per relink
        st = model.engine.structure
        per_step = float(st.flow0[self.links(model)].sum())
        self.quota = config.quota if config.quota is not None else \
            config.quota_share * per_step * model.config.steps(config.period_days)
        self.filled = 0.0  # imports counted in the current period
        self.period: int | None = None  # the current period's number, None while not in force
        self.over = False  # whether the quota of the current period is filled

    def links(self, model: SupplyChainModel) -> np.ndarray:
        """The engine's links on the quota's lines (found again after supplier search renumbers the links)."""
        routes = model.engine.structure.tariff_index
        if routes is not self._routes_of:
            self._links, self._routes_of = np.flatnonzero(np.isin(routes, self.routes)), routes
        return self._links

    def act(self, model: SupplyChainModel, policy: Policy) -> None:
        """Count the last step's imports, start a new period when one begins, and set the lines' rate."""
        cfg, day = self.config, model.day
        if not active(cfg, day):
            if self.period is not None:
                self.period = None
                self._log(model, "tariff quota ends", 0.0, "end of the quota's window")
            return
        if self.period is not None:  # the last step's imports came in under this quota
            self.filled += model.history.shipped_on(self.links(model))
        period = math.floor((day - cfg.start_day) / cfg.period_days)
        if period != self.period:
            starts = self.period is None
            self.period, self.filled, self.over = period, 0.0, False
            self._log(model, "tariff quota" if starts else "quota reopens", cfg.in_quota_rate,
                      f"quota {self.quota:.4g} {model.config.io.units.removesuffix('_per_year')} per "
                      f"{cfg.period_days:g} days at {100 * cfg.in_quota_rate:g}%, above it "
                      f"{100 * cfg.over_quota_rate:g}% (period {period + 1})")
        if not self.over and self.filled >= self.quota:
            self.over = True
            self._log(model, "quota filled", cfg.over_quota_rate,
                      f"imports {self.filled:.4g} reached the quota {self.quota:.4g} in period {period + 1}")
        np.put(policy.tariff, self.routes, cfg.over_quota_rate if self.over else cfg.in_quota_rate)

    def _log(self, model: SupplyChainModel, action: str, value: float, reason: str) -> None:
        cfg = self.config
        model.log_event(actor=cfg.importer, action=action, partner=cfg.exporters, sectors=cfg.sectors, value=value,
                        rule="tariff_quota", reason=f"{self.where}: {reason}", source=cfg.source or "")
