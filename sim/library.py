"""The scenario library's report: one headline table for every scenario and the story of the default run.

`python -m sim.library [docs/scenarios.md]` (`make scenarios-doc`) runs each scenario of the library
against its no-policy baseline on the same network, and writes a Markdown page: a table with one
row per scenario (its headline indicators and trade diversion, from the scenario's own `report:`
block), one figure of the headline indicators per scenario, the default run's tariffs both ways with
the response of US exports to Malaysia's concessions, and its event log told as a dated story.
Nothing in the page is typed by hand.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.formats import day_text, event_value
from sim.headline import diversion_table, indicator_table, plot_indicators
from sim.results import Results
from sim.run import run
from sim.scenario import DEFAULT_SCENARIO, load_scenario
from sim.selection import deliveries

LIBRARY = ("us_tariffs_2025", "malaysia_retaliates", "no_chip_exemption", "rare_earth_cutoff", "asean_sectoral_deals",
           "ieepa_struck_down_2026", "rare_earth_suspension_lapses", "friendshoring")

# headline columns of the library table: (indicator name in the report block, metric, column title)
COLUMNS = (
    ("Chips reaching US final demand", "cumulative_loss_days", "chips to US final demand: cum. loss (days)"),
    ("Chips reaching US electronics and auto makers", "cumulative_loss_days", "chips to US makers: cum. loss (days)"),
    ("Malaysia -> US chips", "peak_loss_pct", "MY->US chips: peak loss %"),
    ("Malaysia -> US gloves", "cumulative_loss_days", "MY->US gloves: cum. loss (days)"),
    ("Rare earths reaching US magnet makers", "peak_loss_pct", "rare earths to US magnet makers: peak loss %"),
    ("Magnets reaching US auto/EV and electronics makers", "peak_loss_pct", "magnets to US makers: peak loss %"),
    ("US auto/EV output", "cumulative_loss_days", "US auto/EV output: cum. loss (days)"),
)


def library_row(results: Results) -> dict:
    """One scenario's headline figures as a flat row."""
    table = indicator_table(results, results.report)
    row = {"scenario": results.name, "days": int(results.steps * results.days_per_step)}
    for name, metric, title in COLUMNS:
        row[title] = float(table.loc[name, metric]) if name in table.index else float("nan")
    exports = table[table.index.str.startswith("Malaysia's exports: ")]
    weights = exports["reference_per_year"]
    row["MY exports: cum. loss (days, export-weighted)"] = float((exports["cumulative_loss_days"] * weights).sum()
                                                                 / weights.sum())
    diversion = diversion_table(results, results.report).set_index(["diversion", "origins"])["change_pp"]
    for (name, origins), change in diversion.items():
        if name in ("US electronics imports", "US chip imports") and origins.startswith("toward"):
            row[f"{name}: ASEAN share change (pp)"] = float(change)
    bills = results.tariff_incidence()
    for bill in bills[bills["payer"].str.startswith("multinational")].itertuples():
        row[f"{bill.payer.removeprefix('multinational ')} tariff bill ({results.units})"] = float(bill.value)
    return row


def story(results: Results, limit: int = 60) -> list[str]:
    """The event log as dated lines, same-day entries of one actor and action merged."""
    events = results.events
    lines = []
    for (day, actor, action), group in events.groupby(["day", "actor", "action"], sort=True):
        date = day_text(day, results.start_date)
        parts = {}
        for r in group.itertuples():  # partners sharing sectors and value on one line
            parts.setdefault((_sectors(r.sectors), event_value(action, r.value)), []).append(str(r.partner))
        detail = "; ".join(f"{','.join(who)} [{sectors}]{' ' + value if value else ''}"
                           for (sectors, value), who in parts.items())
        lines.append(f"- **{date}** {actor} {action}: {detail} ({group['rule'].iloc[0]})")
    return lines[:limit]


TARIFF_PAIRS = (("US", "CN"), ("CN", "US"), ("US", "MY"), ("MY", "US"))
DEAL_OFFERER, DEAL_PARTNER = "MY", "US"


def without_concessions(name: str) -> dict:
    """Overrides that keep the scenario's offer of `DEAL_OFFERER` to `DEAL_PARTNER` but cut no tariffs."""
    offers = load_scenario(name).negotiation.offers
    index = next(i for i, o in enumerate(offers) if (o.offerer, o.partner) == (DEAL_OFFERER, DEAL_PARTNER))
    return {f"negotiation.offers.{index}.concessions": [{"sectors": "*", "cut": 0.0}]}


def both_sides(results: Results, no_cuts: Results) -> list[str]:
    """Trade-weighted tariffs both ways at the dates that matter, and how US exports to the offerer respond
    to its concessions (the run against the same run with an offer that cuts nothing)."""
    scenario = load_scenario(results.name)
    start = pd.Timestamp(scenario.time.start_date)
    deal_day = next(o.day for o in scenario.negotiation.offers if (o.offerer, o.partner) == (DEAL_OFFERER,
                                                                                              DEAL_PARTNER))
    paths = {pair: results.average_tariff(*pair) for pair in TARIFF_PAIRS}
    peak = int(max(paths.values(), key=lambda p: p.max()).idxmax())
    reached = deal_day < results.steps
    steps = {f"{(start + pd.Timedelta(days=peak - 1)).date()} (peak)": peak}
    if reached:
        steps[f"{(start + pd.Timedelta(days=deal_day - 1)).date()} (day before the deal)"] = int(deal_day)
    steps[f"{(start + pd.Timedelta(days=results.steps - 1)).date()} (end)"] = results.steps
    lines = ["| trade-weighted tariff | 2024 (baseline) | " + " | ".join(steps) + " |",
             "|---|" + "---:|" * (len(steps) + 1)]
    for (importer, exporter), path in paths.items():
        baseline = results.average_tariff(importer, exporter, reference=True).iloc[0]
        cells = [f"{100 * baseline:.1f}%"] + [f"{100 * path.loc[step]:.1f}%" for step in steps.values()]
        lines.append(f"| {importer} on goods from {exporter} | " + " | ".join(cells) + " |")
    if not reached:
        return [*lines, "", f"The run ends before {DEAL_OFFERER}'s offer to {DEAL_PARTNER} (day {deal_day:g})."]
    after = slice(int(deal_day), None)  # rows of the steps after the deal's day
    with_cuts, without, reference = (r.route_deliveries(DEAL_PARTNER, DEAL_OFFERER, reference=ref).iloc[after].sum()
                                     for r, ref in ((results, False), (no_cuts, False), (results, True)))
    top = (with_cuts - without).sort_values(ascending=False).head(3)
    with_cuts, without, reference = with_cuts.sum(), without.sum(), reference.sum()
    lead = scenario.lead_times.days(DEAL_PARTNER, DEAL_OFFERER)
    lines += ["", f"From the deal to the end of the run, {DEAL_PARTNER} exports reaching {DEAL_OFFERER} ({lead:g} "
              "days on the way, so the first orders placed at the new rates arrive that much later) are "
              f"{100 * (with_cuts / without - 1):+.2f}% against the same run with an offer that cuts no "
              f"{DEAL_OFFERER} tariff ({100 * with_cuts / reference:.1f}% and {100 * without / reference:.1f}% of the "
              "no-policy baseline), most in " + ", ".join(f"{name} ({value:+,.0f} "
                                                         f"{results.units.split('_per_')[0]})"
                                                         for name, value in top.items()) + "."]
    return lines


def _sectors(names: str) -> str:
    """A sector list as written in the event log, shortened when it is long."""
    names = str(names).split(",")
    return ",".join(names) if len(names) <= 4 else f"{len(names)} sectors incl. {','.join(names[:2])}, …"


CUTOFF_SCENARIO, CUTOFF_WINDOW_DAYS = "rare_earth_cutoff", 60
CUTOFF = ("CN", "US", ("rare_earth_processing", "magnets"))  # exporter, importer, sectors cut off


def resourcing(results: Results, window_days: float = CUTOFF_WINDOW_DAYS) -> pd.DataFrame:
    """After the cut-off: deliveries to the importer's firms from each other origin against the baseline run,
    sector by sector, as the mean over the window and the largest day (both x baseline)."""
    exporter, importer, sectors = CUTOFF
    e, i = results.economies.index(exporter), results.economies.index(importer)
    block = results.arrays["export_block"].reshape(results.steps, len(results.economies), len(results.economies),
                                                   len(results.sectors))
    g = results.groups
    rows = []
    for sector in sectors:
        k = results.sectors.index(sector)
        cut = np.flatnonzero(block[:, e, i, k] >= 1.0)
        if not len(cut):
            continue
        window = slice(int(cut[0]), int(cut[0] + window_days / results.days_per_step))
        for origin, name in enumerate(results.economies):
            chosen = deliveries(g, exporters=[origin], importers=[i], sectors=[k], use="intermediate")
            if origin in (e, i) or not chosen.any():
                continue
            run_, ref = (x[window][:, chosen].sum(axis=1) for x in (results.arrays["delivered"],
                                                                    results.reference("delivered")))
            if ref.sum() > 0:
                rows.append({"sector": sector, "origin": name, "mean": run_.sum() / ref.sum(),
                             "largest day": float(np.max(run_ / ref))})
    return pd.DataFrame(rows, columns=["sector", "origin", "mean", "largest day"])


def resourcing_lines(table: pd.DataFrame) -> list[str]:
    _, importer, _ = CUTOFF
    lines = [f"| {importer} firms' purchases of | origin | mean over {CUTOFF_WINDOW_DAYS:g} days (x baseline) | "
             "largest day (x baseline) |", "|---|---|---:|---:|"]
    return lines + [f"| {sector} | {origin} | {mean:.2f} | {largest:.2f} |"
                    for sector, origin, mean, largest in table.itertuples(index=False)]


def write_library(path: Path, names: tuple[str, ...] = LIBRARY, steps: int | None = None) -> Path:
    """Run every scenario, write the Markdown page at `path` and its figures beside it."""
    path = Path(path)
    figures = path.parent / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    rows, default, cutoff, timings = [], None, None, []
    for name in names:
        started = time.perf_counter()
        results = run(name, steps=steps)
        timings.append(time.perf_counter() - started)
        rows.append(library_row(results))
        plot_indicators(results, results.report, figures / f"scenario_{name}.png")
        if name == DEFAULT_SCENARIO:
            default = results
        if name == CUTOFF_SCENARIO:
            cutoff = results
        print(f"{name}: {timings[-1]:.1f} s", file=sys.stderr)
    table = pd.DataFrame(rows).set_index("scenario").T
    lines = [
        "# The scenario library",
        "",
        "Generated by `make scenarios-doc` (`python -m sim.library docs/scenarios.md`); do not edit by hand.",
        "Each scenario runs against its no-policy baseline on the same network (same seed); losses are",
        "of deliveries at baseline prices. *Cumulative loss (days)* is the loss summed over the run in days",
        "of baseline flow (negative: more than the baseline). Scenario files are in `configs/scenarios/`;",
        "`docs/calibration.md` explains the 2024 baseline they all extend.",
        "",
        "| | " + " | ".join(table.columns) + " |",
        "|---|" + "---:|" * len(table.columns),
    ]
    for label, values in table.iterrows():
        cells = [f"{v:,.0f}" if label.endswith(")") and "bill" in label else f"{v:,.2f}" for v in values]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Headline indicators over time", ""]
    lines += [f"![{name}](figures/scenario_{name}.png)" for name in names]
    if cutoff is not None:
        lines += ["", f"## Re-sourcing after the rare-earth cut-off ({CUTOFF_SCENARIO})", "",
                  f"Deliveries from each other origin to US firms in the {CUTOFF_WINDOW_DAYS} days after China's "
                  "cut-off, against the baseline run. A US buyer takes at most 1 + `engine.volume_flexibility` "
                  "times its usual volume from a supplier it already buys from until it has qualified that "
                  "supplier for more (`qualification_days`: 365 for rare earths, 270 for magnets), and the "
                  "suppliers' spare capacity bounds the rest. A new supplier found by supplier search carries "
                  "orders only once the same qualification time has passed, so none does within the window.", ""]
        lines += resourcing_lines(resourcing(cutoff))
    if default is not None:
        no_cuts = run(DEFAULT_SCENARIO, steps=steps, overrides=without_concessions(DEFAULT_SCENARIO))
        lines += ["", f"## Both sides of the tariff table ({DEFAULT_SCENARIO})", "",
                  "Every economy's 2024 tariffs are in the baseline (MFN rates, preferences and the 2018-19 "
                  "trade war, `configs/data/tariffs_2024.csv`); the 2025 tariffs come on top of them. Averages "
                  "are weighted by the baseline trade on each route, all sectors.", ""]
        lines += both_sides(default, no_cuts)
        lines += ["", f"## The story of the default run ({DEFAULT_SCENARIO}), from its event log", ""]
        lines += story(default)
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    write_library(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/scenarios.md"))
