"""What a sweep keeps of each run: scalar metrics and loss-per-step series, picked by name.

A series is a per-step quantity of a run and of its baseline:
`throughput` (all goods delivered), `final_demand_served`, `by_economy.E` (everything E ships,
home sales included), `by_sector.S`, `exports.E` / `exports.E.S` (cross-border shipments from E),
`imports.E` / `imports.E.S` (cross-border shipments to E), `purchases.E.S` (sector S delivered to
buyers in E from any origin) and `output.E.S` (the cell's output). A metric is a series followed by
a disruption figure (`peak_loss_pct`, `peak_day`, `cumulative_loss_days`, `recovery_days`,
`final_level_pct`), e.g. `exports.MY.cumulative_loss_days`, or one of the run totals
`tariff_revenue`, `tariff_revenue_reference`, `unmet_final_demand`. A time series is kept as the
loss in percent of the baseline per step.
"""

from __future__ import annotations

import numpy as np

from sim.errors import ScenarioError
from sim.metrics import disruption, loss_path
from sim.results import Results
from sim.scenario import Scenario
from sim.selection import USES, cells, deliveries

FIELDS = ("peak_loss_pct", "peak_day", "cumulative_loss_days", "recovery_days", "final_level_pct")
TOTALS = ("tariff_revenue", "tariff_revenue_reference", "unmet_final_demand")
TOTAL_TABLES = {"tariff_revenue": "tariff_revenue", "tariff_revenue_reference": "tariff_revenue",
                "unmet_final_demand": "unfilled"}  # the recorded table each total is summed from
# series kind -> the labels that follow it: E = an economy, S = a sector
SERIES_FORMS = {
    "throughput": [()],
    "final_demand_served": [()],
    "by_economy": [("E",)],
    "by_sector": [("S",)],
    "exports": [("E",), ("E", "S")],
    "imports": [("E",), ("E", "S")],
    "purchases": [("E", "S")],
    "output": [("E", "S")],
}


def split_metric(name: str) -> tuple[str, str | None]:
    """'exports.MY.peak_loss_pct' -> ('exports.MY', 'peak_loss_pct'); a run total -> (name, None)."""
    if name in TOTALS:
        return name, None
    series, _, field = name.rpartition(".")
    return series, field


def _check_series(name: str, economies: list[str], sectors: list[str]) -> str | None:
    """None if `name` is a known series, else what is wrong with it."""
    kind, *labels = name.split(".")
    if kind not in SERIES_FORMS:
        return f"unknown series '{kind}'; allowed: {', '.join(SERIES_FORMS)}"
    forms = SERIES_FORMS[kind]
    form = next((f for f in forms if len(f) == len(labels)), None)
    if form is None:
        shapes = " or ".join(".".join((kind, *f)) for f in forms)
        return f"'{name}' has the wrong number of parts; expected {shapes} (E an economy, S a sector)"
    for label, what in zip(labels, form, strict=True):
        allowed = economies if what == "E" else sectors
        if label not in allowed:
            return f"unknown {'economy' if what == 'E' else 'sector'} '{label}'; allowed: {', '.join(allowed)}"
    return None


def check_names(names: list[str], scenario: Scenario, *, scalar: bool, file: str | None, field: str) -> None:
    """Raise a ScenarioError for the first metric (scalar) or series name the scenario cannot give."""
    economies, sectors = scenario.economy_names, scenario.sector_names
    for i, name in enumerate(names):
        if names.count(name) > 1:
            raise ScenarioError(f"'{name}' is listed twice", file=file, field=f"{field}[{i}]")
        if scalar:
            series, metric_field = split_metric(name)
            if metric_field is None:
                table = TOTAL_TABLES[name]
                if table not in scenario.report.recorded():
                    raise ScenarioError(f"'{name}' is summed from table '{table}', which the base scenario's "
                                        f"report.record leaves out; add '{table}' to it", file=file,
                                        field=f"{field}[{i}]")
                continue
            if metric_field not in FIELDS:
                raise ScenarioError(
                    f"metric '{name}' must end in one of {', '.join(FIELDS)} or be one of {', '.join(TOTALS)}",
                    file=file, field=f"{field}[{i}]")
        else:
            series = name
        problem = _check_series(series, economies, sectors)
        if problem:
            raise ScenarioError(problem, file=file, field=f"{field}[{i}]")


def series(results: Results, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-step values of series `name` in the run and in its reference."""
    kind, *labels = name.split(".")
    economy = [results.economies.index(labels[0])] if labels and kind != "by_sector" else None
    sector = [results.sectors.index(labels[-1])] if kind == "by_sector" or len(labels) == 2 else None
    if kind == "output":
        column = cells(len(results.sectors), np.array(economy), np.array(sector))[0]
        return results.arrays["output"][:, column], results.reference("output")[:, column]
    g = results.groups
    mask = deliveries(g, exporters=economy if kind in ("by_economy", "exports") else None,
                      importers=economy if kind in ("imports", "purchases") else None, sectors=sector,
                      use="final" if kind == "final_demand_served" else None,
                      cross_border=kind in ("exports", "imports"))
    run = results.arrays["delivered"][:, mask].sum(axis=1)
    ref = results.reference("delivered")[:, mask].sum(axis=1)
    return run, ref


def metrics(results: Results, names: list[str]) -> dict[str, float]:
    """The named scalar metrics of a run (NaN where a figure is undefined, e.g. not recovered)."""
    values: dict[str, float] = {}
    cache: dict[str, dict] = {}
    for name in names:
        series_name, field = split_metric(name)
        if field is None:
            values[name] = _total(results, name)
            continue
        if series_name not in cache:
            run, ref = series(results, series_name)
            cache[series_name] = disruption(run, ref, results.days_per_step)
        value = cache[series_name][field]
        values[name] = float("nan") if value is None else float(value)
    return values


def _total(results: Results, name: str) -> float:
    if name == "tariff_revenue":
        return float(results.arrays["tariff_revenue"].sum())
    if name == "tariff_revenue_reference":
        return float(results.reference("tariff_revenue").sum())
    return float(results.arrays["unfilled"][:, USES.index("final")::len(USES)].sum())


def loss_series(results: Results, names: list[str]) -> dict[str, np.ndarray]:
    """Loss in percent of the reference per step, for each named series."""
    return {name: 100.0 * loss_path(*series(results, name)) for name in names}
