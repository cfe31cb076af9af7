"""Reports of a run: the summary table for the terminal, files on disk, and plots.

`write_report` writes every tidy table as Parquet, the summary as JSON and PNG plots (throughput
against the reference by origin economy; loss by sector over time; the scenario's headline
indicators, with their table and the diversion table as CSV; the links supplier search formed and
dropped, when it did) into one folder.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.headline import diversion_table, indicator_table, plot_indicators  # noqa: E402
from sim.results import Results  # noqa: E402

COLUMNS = (("peak_loss_pct", "peak loss %"), ("peak_day", "peak day"),
           ("cumulative_loss_days", "cum. loss (days)"), ("recovery_days", "recovery (days)"),
           ("final_level_pct", "final level %"))


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not recovered"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def summary_table(summary: dict) -> str:
    """The headline table: disruption of throughput, total, by origin economy and by sector."""
    lines = [
        f"Scenario {summary['scenario']}: {summary['steps']} steps ({summary['days']:g} days), "
        f"{summary['firms']:,} firms, {summary['links']:,} links; reference: {summary['reference']}",
        "Throughput = goods delivered at baseline prices (origin economy / product sector).",
    ]
    width = 22
    header = f"{'':<{width}}" + "".join(f"{label:>18}" for _, label in COLUMNS)
    lines += ["", header, "-" * len(header)]

    def row(label: str, metrics: dict) -> str:
        peak_day = metrics.get("peak_day")
        cells = []
        for key, _ in COLUMNS:
            value = metrics.get(key)
            if key == "peak_day" and peak_day is None:
                cells.append("-")
            elif key == "recovery_days" and value is None:
                cells.append("not recovered")
            else:
                cells.append(_cell(value))
        return f"{label:<{width}}" + "".join(f"{c:>18}" for c in cells)

    lines.append(row("total", summary["throughput"]))
    lines.append(row("final demand served", summary["final_demand_served"]))
    lines.append("by origin economy")
    lines += [row(f"  {name}", metrics) for name, metrics in summary["by_economy"].items()]
    lines.append("by sector")
    lines += [row(f"  {name}", metrics) for name, metrics in summary["by_sector"].items()]
    units = summary.get("units", "")
    lines += [
        "",
        f"Tariff revenue over the run: {summary['tariff_revenue']:,.1f} {units} "
        f"(reference {summary['tariff_revenue_reference']:,.1f})",
        f"Final demand not served over the run: {summary['unmet_final_demand']:,.1f} {units}",
    ]
    if summary.get("tariff_incidence"):
        paid = ", ".join(f"{who} {value:,.0f}" for who, value in summary["tariff_incidence"].items())
        lines.append(f"Who paid the duties ({units}): {paid}")
    if summary.get("firm_outcomes"):
        lines += ["", *firm_lines(summary["firm_outcomes"])]
    return "\n".join(lines)


def firm_lines(outcomes: dict) -> list[str]:
    """Firm outcomes in a few lines: worst-point loss quantiles, single-origin against diversified, worst cells."""
    q = outcomes["worst_loss_pct_quantiles"]
    lines = ["Firms, output lost at their worst step (% of own baseline): "
             + ", ".join(f"{k} {v:.1f}" for k, v in q.items())]
    for key, label in (("all", "all firms"), ("single_origin", "single-origin"), ("diversified", "diversified")):
        g = outcomes[key]
        if g["firms"]:
            lines.append(f"  {label:<14} {g['firms']:>7,} firms: {100 * g['share_losing_over_10pct']:5.1f}% lost "
                         f">10%, {100 * g['share_losing_over_50pct']:5.1f}% lost >50%; mean loss "
                         f"{g['mean_loss_days']:.2f} days of own output")
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
        first = f" from day {new['first_day']:g}" if new["first_day"] is not None else ""
        lines.append(f"  supplier search: {new['formed']:,} new links{first} (by origin: {by}); {new['entered']:,} "
                     f"entered after qualifying, {new['abandoned']:,} abandoned; dropped "
                     f"{new['dropped']['build_links']:,} links of the build and {new['dropped']['new_links']:,} new")
    return lines


def _plot_by(results: Results, by: str, loss: bool, path: Path, title: str, total: bool) -> Path:
    """One line per key of `by`: run as % of the reference, or loss in % of it."""
    days = np.arange(1, results.steps + 1) * results.days_per_step
    run, ref = results.throughput(by), results.throughput(by, reference=True)
    if total:
        run.insert(0, "total", run.sum(axis=1))
        ref.insert(0, "total", ref.sum(axis=1))
    fig, ax = plt.subplots(figsize=(9, 5))
    for name in run.columns:
        if ref[name].sum() > 0:
            level = run[name] / ref[name] * 100
            bold = name == "total"
            ax.plot(days, 100 - level if loss else level, linewidth=2.5 if bold else 1.2,
                    color="black" if bold else None, label=name)
    ax.axhline(0 if loss else 100, color="grey", linestyle="--", linewidth=0.8)
    ylabel = "loss, % of reference" if loss else "% of reference"
    ax.set(xlabel="day", ylabel=ylabel, title=f"{results.name}: {title}")
    ax.legend(ncol=4, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def events_table(events, limit: int = 20) -> str:
    """The policy event log, one line per action (first `limit` lines)."""
    if events.empty:
        return "Policy events: none."
    lines = [f"Policy events ({len(events)}):"]
    for row in events.head(limit).itertuples():
        target = f" on {row.partner}" if row.partner else ""
        sectors = "" if row.sectors in ("*", "") else f" [{row.sectors}]"
        lines.append(f"  day {row.day:>5g}  {row.actor:<6} {row.action}{target}{sectors} = {row.value:g}"
                     f"  ({row.rule}: {row.reason})")
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
    fig, ax = plt.subplots(figsize=(9, 5))
    days = np.unique(links["day"].to_numpy())
    width = 0.8 * (float(np.diff(days).min()) if len(days) > 1 else 30.0)  # searches are evenly spaced
    bottom = np.zeros(len(by_day))
    for origin in by_day.columns:
        ax.bar(by_day.index, by_day[origin], width=width, bottom=bottom, label=f"formed from {origin}")
        bottom += by_day[origin].to_numpy()
    for event, style in (("entered", "-"), ("abandoned", ":"), ("dropped", "--")):
        counts = links[links["event"] == event].groupby("day").size()
        if len(counts):
            ax.plot(counts.index, counts.to_numpy(), style, color="black", marker="o", markersize=3,
                    label=f"{event}")
    ax.set(xlabel="day (supplier searches)", ylabel="links",
           title=f"{results.name}: supplier search, links per search")
    ax.set_xlim(0, results.steps * results.days_per_step)
    ax.legend(ncol=3, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(results: Results, out: str | Path) -> dict[str, Path]:
    """Write Parquet tables, summary.json and PNG plots to `out`; return the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, table in results.tables().items():
        written[name] = out / f"{name}.parquet"
        table.to_parquet(written[name], index=False)
    if results.baseline is not None:
        written["baseline_flows"] = out / "baseline_flows.parquet"
        results.baseline.flows.to_parquet(written["baseline_flows"], index=False)
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
