"""The schedule: one government's dated tariff entries, exemptions and export controls.

A government imposes the `tariffs.applied` entries with it as importer and the `export_controls` with it
as exporter, each from its start day until its end day. An active entry *sets* the rate of its lines,
or adds its `increase` to their calibration-year rate. Where active entries overlap, the one that
started last wins; at the same start, the one on fewer lines wins. Exemptions (`tariffs.exemptions`)
keep their lines at the calibration-year rate while active, whatever rate entries start later. The
schedule changes only on the days an entry starts or ends (`change_days`), so the model works it out
then and copies it on the other days; the rules that react (quotas, negotiation, retaliation) act on
that copy every step. Entries are logged as they start and end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.policies.rule import registers
from sim.scenario import Dated, Exemption, ExportControl, TariffEntry

if TYPE_CHECKING:
    from sim.engine.core import Policy
    from sim.model import SupplyChainModel


def flat(tensor: np.ndarray) -> np.ndarray:
    """A policy tensor as one flat view: writes into it land in the tensor."""
    if not tensor.flags.c_contiguous:
        raise ValueError("a policy tensor must be C-contiguous to be written through a flat view")
    return tensor.reshape(-1)


def active(entry: Dated, day: float) -> bool:
    return entry.start_day <= day and (entry.end_day is None or day < entry.end_day)


@registers(TariffEntry, Exemption, ExportControl)
class Schedule:
    """Writes one government's active tariffs on imports and controls on exports into the policy tensors."""

    phase = "schedule"
    agent = "government"
    lookback_steps = 0

    def __init__(self, model: SupplyChainModel, economy: str, entries: list[tuple[str, Dated]]):
        self.owner = economy
        n_econ, n_sec = len(model.config.economies), len(model.config.sectors)

        def breadth(entry: TariffEntry) -> int:
            partners = n_econ if entry.exporters == "*" else len(entry.exporters)
            return partners * (n_sec if entry.sectors == "*" else len(entry.sectors))

        # applied in order, so the entry that started last wins, and at the same start an exemption
        # (fewer lines) wins over the general rate
        applied = [(i, w, e) for i, (w, e) in enumerate(entries) if isinstance(e, TariffEntry)]
        self.tariff_schedule = [(w, e) for _, w, e in sorted(applied, key=lambda t: (t[2].start_day,
                                                                                       -breadth(t[2]), t[0]))]
        self.exemptions = [(w, e) for w, e in entries if isinstance(e, Exemption)]
        self.export_controls = [(w, e) for w, e in entries if isinstance(e, ExportControl)]
        self.entries = dict(entries)
        # each entry's lines in the policy tensors as flat indices, found once: the schedule is fixed for the run
        lines = model.index.flat_lines
        self._lines = {w: np.array(lines(economy, e.importers if isinstance(e, ExportControl) else e.exporters,
                                         e.sectors), dtype=np.intp) for w, e in entries}
        self._active: set[str] = set()

    @classmethod
    def build(cls, entries: list[tuple[str, Dated]], model: SupplyChainModel) -> list[Schedule]:
        """One schedule per economy that has entries (its imports' tariffs, its exports' controls)."""
        mine: dict[str, list] = {}
        for where, entry in entries:
            economy = entry.exporter if isinstance(entry, ExportControl) else entry.importer
            mine.setdefault(economy, []).append((where, entry))
        return [cls(model, economy, mine[economy]) for economy in model.config.economy_names if economy in mine]

    def change_days(self) -> set[float]:
        """The days on which an entry starts or ends: between two of them the schedule is the same."""
        return {d for e in self.entries.values() for d in (e.start_day, e.end_day) if d is not None}

    def act(self, model: SupplyChainModel, policy: Policy) -> None:
        """Write this step's active tariffs and export controls into the policy tensors."""
        day, baseline = model.day, model.baseline_tariff.reshape(-1)
        tariff, block = flat(policy.tariff), flat(policy.export_block)
        licensing_share, licensing_steps = flat(policy.licensing_share), flat(policy.licensing_steps)
        active_now = set()
        for where, entry in self.tariff_schedule:  # in order of precedence (see __init__)
            if active(entry, day):
                taxed = self._lines[where]
                tariff[taxed] = entry.on(baseline[taxed])
                active_now.add(where)
        for where, entry in self.exemptions:
            if active(entry, day):
                exempt = self._lines[where]
                tariff[exempt] = baseline[exempt]
                active_now.add(where)
        for where, entry in self.export_controls:
            if active(entry, day):
                controlled = self._lines[where]
                if entry.licensing_days > 0:
                    licensing_share[controlled] = entry.share
                    licensing_steps[controlled] = max(1, round(model.config.steps(entry.licensing_days)))
                else:
                    block[controlled] = entry.share
                active_now.add(where)
        self._log(model, active_now)

    def _log(self, model: SupplyChainModel, active_now: set[str]) -> None:
        """Log schedule entries as they start and end."""
        for where in sorted(active_now ^ self._active):
            entry, starts = self.entries[where], where in active_now
            if isinstance(entry, TariffEntry):
                action = "set tariff" if entry.rate is not None else "add tariff"
                partners, value = entry.exporters, entry.rate if entry.rate is not None else entry.increase
            elif isinstance(entry, Exemption):
                action, partners, value = "exempt", entry.exporters, 0.0
            else:
                action = "export licensing" if entry.licensing_days else "export control"
                partners, value = entry.importers, entry.share
            model.log_event(actor=self.owner, action=action + ("" if starts else " ends"), partner=partners,
                            sectors=entry.sectors, value=value if starts else 0.0, rule="schedule", reason=where,
                            source=entry.source or "")
        self._active = active_now
