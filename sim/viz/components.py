"""The page's panels: the network picture, the time-series plots, the event log and the run card.

Each panel is a function of the model that Mesa's SolaraViz wraps in a component and redraws after
every Step (or every rendered step while playing); each fills its grid cell and scrolls inside it
(the cells can be dragged and resized). The time series are ECharts charts drawn in the browser
(`sim.viz.charts`: hover values, lines chosen in the legend, zoom, PNG); the network picture and the
firm-loss histogram are matplotlib figures made without pyplot (safe off the main thread), redrawn
by blitting and sent to the browser as PNG images. Text is plain solara
text and HTML, not Markdown, which would make the browser ask for KaTeX from a CDN; the event log
is one HTML table rather than a widget per cell, to keep re-renders light: the date, actor, action,
partner, sectors, the value in words (`+25% duty`, `45% blocked`) and why (the rule, its reason and
the scenario's source text), with long cells wrapped so that every column stays in view.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pandas as pd
import reacton.ipywidgets as rw
import solara

from sim.firms import firm_summary, firm_table, link_table, qualified_table
from sim.formats import day_text, event_value, step_date
from sim.model import SupplyChainModel
from sim.report import firm_lines
from sim.viz import series
from sim.viz.charts import LineChart, panels_option, spec
from sim.viz.firm_view import due, firm_histogram_png, model_single_origin
from sim.viz.inspection import NOBODY, describe_firm, economy_table, firm_choices
from sim.viz.memo import memo, once
from sim.viz.network_view import network_png, view_for
from sim.viz.params import KEEP_RULE, RETALIATION_PREFIX
from sim.viz.policy_view import ALL_SECTORS, UNTRADED, control_matrix, tariff_matrix

EVENT_ROWS = 200
EVENT_COLUMNS = ["step", "day", "actor", "action", "partner", "sectors", "value", "rule", "reason", "source"]
SHOWN_COLUMNS = ["date", "actor", "action", "partner", "sectors", "value", "why"]
CELL = {"height": "100%", "overflow": "auto"}  # a panel fills its grid cell and scrolls inside it
CHART_HEIGHT = "340px"  # a figure's chart, with its CSV button below, fills one of Mesa's grid cells (~400 px)
EVENT_LOG_HEIGHT = "330px"  # the table scrolls inside the panel's first grid cell (Mesa's cells are ~400 px high)
EVENT_STYLE = """
.sim-events { border-collapse: collapse; width: 100%; table-layout: auto; font-size: 11px; }
.sim-events th { position: sticky; top: 0; background: #eeeeee; text-align: left; }
.sim-events th, .sim-events td { padding: 2px 4px; vertical-align: top; border-bottom: 1px solid #dddddd; }
.sim-events td { white-space: normal; overflow-wrap: anywhere; }
.sim-events td:nth-child(1) { white-space: nowrap; }
.sim-events td:last-child { min-width: 10em; }
.v-tabs { display: none !important; }  /* Mesa's page tabs: this view has one page, its "PAGE 0" tab says nothing */
/* Mesa's third sidebar card, "Information: Time: 41.0" (Mesa's step counter): the run card says step and date */
.v-sheet.d-flex > .v-card.ma-2:nth-child(3):last-child { display: none !important; }
"""
RESET_NOTE = ("Parameter changes take effect on Reset: the model is rebuilt with them (as in Mesa). "
              "Step and Play continue the current run.")


def _image(png: bytes) -> None:
    """A PNG that shrinks to its grid cell's width."""
    rw.Image(value=png, format="png", layout={"max_width": "100%", "height": "auto"})


# the economy and firm the reader inspects: solara keeps module-level reactives per kernel (each page load)
NETWORK_ECONOMY = solara.reactive(NOBODY)
NETWORK_FIRM = solara.reactive(NOBODY)


def _focus(model: SupplyChainModel) -> tuple[int | None, int | None]:
    """The inspected economy's index and firm: None where nothing is chosen or the choice is not one of this
    model's (after a Reset to another scenario), and no firm on an aggregated network."""
    economies = list(model.network.economies)
    economy = economies.index(NETWORK_ECONOMY.value) if NETWORK_ECONOMY.value in economies else None
    firm = None if view_for(model).aggregated else firm_choices(model).get(NETWORK_FIRM.value)
    return economy, firm


def NetworkPanel(model: SupplyChainModel):
    """The network picture after the last step; choose an economy to label its sectors and list its numbers, and
    (small networks) a firm to ring it and describe it."""
    economy, firm = _focus(model)
    exports = once(model, ("exports", "network"), lambda: {"png": lambda: network_png(model, *_focus(model))})
    with solara.Column(classes=["sim-panel-network"], style=CELL):
        _image(network_png(model, economy, firm))
        with solara.Row(style={"gap": "8px", "align-items": "center"}):
            solara.FileDownload(exports["png"], filename=f"{model.config.name}_network.png", label="PNG",
                                mime_type="image/png")
            solara.Select(label="Inspect economy", values=[NOBODY, *model.network.economies],
                          value=NETWORK_ECONOMY.value if economy is not None else NOBODY,
                          on_value=NETWORK_ECONOMY.set)
            if not view_for(model).aggregated:
                solara.Select(label="Inspect firm", values=[NOBODY, *firm_choices(model)],
                              value=NETWORK_FIRM.value if firm is not None else NOBODY, on_value=NETWORK_FIRM.set)
        if economy is not None:
            solara.Style(MATRIX_STYLE)
            solara.Text(f"{model.network.economies[economy]} {_last_step(model)}", style={"font-weight": "bold"})
            solara.HTML(tag="div", unsafe_innerHTML=economy_table(model, model.network.economies[economy]),
                        style={"overflow": "auto"})
        if firm is not None:
            for line in describe_firm(model, firm):
                solara.Text(line, style={"font-size": "12px"})


def _figure(model: SupplyChainModel, name: str, panels: Callable[[], series.Panels]) -> None:
    """A panel's chart (`sim.viz.charts`: hover for values, legend to choose lines, toolbox to zoom and save
    it as PNG), its data redrawn after each step, and the plotted series as CSV."""
    time = model.config.time
    shown = panels()
    # export callables made once per model: a download button keyed on the same callable stays put across
    # redraws (a new one per redraw would restart its download thread every step); each gives what is shown
    # at the moment it is clicked
    exports = once(model, ("exports", name), lambda: {
        "csv": lambda: series.panels_csv(panels(), time.start_date, model.days_per_step)})
    with solara.Column(classes=[f"sim-panel-{name}"], style=CELL):
        LineChart.element(spec=spec(panels_option(shown, time.start_date, model.days_per_step, time.steps,
                                                  f"{model.config.name}_{name}")),
                          attributes={"style": f"height: {CHART_HEIGHT}; width: 100%;"})
        solara.FileDownload(exports["csv"], filename=f"{model.config.name}_{name}.csv", label="CSV",
                            mime_type="text/csv")


def ThroughputPanel(model: SupplyChainModel):
    """Goods delivered by origin economy and by sector, % of the steady state."""
    _figure(model, "throughput", lambda: [
        (series.throughput(model, "exporter"), "Throughput by origin economy", "% of baseline"),
        (series.throughput(model, "sector"), "Throughput by sector", "% of baseline")])


def DisruptionPanel(model: SupplyChainModel):
    """Output lost by economy and by sector, % of the steady state."""
    _figure(model, "disruption", lambda: [
        (series.disruption(model, "economy"), "Disruption by economy", "output lost, %"),
        (series.disruption(model, "sector"), "Disruption by sector", "output lost, %")])


def PolicyPanel(model: SupplyChainModel):
    """Applied tariffs by importer and export controls by exporter (trade-weighted)."""
    _figure(model, "policy", lambda: [
        (series.tariffs(model), "Applied tariff by importer, trade-weighted (every pair: the matrix)", "%"),
        (series.export_controls(model), "Exports held by export controls, by exporter", "% of exports")])


def PricePanel(model: SupplyChainModel):
    """Consumer price indices by economy and producer prices by sector."""
    _figure(model, "prices", lambda: [
        (series.consumer_prices(model), "Consumer prices by economy", "index (1 = baseline)"),
        (series.producer_prices(model), "Producer prices by sector", "index (1 = baseline)")])


MATRIX_STYLE = """
.sim-matrix { border-collapse: collapse; font-size: 11px; }
.sim-matrix th, .sim-matrix td { padding: 1px 4px; text-align: right; border: 1px solid #e0e0e0; }
.sim-matrix th { background: #eeeeee; }
.sim-matrix td.sim-rate { background: #fde0c5; font-weight: bold; }
.sim-matrix td.sim-diagonal { background: #f5f5f5; }
"""


POLICY_SECTOR = solara.reactive(ALL_SECTORS)  # per browser session; kept when the panels are dragged or resized


def _last_step(model: SupplyChainModel) -> str:
    """'after step N (its date)', or the calibration year before the first step."""
    step, start = model.engine.state.step, model.config.time.start_date
    if step == 0:
        return "in the calibration year"
    return f"after step {step}" + (f" ({step_date(step, model.days_per_step, start)})" if start else "")


def PolicyStatePanel(model: SupplyChainModel):
    """The tariffs (importer x exporter) and export controls (exporter x importer) in force after the last step,
    for a sector or all."""
    sectors = list(model.network.sectors)
    chosen = POLICY_SECTOR.value if POLICY_SECTOR.value in sectors else ALL_SECTORS  # a Reset to other sectors
    index = None if chosen == ALL_SECTORS else sectors.index(chosen)
    with solara.Column(classes=["sim-panel-policy-state"], style=CELL):
        solara.Style(MATRIX_STYLE)
        solara.Select(label="Sector", values=[ALL_SECTORS, *sectors], value=chosen, on_value=POLICY_SECTOR.set)
        solara.Text(f"Tariffs {_last_step(model)}: importer (rows) on exporter (columns); highlighted: above the "
                    "calibration year's", style={"font-weight": "bold"})
        solara.HTML(tag="div", unsafe_innerHTML=tariff_matrix(model, index), style={"overflow": "auto"})
        solara.Text("Export controls: share of the exporter's (rows) goods to the importer (columns) blocked",
                    style={"font-weight": "bold"})
        solara.HTML(tag="div", unsafe_innerHTML=control_matrix(model, index), style={"overflow": "auto"})
        if index is None:
            solara.Text(f"{UNTRADED}: the pair did not trade in the calibration year; the simple mean of its "
                        "sectors' rates", style={"font-size": "11px"})


def events_frame(model: SupplyChainModel) -> pd.DataFrame:
    """The newest policy actions first, as shown in the event log."""
    frame = pd.DataFrame(model.events[-EVENT_ROWS:]).reindex(columns=EVENT_COLUMNS)
    return frame.iloc[::-1].reset_index(drop=True)


def events_shown(model: SupplyChainModel) -> pd.DataFrame:
    """The event log as the page shows it, newest first: date (or day), actor, action, partner, sectors, the value
    in words, and why: a scheduled entry's source text (the scenario's citation), or the rule and its reason."""
    frame = events_frame(model).fillna("")
    start = model.config.time.start_date
    values = [event_value(action, value) if value != "" else "" for action, value in
              zip(frame["action"], frame["value"], strict=True)]
    why = [source if rule == "schedule" and source else f"{rule}: {reason}" + (f" ({source})" if source else "")
           for rule, reason, source in zip(frame["rule"], frame["reason"], frame["source"], strict=True)]
    return pd.DataFrame({"date": [day_text(day, start) if day != "" else "" for day in frame["day"]],
                         "actor": frame["actor"], "action": frame["action"], "partner": frame["partner"],
                         "sectors": frame["sectors"].map(lambda s: str(s).replace(",", ", ")), "value": values,
                         "why": why}, columns=SHOWN_COLUMNS)


def events_html(model: SupplyChainModel) -> str:
    """The event log as an HTML table (values escaped), newest first."""
    return events_shown(model).to_html(index=False, border=0, escape=True, classes="sim-events")


def EventPanel(model: SupplyChainModel):
    """Governments' policy actions (tariffs, retaliation, truces, deals) as they happen, newest first."""
    with solara.Column(classes=["sim-panel-events"], style=CELL):
        solara.Style(EVENT_STYLE)
        solara.Text(f"Event log: {len(model.events)} policy action(s) so far", style={"font-weight": "bold"})
        if model.events:
            solara.HTML(tag="div", unsafe_innerHTML=events_html(model),
                        style={"max-height": EVENT_LOG_HEIGHT, "overflow": "auto"})
        else:
            solara.Text("No policy action yet.")


def firm_outcome_lines(model: SupplyChainModel) -> list[str]:
    """How the firms have fared so far (sim.firms), as the lines `sim run` prints; recomputed when the firm
    histogram is (`sim.viz.firm_view.due`), the single-origin flags once per model."""
    step, cached = model.engine.state.step, memo(model).get("firm_lines")
    if cached is not None and not due(cached[0], step, model.running):
        return cached[1]
    recorder, network = model.recorder, model.network
    table = firm_table(network, recorder.firm_worst_level, recorder.firm_loss_days, model_single_origin(model))
    qualified = qualified_table(network, recorder.qualified_steps, recorder.qualified_links, model.days_per_step)
    links = link_table(network, recorder.link_changes, model.days_per_step)
    lines = firm_lines(firm_summary(table, qualified, links))
    memo(model)["firm_lines"] = (step, lines)
    return lines


def FirmPanel(model: SupplyChainModel):
    """The distribution of firm losses so far: quantiles, single-origin against diversified firms, worst cells."""
    with solara.Column(classes=["sim-panel-firms"], style=CELL):
        _image(firm_histogram_png(model))
        for i, line in enumerate(firm_outcome_lines(model)):
            solara.Text(line, style={"font-weight": "bold"} if i == 0 else {"font-size": "12px"})


def _date(model: SupplyChainModel) -> str:
    """The calendar date of the model's current day, if the scenario has a start date."""
    start = model.config.time.start_date
    return f" ({start + datetime.timedelta(days=int(model.day))})" if start else ""


def RunPanel(model: SupplyChainModel):
    """What is running (scenario, size, day, settings in force, when changes apply), and when the run is over."""
    params = {} if getattr(model, "problem", None) else getattr(model, "page_params", {})
    changed = [f"{key.removeprefix(RETALIATION_PREFIX)}: {rule}" for key, rule in params.items()
               if key.startswith(RETALIATION_PREFIX) and rule != KEEP_RULE]
    lines = [
        f"{model.config.name} ({model.network.n_firms} firms, {model.network.n_links} links)",
        f"step {model.engine.state.step} of {model.config.time.steps}, day {model.day:g}{_date(model)}",
        *([] if model.running else [f"Run over: the scenario's last step ({model.config.time.steps}) is done; "
                                    "Reset to run again."]),
        f"tariffs x{params.get('tariff_scale', 1.0):g}, elasticity x{params.get('elasticity_scale', 1.0):g}, "
        f"inventory days x{params.get('inventory_scale', 1.0):g}, seed {params.get('seed') or model.config.seed}",
        "retaliation changed: " + (", ".join(changed) if changed else "none (as in scenario)"),
    ]
    with solara.Column(classes=["sim-panel-run"], style=CELL):
        problem = getattr(model, "problem", None)
        if problem:
            solara.Error(f"Reset could not use the parameters ({problem}); running {model.config.name} with its "
                         "own settings until they are corrected.")
        for i, line in enumerate(lines):
            solara.Text(line, style={"font-weight": "bold"} if i == 0 or line.startswith("Run over") else {})
        solara.Info(RESET_NOTE)
