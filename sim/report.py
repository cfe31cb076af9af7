"""Reports of a run: the summary table for the terminal, files on disk, and plots.

`write_report` writes every tidy table as Parquet, the summary as JSON and PNG plots (throughput
against the reference by origin economy; loss by sector over time; the scenario's headline
indicators, with their table and the diversion table as CSV; the links supplier search formed and
dropped, when it did) into one folder.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.formats import (
    DISRUPTION_COLUMNS,
    day_text,
    disruption_cells,
    disruption_legend,
    event_value,
    legend,
    number,
    table_lines,
)
from sim.headline import diversion_table, indicator_table, plot_indicators
from sim.metrics import RECOVERY_PERSISTENCE_DAYS, RECOVERY_TOLERANCE
from sim.plotting import colours, day_times, step_times
from sim.results import Results

NOT_RECORDED = "not recorded (report.record)"


def total_text(value: float | None, units: str) -> str:
    """A run total with its units, or why it is missing (its table was not recorded)."""
    return NOT_RECORDED if value is None else f"{number(value, 1)} {units}"


def _start(summary: dict) -> datetime.date | None:
    return datetime.date.fromisoformat(summary["start_date"]) if summary.get("start_date") else None


def summary_table(summary: dict) -> str:
    """The headline table: disruption of throughput, total, by origin economy and by sector, with its legend,
    the tariff revenue and who paid it, and the firms' outcomes."""
    start = _start(summary)
    per_step = summary["days"] / summary["steps"] if summary["steps"] else 1.0
    dated = f" from {start.isoformat()}" if start else ""
    lines = [
        f"Scenario {summary['scenario']}: {summary['steps']} steps ({summary['days']:g} days{dated}), "
        f"{summary['firms']:,} firms, {summary['links']:,} links",
        "Throughput = goods delivered, valued at baseline prices (by origin economy and by product sector).",
        "",
    ]
    rows = [("total", disruption_cells(summary["throughput"], start, per_step)),
            ("final demand served", disruption_cells(summary["final_demand_served"], start, per_step)),
            ("by origin economy", [""] * len(DISRUPTION_COLUMNS))]
    rows += [(f"  {name}", disruption_cells(m, start, per_step)) for name, m in summary["by_economy"].items()]
    rows.append(("by sector", [""] * len(DISRUPTION_COLUMNS)))
    rows += [(f"  {name}", disruption_cells(m, start, per_step)) for name, m in summary["by_sector"].items()]
    lines += table_lines(list(DISRUPTION_COLUMNS), rows)
    lines += disruption_legend(summary["reference"], RECOVERY_TOLERANCE, RECOVERY_PERSISTENCE_DAYS)
    units = summary.get("units", "")
    lines += [
        "",
        f"Tariff revenue over the run: {total_text(summary['tariff_revenue'], units)}"
        + ("" if summary["tariff_revenue"] is None else
           f" (reference {total_text(summary['tariff_revenue_reference'], units)})"),
        f"Final demand not served over the run: {total_text(summary['unmet_final_demand'], units)}",
    ]
    if summary.get("tariff_incidence"):
        lines += ["", *incidence_lines(summary["tariff_incidence"], units)]
    if summary.get("firm_outcomes"):
        lines += ["", *firm_lines(summary["firm_outcomes"], start)]
    return "\n".join(lines)


def incidence_lines(incidence: dict[str, dict], units: str) -> list[str]:
    """Who paid the duties, by importing economy; the multinationals' bills shown as a part of their home's."""
    owned = any(b["multinationals"] for b in incidence.values())
    rows = [(name, [number(b["consumers"], 1), number(b["firms"], 1), number(b["total"], 1)]
             + ([", ".join(f"{m} {number(v, 1)}" for m, v in b["multinationals"].items())] if owned else []))
            for name, b in incidence.items()]
    total = sum(b["total"] for b in incidence.values())
    rows.append(("all", ["", "", number(total, 1)] + ([""] if owned else [])))
    header = ["consumers", "firms", "total"] + (["of which on goods from own multinationals' plants"] if owned else [])
    note = "consumers: duties on final goods; firms: on inputs; all = the tariff revenue."
    if owned:
        note += (" The last column is a part of its row's total (the duties its buyers paid on what their "
                 "multinationals' foreign plants shipped home), not an addition to it.")
    return [f"Who paid the duties over the run ({units}), by importing economy:", *table_lines(header, rows),
            *legend(note)]


def firm_lines(outcomes: dict, start_date: datetime.date | None = None) -> list[str]:
    """Firm outcomes in a few lines: worst-point loss quantiles, single-origin against diversified, worst cells."""
    q = outcomes["worst_loss_pct_quantiles"]
    lines = ["Firms, output lost at their worst step (% of own baseline; negative losses are gains): "
             + ", ".join(f"{k} {number(v, 1)}" for k, v in q.items())]
    for key, label in (("all", "all firms"), ("single_origin", "single-origin"), ("diversified", "diversified")):
        g = outcomes[key]
        if g["firms"]:
            lines.append(f"  {label:<14} {g['firms']:>7,} firms: {100 * g['share_losing_over_10pct']:5.1f}% lost "
                         f">10%, {100 * g['share_losing_over_50pct']:5.1f}% lost >50%; mean loss "
                         f"{number(g['mean_loss_days'])} days of own output")
    worst = ", ".join(f"{c['cell']} ({100 * c['share_losing_over_50pct']:.0f}% of {c['firms']} firms >50%)"
                      for c in outcomes["worst_cells"][:5] if c["share_losing_over_10pct"] > 0)
    if worst:
        lines.append(f"  hardest-hit cells: {worst}")
    qualified = outcomes["qualified_suppliers"]
    if qualified["links"]:
        by = ", ".join(f"{k} {v}" for k, v in qualified["by_exporter"].items())
        lines.append(f"  suppliers qualified for more volume: {qualified['links']} links (by origin: {by})")
    new = outcomes.get("new_links")
    if new and (new["formed"] or sum(new["dropped"].values())):
        by = ", ".join(f"{k} {v}" for k, v in new["by_exporter"].items()) or "none"
        first = f" from {day_text(new['first_day'], start_date)}" if new["first_day"] is not None else ""
        lines.append(f"  supplier search: {new['formed']:,} new links{first} (by origin: {by}); {new['entered']:,} "
                     f"entered after qualifying, {new['abandoned']:,} abandoned; dropped "
                     f"{new['dropped']['build_links']:,} links of the build and {new['dropped']['new_links']:,} new")
    return lines


def _plot_by(results: Results, by: str, loss: bool, path: Path, title: str, total: bool) -> Path:
    """One line per key of `by`: run as % of the reference, or loss in % of it; the legend beside the axes."""
    run, ref = results.throughput(by), results.throughput(by, reference=True)
    if total:
        run.insert(0, "total", run.sum(axis=1))
        ref.insert(0, "total", ref.sum(axis=1))
    names = [name for name in run.columns if ref[name].sum() > 0]
    fig = Figure(figsize=(10, 5), layout="constrained")
    ax = fig.add_subplot()
    x = step_times(ax, results.steps, results.days_per_step, results.start_date)
    for name, (colour, style) in zip(names, colours([n for n in names if n != "total"], total="total" in names),
                                     strict=True):
        level = run[name] / ref[name] * 100
        bold = name == "total"
        ax.plot(x, 100 - level if loss else level, linewidth=2.5 if bold else 1.3, color=colour, linestyle=style,
                label=name)
    ax.axhline(0 if loss else 100, color="grey", linestyle="--", linewidth=0.8)
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    ylabel = "loss, % of reference (negative: gain)" if loss else "% of reference"
    ax.set(ylabel=ylabel, title=f"{results.name}: {title}")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.savefig(path, dpi=110)
    return path


def events_table(events, limit: int = 20, *, start_date: datetime.date | None = None) -> str:
    """The policy event log, one line per action (first `limit` lines): date (or day), actor, action, partner,
    sectors, the value in words where the action has one, the rule and its reason, and the entry's source."""
    if events.empty:
        return "Policy events: none."
    lines = [f"Policy events ({len(events)}):"]
    for row in events.head(limit).itertuples():
        target = f" on {row.partner}" if row.partner else ""
        sectors = "" if row.sectors in ("*", "") else f" [{row.sectors}]"
        value = event_value(row.action, row.value)
        source = getattr(row, "source", "") or ""
        source = f"; source: {source if len(source) <= 70 else source[:67] + '...'}" if source else ""
        lines.append(f"  {day_text(row.day, start_date):>10}  {row.actor:<6} {row.action}{target}{sectors}"
                     f"{': ' + value if value else ''}  ({row.rule}: {row.reason}{source})")
    if len(events) > limit:
        lines.append(f"  ... {len(events) - limit} more in events.parquet")
    return "\n".join(lines)


def plot_throughput(results: Results, path: Path) -> Path:
    """Throughput as % of the reference: total and by origin economy."""
    return _plot_by(results, "exporter", False, path, "throughput by origin economy", total=True)


def plot_disruption(results: Results, path: Path) -> Path:
    """Loss of throughput (% of the reference) by product sector over time."""
    return _plot_by(results, "sector", True, path, "disruption by sector", total=False)


def plot_links(results: Results, path: Path) -> Path:
    """Supplier search over the run: new links formed per search day by origin (stacked bars), and the links that
    entered after qualifying, were abandoned or dropped (lines)."""
    links = results.links
    formed = links[links["event"] == "formed"]
    by_day = formed.groupby(["day", "exporter"], observed=True).size().unstack(fill_value=0)
    fig = Figure(figsize=(10, 5), layout="constrained")
    ax = fig.add_subplot()
    days = np.unique(links["day"].to_numpy())
    width = 0.8 * (float(np.diff(days).min()) if len(days) > 1 else 30.0)  # searches are evenly spaced
    bottom = np.zeros(len(by_day))
    when = lambda days: day_times(ax, days, results.start_date, " (supplier searches)")  # noqa: E731
    for origin, (colour, _) in zip(by_day.columns, colours(list(by_day.columns)), strict=True):
        ax.bar(when(by_day.index), by_day[origin], width=width, bottom=bottom, color=colour,
               label=f"formed from {origin}")
        bottom += by_day[origin].to_numpy()
    for event, style in (("entered", "-"), ("abandoned", ":"), ("dropped", "--")):
        counts = links[links["event"] == event].groupby("day").size()
        if len(counts):
            ax.plot(when(counts.index), counts.to_numpy(), style, color="black", marker="o", markersize=3,
                    label=f"{event}")
    ax.set(ylabel="links", title=f"{results.name}: supplier search, links per search")
    ax.set_xlim(*when([0, results.steps * results.days_per_step]))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.savefig(path, dpi=110)
    return path


def write_report(results: Results, out: str | Path, table_format: str = "parquet") -> dict[str, Path]:
    """Write every table (Parquet, or CSV with `table_format="csv"`), summary.json and PNG plots to `out`;
    return the paths written. The headline and diversion tables are CSV either way."""
    if table_format not in ("parquet", "csv"):
        raise ValueError(f"table_format {table_format!r}: allowed: 'parquet' or 'csv'")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    tables = results.tables()
    if results.baseline is not None:
        tables["baseline_flows"] = results.baseline.flows
    for name, table in tables.items():
        written[name] = out / f"{name}.{table_format}"
        if table_format == "csv":
            table.to_csv(written[name], index=False)
        else:
            table.to_parquet(written[name], index=False)
    written["summary"] = out / "summary.json"
    written["summary"].write_text(json.dumps(results.summary(), indent=2, default=str))
    written["throughput_plot"] = plot_throughput(results, out / "throughput.png")
    written["disruption_plot"] = plot_disruption(results, out / "disruption.png")
    if results.links is not None and len(results.links):
        written["links_plot"] = plot_links(results, out / "links.png")
    if results.report.indicators:
        written["headline"] = out / "headline.csv"
        indicator_table(results, results.report).to_csv(written["headline"], index_label="indicator")
        written["headline_plot"] = plot_indicators(results, results.report, out / "headline.png")
    if results.report.diversion:
        written["diversion"] = out / "diversion.csv"
        diversion_table(results, results.report).to_csv(written["diversion"], index=False)
    return written
