"""Results of a run as tidy pandas tables, and the headline summary against a reference.

Tables (one row per step and key, values per step at baseline prices unless noted):
`output` (step, country, sector, output), `flows` (step, exporter, importer, sector, use, value:
goods delivered, `use` is intermediate or final), `prices` (step, country, sector, price),
`unmet_demand` (step, country, sector, use, value: orders not filled, by buyer economy and the
sector bought),
`tariff_revenue` (step, importer, exporter, sector, value), `inventories` (step, country, sector,
days: input inventory held by the economy's firms, in days of baseline use), `consumer_prices`
(step, country, index), `events` (the policy event log: step, day, actor, action, partner,
sectors, value, rule, reason, source). The reference is a baseline run when one is attached (`sim.run` does
that), otherwise the calibrated steady state, which a run without shocks reproduces exactly.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from sim.firms import FirmRecord, firm_summary
from sim.metrics import disruption
from sim.recorder import Recorder
from sim.scenario import ReportConfig
from sim.selection import USES, by_code, deliveries

EVENT_COLUMNS = ["step", "day", "actor", "action", "partner", "sectors", "value", "rule", "reason", "source"]
# tidy table -> the recorded table it is made of (None: not a recorded table)
TIDY_TABLES = {"output": "output", "flows": "delivered", "prices": "price", "unmet_demand": "unfilled",
               "tariff_revenue": "tariff_revenue", "inventories": "inventory", "consumer_prices": "consumer_price",
               "events": None, "tariffs": "tariff", "export_controls": "export_block", "firms": None,
               "qualified": None, "links": None}
INCIDENCE_TABLES = ("tariff_revenue", "multinational_tariff_bill")


@dataclass
class Results:
    """Recorded arrays of one run plus labels; tables are built on first access."""

    name: str
    economies: list[str]
    sectors: list[str]
    days_per_step: float
    arrays: Mapping[str, np.ndarray]  # table name -> (steps x columns), read-only
    steady: dict[str, np.ndarray]  # table name -> one row of the calibrated steady state
    groups: dict[str, np.ndarray]  # exporter, importer, sector, use per trade-group column
    n_firms: int = 0
    n_links: int = 0
    units: str = ""
    multinationals: list[str] = field(default_factory=list)
    multinational_homes: list[str] = field(default_factory=list)  # each multinational's home economy
    start_date: datetime.date | None = None  # the calendar date of day 0, when the scenario has one
    events: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EVENT_COLUMNS))
    baseline: Results | None = None
    report: ReportConfig = field(default_factory=ReportConfig)  # the scenario's headline indicators
    # (start_day, duration_days, recovery_days) of the run's capacity shocks (sim.stability.capacity_shocks);
    # None: not known, and the instability warnings then start no earlier than half the run
    capacity_shocks: list[tuple[float, float, float]] | None = None
    # the firms' record (the `firms`, `qualified` and `links` tables are made from it when first read)
    firm_record: FirmRecord | None = field(default=None, repr=False, compare=False)
    network: Any = field(default=None, repr=False, compare=False)  # the SupplyNetwork the run was on (set by sim.run)

    @classmethod
    def from_recorder(cls, recorder: Recorder, name: str, economies: list[str], sectors: list[str],
                      days_per_step: float, n_firms: int, n_links: int, units: str = "",
                      events: list[dict] | None = None, multinationals: list[str] | None = None,
                      multinational_homes: list[str] | None = None,
                      start_date: datetime.date | None = None) -> Results:
        return cls(
            name=name,
            economies=list(economies),
            sectors=list(sectors),
            days_per_step=days_per_step,
            arrays=recorder.tables(),
            steady=dict(recorder.steady),
            groups={
                "exporter": recorder.group_exporter,
                "importer": recorder.group_importer,
                "sector": recorder.group_sector,
                "use": recorder.group_use,
            },
            n_firms=n_firms,
            n_links=n_links,
            units=units,
            multinationals=list(multinationals or []),
            multinational_homes=list(multinational_homes or []),
            start_date=start_date,
            events=pd.DataFrame(events or [], columns=EVENT_COLUMNS),
            firm_record=FirmRecord.of(recorder),
        )

    @cached_property
    def firms(self) -> pd.DataFrame | None:
        """One row per firm (sim.firms.firm_table); None without a firm record."""
        return None if self.firm_record is None else self.firm_record.firms()

    @cached_property
    def qualified(self) -> pd.DataFrame | None:
        """Links whose supplier was qualified for more volume (sim.firms.qualified_table)."""
        return None if self.firm_record is None else self.firm_record.qualified()

    @cached_property
    def links(self) -> pd.DataFrame | None:
        """Links formed and dropped by supplier search (sim.firms.link_table)."""
        return None if self.firm_record is None else self.firm_record.links()

    @property
    def reference_kind(self) -> str:
        """What the run is compared with: 'baseline run' (sim.run) or 'calibrated steady state'."""
        return "baseline run" if self.baseline is not None else "calibrated steady state"

    @property
    def steps(self) -> int:
        return len(self.arrays["output"])

    def reference(self, name: str) -> np.ndarray:
        """The reference rows for table `name`: the baseline run's, or the steady state repeated."""
        if self.baseline is not None:
            base = self.baseline.arrays[name]
            if len(base) < self.steps:
                raise ValueError(f"baseline has {len(base)} steps, the run {self.steps}")
            return base[: self.steps]
        return np.tile(self.steady[name], (self.steps, 1))

    # -- tidy tables --------------------------------------------------------------------------
    def _cells(self, values: np.ndarray, column: str) -> pd.DataFrame:
        n_econ, n_sec = len(self.economies), len(self.sectors)
        steps = np.repeat(np.arange(1, self.steps + 1), n_econ * n_sec)
        return pd.DataFrame({
            "step": steps,
            "country": pd.Categorical.from_codes(np.tile(np.repeat(np.arange(n_econ), n_sec), self.steps),
                                                 self.economies),
            "sector": pd.Categorical.from_codes(np.tile(np.tile(np.arange(n_sec), n_econ), self.steps),
                                                self.sectors),
            column: values.ravel(),
        })

    def _trade(self, values: np.ndarray) -> pd.DataFrame:
        g = self.groups
        n_groups = len(g["sector"])
        return pd.DataFrame({
            "step": np.repeat(np.arange(1, self.steps + 1), n_groups),
            "exporter": pd.Categorical.from_codes(np.tile(g["exporter"], self.steps), self.economies),
            "importer": pd.Categorical.from_codes(np.tile(g["importer"], self.steps), self.economies),
            "sector": pd.Categorical.from_codes(np.tile(g["sector"], self.steps), self.sectors),
            "use": pd.Categorical.from_codes(np.tile(g["use"], self.steps), list(USES)),
            "value": values.ravel(),
        })

    @cached_property
    def output(self) -> pd.DataFrame:
        return self._cells(self.arrays["output"], "output")

    @cached_property
    def flows(self) -> pd.DataFrame:
        return self._trade(self.arrays["delivered"])

    @cached_property
    def prices(self) -> pd.DataFrame:
        return self._cells(self.arrays["price"], "price")

    @cached_property
    def tariff_revenue(self) -> pd.DataFrame:
        return self._trade(self.arrays["tariff_revenue"]).drop(columns="use")

    @cached_property
    def unmet_demand(self) -> pd.DataFrame:
        n_econ, n_sec, n_use = len(self.economies), len(self.sectors), len(USES)
        per_step = n_econ * n_sec * n_use
        column = np.arange(per_step)
        return pd.DataFrame({
            "step": np.repeat(np.arange(1, self.steps + 1), per_step),
            "country": pd.Categorical.from_codes(np.tile(column // (n_sec * n_use), self.steps), self.economies),
            "sector": pd.Categorical.from_codes(np.tile(column // n_use % n_sec, self.steps), self.sectors),
            "use": pd.Categorical.from_codes(np.tile(column % n_use, self.steps), list(USES)),
            "value": self.arrays["unfilled"].ravel(),
        })

    @cached_property
    def inventories(self) -> pd.DataFrame:
        return self._cells(self.arrays["inventory"], "days")

    @cached_property
    def consumer_prices(self) -> pd.DataFrame:
        n_econ = len(self.economies)
        return pd.DataFrame({
            "step": np.repeat(np.arange(1, self.steps + 1), n_econ),
            "country": pd.Categorical.from_codes(np.tile(np.arange(n_econ), self.steps), self.economies),
            "index": self.arrays["consumer_price"].ravel(),
        })

    def _policy_paths(self, name: str, first: str, second: str, column: str) -> pd.DataFrame:
        """A policy tensor per step as a tidy table of cross-border lines."""
        n_econ, n_sec = len(self.economies), len(self.sectors)
        a, b, sector = np.unravel_index(np.arange(n_econ * n_econ * n_sec), (n_econ, n_econ, n_sec))
        cross = a != b
        values = self.arrays[name][:, cross]
        steps = len(values)
        return pd.DataFrame({
            "step": np.repeat(np.arange(1, steps + 1), cross.sum()),
            first: pd.Categorical.from_codes(np.tile(a[cross], steps), self.economies),
            second: pd.Categorical.from_codes(np.tile(b[cross], steps), self.economies),
            "sector": pd.Categorical.from_codes(np.tile(sector[cross], steps), self.sectors),
            column: values.ravel(),
        })

    @cached_property
    def tariffs(self) -> pd.DataFrame:
        """Bilateral tariff paths: step, importer, exporter, sector, rate."""
        return self._policy_paths("tariff", "importer", "exporter", "rate")

    def route_deliveries(self, exporter: str, importer: str, reference: bool = False) -> pd.DataFrame:
        """Deliveries from `exporter` to `importer` per step (rows) and sector (columns), all uses, of the run
        or of its reference."""
        g, e = self.groups, self.economies
        route = deliveries(g, exporters=[e.index(exporter)], importers=[e.index(importer)])
        values = (self.reference("delivered") if reference else self.arrays["delivered"])[:, route]
        by_sector = by_code(values, g["sector"][route], len(self.sectors))
        return pd.DataFrame(by_sector, columns=self.sectors, index=np.arange(1, len(values) + 1))

    def average_tariff(self, importer: str, exporter: str, reference: bool = False) -> pd.Series:
        """`importer`'s tariff on `exporter`'s goods per step (of the reference run if `reference`: the
        calibration year's), averaged over sectors with the reference's first-step deliveries on the route
        as weights (the trade-weighted tariff)."""
        e, n_sec = self.economies, len(self.sectors)
        weight = self.route_deliveries(exporter, importer, reference=True).iloc[0].to_numpy()
        rates = (self.reference("tariff") if reference else self.arrays["tariff"]).reshape(
            -1, len(e), len(e), n_sec)[:, e.index(importer), e.index(exporter)]
        total = weight.sum()
        return pd.Series(rates @ weight / total if total > 0 else np.zeros(len(rates)),
                         index=np.arange(1, len(rates) + 1), name=f"{importer} on {exporter}")

    @cached_property
    def export_controls(self) -> pd.DataFrame:
        """Export-control paths: step, exporter, importer, sector, share blocked."""
        return self._policy_paths("export_block", "exporter", "importer", "share")

    def import_shares(self, importer: str, sector: str, use: str | None = None) -> pd.DataFrame:
        """Trade diversion: shares of `importer`'s purchases of `sector` by origin, per step."""
        g = self.groups
        mask = deliveries(g, importers=[self.economies.index(importer)], sectors=[self.sectors.index(sector)], use=use)
        values = self.arrays["delivered"][:, mask]
        by_origin = by_code(values, g["exporter"][mask], len(self.economies))
        total = by_origin.sum(axis=1, keepdims=True)
        shares = np.divide(by_origin, total, out=np.zeros_like(by_origin), where=total > 0)
        return pd.DataFrame(shares, columns=self.economies, index=np.arange(1, len(values) + 1))

    def tariff_incidence(self) -> pd.DataFrame:
        """Who paid the duties over the run, by importer: consumers (final goods) and firms (inputs), which
        add up to the tariff revenue; and each multinational's bill on what its foreign plants shipped home
        (payer 'multinational NAME', importer '' so that sums by importer stay the revenue), a part of its
        `home` economy's bill, not an addition to it."""
        revenue = self.arrays["tariff_revenue"].sum(axis=0)
        g = self.groups
        rows = []
        for i, name in enumerate(self.economies):
            mine = g["importer"] == i
            for payer, use in (("consumers", 1), ("firms", 0)):
                rows.append({"importer": name, "payer": payer, "home": "",
                             "value": float(revenue[mine & (g["use"] == use)].sum())})
        bills = self.arrays["multinational_tariff_bill"].sum(axis=0)
        homes = self.multinational_homes or [""] * len(self.multinationals)
        rows += [{"importer": "", "payer": f"multinational {m}", "home": home, "value": float(b)}
                 for m, home, b in zip(self.multinationals, homes, bills, strict=True)]
        return pd.DataFrame(rows, columns=["importer", "payer", "home", "value"])

    def recorded(self, *names: str) -> bool:
        """Whether the run recorded every one of the tables `names` (the scenario's `report.record`)."""
        return all(name in self.arrays for name in names)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tidy tables of what the run recorded."""
        return {name: getattr(self, name) for name, source in TIDY_TABLES.items()
                if (source is None or self.recorded(source)) and getattr(self, name) is not None}

    # -- throughput and disruption --------------------------------------------------------------
    def throughput(self, by: str | None = None, reference: bool = False) -> pd.DataFrame:
        """Goods delivered per step (rows: steps), in total or by 'exporter', 'importer', 'sector', 'use'."""
        values = self.reference("delivered") if reference else self.arrays["delivered"]
        if by is None:
            return pd.DataFrame({"total": values.sum(axis=1)}, index=np.arange(1, self.steps + 1))
        labels = {"exporter": self.economies, "importer": self.economies, "sector": self.sectors,
                  "use": list(USES)}[by]
        columns = by_code(values, self.groups[by], len(labels))
        return pd.DataFrame(columns, columns=labels, index=np.arange(1, self.steps + 1))

    def disruption(self, by: str | None = None) -> pd.DataFrame:
        """Headline disruption of throughput per key (rows) against the reference.

        NaN in `recovery_days` means not recovered by the end of the run; in `peak_day`, no loss.
        """
        run, ref = self.throughput(by), self.throughput(by, reference=True)
        rows = {key: disruption(run[key].to_numpy(), ref[key].to_numpy(), self.days_per_step)
                for key in run.columns if ref[key].sum() > 0}
        return pd.DataFrame.from_dict(rows, orient="index")

    def summary(self) -> dict:
        """Headline metrics as plain Python values (JSON-ready)."""
        final = self.groups["use"] == 1
        served = self.arrays["delivered"][:, final].sum(axis=1)
        served_ref = self.reference("delivered")[:, final].sum(axis=1)
        duties = self.recorded("tariff_revenue") and (self.baseline is None or self.baseline.recorded("tariff_revenue"))
        return {
            "scenario": self.name,
            "reference": self.reference_kind,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "steps": self.steps,
            "days": self.steps * self.days_per_step,
            "firms": self.n_firms,
            "links": self.n_links,
            "units": self.units,
            "throughput": _plain(self.disruption())["total"],
            "final_demand_served": disruption(served, served_ref, self.days_per_step),
            "by_economy": _plain(self.disruption("exporter")),
            "by_sector": _plain(self.disruption("sector")),
            # figures of tables the run did not record (report.record) are None
            "tariff_revenue": float(self.arrays["tariff_revenue"].sum()) if duties else None,
            "tariff_revenue_reference": float(self.reference("tariff_revenue").sum()) if duties else None,
            "unmet_final_demand": float(self.arrays["unfilled"][:, 1::2].sum()) if self.recorded("unfilled") else None,
            "tariff_incidence": self._incidence_by_importer() if self.recorded(*INCIDENCE_TABLES) else None,
            **self._headline(),
            "firm_outcomes": self.firm_outcomes(),
            "warnings": self.warnings(),
        }

    def _incidence_by_importer(self) -> dict[str, dict]:
        """The tariff incidence per importer that collected duties: consumers, firms, their total, and the
        part of it paid on goods from the importer's own multinationals' foreign plants, by multinational."""
        out: dict[str, dict] = {}
        for r in self.tariff_incidence().itertuples():
            owner = r.home if r.payer.startswith("multinational ") else r.importer
            bill = out.setdefault(owner, {"consumers": 0.0, "firms": 0.0, "total": 0.0, "multinationals": {}})
            if r.payer.startswith("multinational "):
                bill["multinationals"][r.payer.removeprefix("multinational ")] = r.value
            else:
                bill[r.payer] = r.value
                bill["total"] += r.value
        return {k: v for k, v in out.items() if v["total"] or v["multinationals"]}

    def firm_outcomes(self) -> dict | None:
        """Firm-level outcomes (sim.firms.firm_summary): loss quantiles, shares losing > 10% and > 50% at their
        worst (all firms, single-origin, diversified, worst cells), qualified suppliers by origin and the links
        supplier search formed and dropped."""
        if self.firms is None:
            return None
        return firm_summary(self.firms, self.qualified, self.links)

    def warnings(self) -> list[dict]:
        """Instability warnings (sim.stability): undamped oscillation or a shortage spiral in total output
        or a cell's output against the reference, after the last exogenous change. Each a dict with
        `kind`, `series`, `window_days`, `window_rule`, `figures` and a one-line `message`; empty if none."""
        from sim.stability import find_warnings

        return find_warnings(self, self.capacity_shocks)

    def _headline(self) -> dict:
        """The scenario's own indicators and diversion figures (sim.headline), when it declares any."""
        from sim.headline import diversion_table, indicator_table

        out = {}
        if self.report.indicators:
            out["headline"] = _plain(indicator_table(self, self.report))
        if self.report.diversion:
            out["diversion"] = [{k: (v if isinstance(v, str) else float(v)) for k, v in row.items()}
                                for row in diversion_table(self, self.report).to_dict("records")]
        return out


def _plain(table: pd.DataFrame) -> dict[str, dict]:
    """Rows of a metrics table as plain dicts, NaN as None (JSON null)."""
    return {str(key): {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
            for key, row in table.iterrows()}
