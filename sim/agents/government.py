"""Government: the trade-policy maker of one economy.

For now a government follows the scenario's schedule: the tariffs it imposes on imports
(`tariffs.applied` entries with it as importer) and the export controls it sets on its exports
(`export_controls` with it as exporter), each active from its start day until its end day.
An active entry *sets* the rate of its lines, or adds its `increase` to their calibration-year rate.
Where active entries overlap, the one that started last wins; at the same start, the one on fewer
lines wins. Exemptions (`tariffs.exemptions`) keep their lines at the calibration-year rate while
active, whatever rate entries start later. Rules that
react to other governments (retaliation, negotiation) build on this schedule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.scenario import Dated, TariffEntry

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel
    from sim.policies import OfferRule, OwnPlantsRule, Retaliation


def active(entry: Dated, day: float) -> bool:
    return entry.start_day <= day and (entry.end_day is None or day < entry.end_day)


class Government(mesa.Agent):
    """Sets this economy's tariffs on imports and controls on exports for the current step."""

    def __init__(self, model: SupplyChainModel, economy: str):
        super().__init__(model)
        self.economy = economy
        config = model.config
        n_econ, n_sec = len(config.economies), len(config.sectors)

        def breadth(entry: TariffEntry) -> int:
            partners = n_econ if entry.exporters == "*" else len(entry.exporters)
            return partners * (n_sec if entry.sectors == "*" else len(entry.sectors))

        # applied in order, so the entry that started last wins, and at the same start an exemption
        # (fewer lines) wins over the general rate
        schedule = [(i, t) for i, t in enumerate(config.tariffs.applied) if t.importer == economy]
        self.tariff_schedule = sorted(schedule, key=lambda it: (it[1].start_day, -breadth(it[1]), it[0]))
        self.exemptions = [(i, x) for i, x in enumerate(config.tariffs.exemptions) if x.importer == economy]
        self.export_controls = [(i, c) for i, c in enumerate(config.export_controls) if c.exporter == economy]
        self.retaliation: Retaliation | None = None
        self.negotiation: list[OfferRule | OwnPlantsRule] = []
        self._active: set[str] = set()
        # each entry's lines in the policy tensors, found once: the schedule is fixed for the run
        lines = model.index.lines
        self._tariff_lines = {i: lines(economy, t.exporters, t.sectors) for i, t in self.tariff_schedule}
        self._exempt_lines = {i: lines(economy, x.exporters, x.sectors) for i, x in self.exemptions}
        self._control_lines = {i: lines(economy, c.importers, c.sectors) for i, c in self.export_controls}

    def set_policy(self, policy: Policy, day: float) -> None:
        """Write this step's active tariffs and export controls into the policy tensors."""
        active_now = set()
        for i, entry in self.tariff_schedule:  # in order of precedence (see __init__)
            if active(entry, day):
                taxed = self._tariff_lines[i]
                policy.tariff[taxed] = entry.on(self.model.baseline_tariff[taxed])
                active_now.add(f"tariffs.applied[{i}]")
        for i, entry in self.exemptions:
            if active(entry, day):
                exempt = self._exempt_lines[i]
                policy.tariff[exempt] = self.model.baseline_tariff[exempt]
                active_now.add(f"tariffs.exemptions[{i}]")
        for i, entry in self.export_controls:
            if active(entry, day):
                controlled = self._control_lines[i]
                if entry.licensing_days > 0:
                    policy.licensing_share[controlled] = entry.share
                    policy.licensing_steps[controlled] = max(1, round(self.model.config.steps(entry.licensing_days)))
                else:
                    policy.export_block[controlled] = entry.share
                active_now.add(f"export_controls[{i}]")
        self._log_schedule(active_now)

    def _log_schedule(self, active_now: set[str]) -> None:
        """Log schedule entries as they start and end."""
        entries = {f"tariffs.applied[{i}]": e for i, e in self.tariff_schedule}
        entries |= {f"tariffs.exemptions[{i}]": e for i, e in self.exemptions}
        entries |= {f"export_controls[{i}]": e for i, e in self.export_controls}
        for key in sorted(active_now ^ self._active):
            entry, starts = entries[key], key in active_now
            if key.startswith("tariffs.applied"):
                action = "set tariff" if entry.rate is not None else "add tariff"
                partners, value = entry.exporters, entry.rate if entry.rate is not None else entry.increase
            elif key.startswith("tariffs.exemptions"):
                action, partners, value = "exempt", entry.exporters, 0.0
            else:
                action = "export licensing" if entry.licensing_days else "export control"
                partners, value = entry.importers, entry.share
            self.model.log_event(
                actor=self.economy,
                action=action + ("" if starts else " ends"),
                partner=partners,
                sectors=entry.sectors,
                value=value if starts else 0.0,
                rule="schedule",
                reason=key,
                source=entry.source or "",
            )
        self._active = active_now

    def negotiate(self, policy: Policy) -> None:
        """Apply its negotiation rules: offers it made and exemptions it grants."""
        for rule in self.negotiation:
            rule.act(self.model, policy)

    def retaliate(self, policy: Policy) -> None:
        """Answer partners' tariffs on this economy's exports by its retaliation rule, if it has one."""
        if self.retaliation is not None:
            self.retaliation.act(self.model, policy)

    def __repr__(self) -> str:
        return f"Government({self.economy})"
