"""The scenario's headline indicators: chosen series of deliveries or output, and trade diversion.

A scenario's `report:` block names what its question is about (chips reaching US final demand,
Malaysia's exports by sector, rare earths reaching US magnet makers, the ASEAN share of US imports
...). `indicator_table` measures each indicator's disruption against the reference (the baseline
run), `diversion_table` compares import shares by origin between the reference and the last tenth
of the run, and `plot_indicators` draws each indicator as a percentage of its reference over time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.formats import disruption_cells, disruption_legend, number, table_lines
from sim.metrics import RECOVERY_PERSISTENCE_DAYS, RECOVERY_TOLERANCE, disruption
from sim.plotting import step_times
from sim.results import Results
from sim.scenario import Diversion, Indicator, ReportConfig
from sim.selection import cells, deliveries, members


def indicator_series(results: Results, indicator: Indicator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-step (run, reference) series of an indicator, one per label (one label unless `by` splits it)."""
    economies, sectors = results.economies, results.sectors
    exporters = members(indicator.exporters, economies)
    sector_ids = members(indicator.sectors, sectors)
    if indicator.measure == "output":
        chosen = cells(len(sectors), exporters, sector_ids)
        keys = {"sector": chosen % len(sectors), "exporter": chosen // len(sectors)}
        run, ref = results.arrays["output"][:, chosen], results.reference("output")[:, chosen]
        key = keys.get(indicator.by)
    else:
        g = results.groups
        mask = deliveries(g, exporters=exporters, importers=members(indicator.importers, economies),
                          sectors=sector_ids, use=None if indicator.use == "all" else indicator.use,
                          cross_border=indicator.cross_border)
        run, ref = results.arrays["delivered"][:, mask], results.reference("delivered")[:, mask]
        key = g[indicator.by][mask] if indicator.by else None
    if key is None:
        return {indicator.name: (run.sum(axis=1), ref.sum(axis=1))}
    labels = sectors if indicator.by == "sector" else economies
    return {f"{indicator.name}: {labels[k]}": (run[:, key == k].sum(axis=1), ref[:, key == k].sum(axis=1))
            for k in np.unique(key) if ref[:, key == k].sum() > 0}


def indicator_table(results: Results, report: ReportConfig) -> pd.DataFrame:
    """Disruption of every indicator (rows) with its reference value per year, in the table's units."""
    rows = {}
    steps_per_year = 365.0 / results.days_per_step
    for indicator in report.indicators:
        for label, (run, ref) in indicator_series(results, indicator).items():
            rows[label] = {"reference_per_year": float(ref.mean() * steps_per_year),
                           **disruption(run, ref, results.days_per_step)}
    return pd.DataFrame.from_dict(rows, orient="index")


def import_share(results: Results, diversion: Diversion, origins: list[str], reference: bool) -> np.ndarray:
    """Per-step share of `origins` in the importer's imports (domestic supply excluded) of the sectors."""
    g, economies = results.groups, results.economies
    importer = economies.index(diversion.importer)
    mask = deliveries(g, importers=[importer], sectors=members(diversion.sectors, results.sectors),
                      cross_border=True)
    values = (results.reference("delivered") if reference else results.arrays["delivered"])[:, mask]
    chosen = np.isin(g["exporter"][mask], [economies.index(o) for o in origins])
    total = values.sum(axis=1)
    return np.divide(values[:, chosen].sum(axis=1), total, out=np.zeros_like(total), where=total > 0)


def diversion_table(results: Results, report: ReportConfig) -> pd.DataFrame:
    """Share of the `toward` (and `away_from`) origins in imports: reference vs the last tenth of the run."""
    rows = []
    tail = max(1, results.steps // 10)
    for diversion in report.diversion:
        for side, origins in (("toward", diversion.toward), ("away from", diversion.away_from)):
            if not origins:
                continue
            before = import_share(results, diversion, origins, reference=True)[-tail:].mean()
            after = import_share(results, diversion, origins, reference=False)[-tail:].mean()
            rows.append({"diversion": diversion.name, "origins": f"{side} {'+'.join(origins)}",
                         "reference_share_pct": 100 * before, "end_share_pct": 100 * after,
                         "change_pp": 100 * (after - before)})
    return pd.DataFrame(rows, columns=["diversion", "origins", "reference_share_pct", "end_share_pct", "change_pp"])


def headline_text(results: Results, report: ReportConfig) -> str:
    """The indicator and diversion tables as aligned text for the terminal, each with its legend."""
    lines = []
    table = indicator_table(results, report)
    reference = results.reference_kind
    if len(table):
        units = results.units or "units"
        rows = [(label, [number(row["reference_per_year"], 0),
                         *disruption_cells(row.to_dict(), results.start_date, results.days_per_step)])
                for label, row in table.iterrows()]
        lines += ["Headline indicators (deliveries or output against the reference):",
                  *table_lines([f"reference ({units}/year)", "peak loss %", "peak", "cum. loss (days)",
                                "recovery (days)", "final level %"], rows),
                  *disruption_legend(reference, RECOVERY_TOLERANCE, RECOVERY_PERSISTENCE_DAYS)]
    diversion = diversion_table(results, report)
    if len(diversion):
        rows = [(f"{row.diversion} {row.origins}", [number(row.reference_share_pct), number(row.end_share_pct),
                                                    number(row.change_pp)])
                for row in diversion.itertuples()]
        lines += ["", "Trade diversion (import shares):",
                  *table_lines(["reference share %", "end share %", "change (points)"], rows),
                  "Share of the named origins in the importer's imports of the sectors (domestic supply excluded), "
                  "in the reference and in the run, both averaged over the last tenth of the run."]
    return "\n".join(lines)


def plot_indicators(results: Results, report: ReportConfig, path: Path) -> Path | None:
    """Each indicator as a percentage of its reference over time (one panel per indicator)."""
    series = [(label, run, ref) for indicator in report.indicators
              for label, (run, ref) in indicator_series(results, indicator).items()]
    if not series:
        return None
    columns = 3
    rows = -(-len(series) // columns)
    fig = Figure(figsize=(5 * columns, 2.6 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, columns, sharex=True, squeeze=False)
    for ax, (label, run, ref) in zip(axes.ravel(), series, strict=False):
        level = 100 * np.divide(run, ref, out=np.ones_like(run), where=ref > 0)
        ax.plot(step_times(ax, results.steps, results.days_per_step, results.start_date), level, color="#1f77b4")
        ax.axhline(100, color="#888888", lw=0.8, ls="--")
        ax.set_title(label, fontsize=8)
        ax.set_ylabel("% of reference", fontsize=7)
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(series):]:
        ax.set_visible(False)
    for ax in axes.ravel():
        ax.xaxis.label.set_fontsize(7)
        if ax not in axes[-1]:
            ax.set_xlabel("")
    fig.suptitle(f"{results.name}: headline indicators", fontsize=10)
    fig.savefig(path, dpi=110)
    return path


def import_price_index(results: Results, importer: str, sectors: list[str]) -> np.ndarray:
    """Duty-inclusive price of `importer`'s imports of `sectors` per step: the exporter cells' prices
    times (1 + tariff), weighted by reference deliveries (a Laspeyres index; 1 before any tariff)."""
    g, economies, n_sec = results.groups, results.economies, len(results.sectors)
    imp = economies.index(importer)
    mask = deliveries(g, importers=[imp], sectors=members(sectors, results.sectors), cross_border=True)
    exporter, sector = g["exporter"][mask], g["sector"][mask]
    weights = results.reference("delivered")[:, mask].mean(axis=0)
    price = results.arrays["price"][:, exporter * n_sec + sector]
    tariff = results.arrays["tariff"][:, (imp * len(economies) + exporter) * n_sec + sector]
    return (price * (1 + tariff)) @ weights / weights.sum()
