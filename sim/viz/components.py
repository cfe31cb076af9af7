"""The page's panels: the network picture, the time-series plots, the event log and the run card.

Each panel is a function of the model that Mesa's SolaraViz wraps in a component and redraws after
every Step (or every rendered step while playing). Plots are matplotlib figures made without
pyplot (safe off the main thread), redrawn by blitting and sent to the browser as PNG images. Text
is plain solara text and HTML, not Markdown, which would make the browser ask for KaTeX from a CDN;
the event log is one HTML table rather than a widget per cell, to keep re-renders light.
"""

from __future__ import annotations

import datetime

import pandas as pd
import reacton.ipywidgets as rw
import solara

from sim.firms import firm_summary, firm_table, link_table, qualified_table, single_origin
from sim.model import SupplyChainModel
from sim.report import firm_lines
from sim.viz import series
from sim.viz.lineplot import Panels, line_png
from sim.viz.network_view import network_png
from sim.viz.params import KEEP_RULE, RETALIATION_PREFIX

EVENT_ROWS = 200
EVENT_COLUMNS = ["step", "day", "actor", "action", "partner", "sectors", "value", "rule", "reason"]
RESET_NOTE = ("Parameter changes take effect on Reset: the model is rebuilt with them (as in Mesa). "
              "Step and Play continue the current run.")


def _image(png: bytes) -> None:
    """A PNG that shrinks to its grid cell's width."""
    rw.Image(value=png, format="png", layout={"max_width": "100%", "height": "auto"})


def NetworkPanel(model: SupplyChainModel):
    """The network picture after the last step."""
    with solara.Column(classes=["sim-panel-network"]):
        _image(network_png(model))


def ThroughputPanel(model: SupplyChainModel):
    """Goods delivered by origin economy and by sector, % of the steady state."""
    def panels() -> Panels:
        return [(series.throughput(model, "exporter"), "Throughput by origin economy", "% of baseline"),
                (series.throughput(model, "sector"), "Throughput by sector", "% of baseline")]

    with solara.Column(classes=["sim-panel-throughput"]):
        _image(line_png(model, "throughput", panels))


def DisruptionPanel(model: SupplyChainModel):
    """Output lost by economy and by sector, % of the steady state."""
    def panels() -> Panels:
        return [(series.disruption(model, "economy"), "Disruption by economy", "output lost, %"),
                (series.disruption(model, "sector"), "Disruption by sector", "output lost, %")]

    with solara.Column(classes=["sim-panel-disruption"]):
        _image(line_png(model, "disruption", panels))


def PolicyPanel(model: SupplyChainModel):
    """Applied tariffs by importer and export controls by exporter (trade-weighted)."""
    def panels() -> Panels:
        return [(series.tariffs(model), "Average applied tariff by importer", "%"),
                (series.export_controls(model), "Exports held by export controls, by exporter", "% of exports")]

    with solara.Column(classes=["sim-panel-policy"]):
        _image(line_png(model, "policy", panels))


def PricePanel(model: SupplyChainModel):
    """Consumer price indices by economy and producer prices by sector."""
    def panels() -> Panels:
        return [(series.consumer_prices(model), "Consumer prices by economy", "index (1 = baseline)"),
                (series.producer_prices(model), "Producer prices by sector", "index (1 = baseline)")]

    with solara.Column(classes=["sim-panel-prices"]):
        _image(line_png(model, "prices", panels))


def events_frame(model: SupplyChainModel) -> pd.DataFrame:
    """The newest policy actions first, as shown in the event log."""
    frame = pd.DataFrame(model.events[-EVENT_ROWS:]).reindex(columns=EVENT_COLUMNS)
    return frame.iloc[::-1].reset_index(drop=True)


def events_html(model: SupplyChainModel) -> str:
    """The event log as an HTML table (values escaped), newest first."""
    frame = events_frame(model)
    frame["day"] = frame["day"].map(lambda day: f"{day:g}")
    frame["value"] = frame["value"].map(lambda value: "" if pd.isna(value) else f"{value:.3g}")
    return frame.fillna("").to_html(index=False, border=0, escape=True, classes="sim-events")


def EventLog(model: SupplyChainModel):
    """Governments' policy actions (tariffs, retaliation, truces, deals) as they happen, newest first."""
    solara.Text(f"Event log: {len(model.events)} policy action(s) so far", style={"font-weight": "bold"})
    if model.events:
        solara.HTML(tag="div", unsafe_innerHTML=events_html(model),
                    style={"max-height": "150px", "overflow": "auto", "font-size": "11px"})
    else:
        solara.Text("No policy action yet.")


def firm_outcome_lines(model: SupplyChainModel) -> list[str]:
    """How the firms have fared so far (sim.firms), as the lines `sim run` prints; the single-origin flags are
    computed once per model."""
    recorder, network = model.recorder, model.network
    single = getattr(model, "_single_origin", None)
    if single is None:
        single = model._single_origin = single_origin(network)
    table = firm_table(network, recorder.firm_worst_level, recorder.firm_loss_days, single)
    qualified = qualified_table(network, recorder.qualified_steps, recorder.qualified_links, model.days_per_step)
    links = link_table(network, recorder.link_changes, model.days_per_step)
    return firm_lines(firm_summary(table, qualified, links))


def FirmPanel(model: SupplyChainModel):
    """The distribution of firm losses so far: quantiles, single-origin against diversified firms, worst cells."""
    with solara.Column(classes=["sim-panel-firms"]):
        for i, line in enumerate(firm_outcome_lines(model)):
            solara.Text(line, style={"font-weight": "bold"} if i == 0 else {"font-size": "12px"})


def _date(model: SupplyChainModel) -> str:
    """The calendar date of the model's current day, if the scenario has a start date."""
    start = model.config.time.start_date
    return f" ({start + datetime.timedelta(days=int(model.day))})" if start else ""


def RunPanel(model: SupplyChainModel):
    """What is running (scenario, size, day, settings in force, when changes apply) and the event log."""
    params = {} if getattr(model, "problem", None) else getattr(model, "page_params", {})
    changed = [f"{key.removeprefix(RETALIATION_PREFIX)}: {rule}" for key, rule in params.items()
               if key.startswith(RETALIATION_PREFIX) and rule != KEEP_RULE]
    lines = [
        f"{model.config.name} ({model.network.n_firms} firms, {model.network.n_links} links)",
        f"step {model.engine.state.step} of {model.config.time.steps}, day {model.day:g}{_date(model)}",
        f"tariffs x{params.get('tariff_scale', 1.0):g}, elasticity x{params.get('elasticity_scale', 1.0):g}, "
        f"inventory days x{params.get('inventory_scale', 1.0):g}, seed {params.get('seed') or model.config.seed}",
        "retaliation changed: " + (", ".join(changed) if changed else "none (as in scenario)"),
    ]
    with solara.Column(classes=["sim-panel-run"]):
        problem = getattr(model, "problem", None)
        if problem:
            solara.Error(f"Reset could not use the parameters ({problem}); running {model.config.name} with its "
                         "own settings until they are corrected.")
        for i, line in enumerate(lines):
            solara.Text(line, style={"font-weight": "bold"} if i == 0 else {})
        solara.Info(RESET_NOTE)
        EventLog(model)
