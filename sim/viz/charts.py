"""The browser view's time-series charts: ECharts figures of stacked panels, drawn in the browser.

`panels_option` turns a figure's panels (`sim.viz.series.Series`, title, unit) into an ECharts option:
one grid per panel, one line per economy or sector in distinct colours and styles
(`sim.plotting.colours`), the calibrated steady state as a dashed grey "baseline" line, a date axis
where the scenario has a start date (each step dated by the day it starts, as in the event log;
steps otherwise) spanning the whole run, and a value axis with round limits around the data. In the page, hovering
shows every line's value at that date, clicking a legend entry hides or shows its line ("all" and
"invert" choose many at once), the toolbox zooms and saves the chart as PNG, and the chart fills its
cell and follows its size. `LineChart` is the widget: solara's ECharts widget with a template that
merges each new option into the chart, so the reader's choice of lines and zoom survive every step.
ECharts is the copy that solara-assets installs, served by the view's own server: nothing is
fetched from the internet.
"""

from __future__ import annotations

import datetime
import math

import numpy as np
import traitlets
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator
from solara.components.echarts import EchartsWidget

from sim.formats import step_date
from sim.plotting import colours
from sim.viz.series import Series

ECHARTS_VERSION = "5.4.0"  # the version solara-assets ships (share/solara/cdn/echarts@5.4.0)
DASHES = {"-": "solid", "--": "dashed", ":": "dotted", "-.": "dashed"}
SIGNIFICANT = 6  # digits kept of each value (the page shows them on hover)
BASELINE = "baseline"
BASELINE_COLOUR = "#555555"
LEGEND_WIDTH = 150  # pixels at the right of each panel for its legend


class LineChart(EchartsWidget):
    """Solara's ECharts widget with sim's template: updates merge into the chart instead of replacing it."""

    template_file = (__file__, "linechart.vue")
    version = traitlets.Unicode(ECHARTS_VERSION).tag(sync=True)


def rounded(values: np.ndarray) -> list:
    """Values (any shape) as nested lists of JSON numbers to `SIGNIFICANT` digits of the largest one; None where
    not finite."""
    finite = np.isfinite(values)
    top = float(np.abs(values[finite]).max()) if finite.any() else 0.0
    decimals = SIGNIFICANT - 1 - (math.floor(math.log10(top)) if top > 0 else 0)
    out = np.round(values, max(decimals, 0)).astype(object)
    out[~finite] = None
    return out.tolist()


def value_limits(values: np.ndarray, reference: float | None) -> tuple[float, float, float]:
    """Round limits and tick interval of a panel's value axis around its finite values and the reference, with
    a little headroom (a flat line at the baseline gets a narrow band around it, not an axis from 30 to 150)."""
    finite = values[np.isfinite(values)]
    points = np.append(finite, [] if reference is None else [reference])
    if not len(points):
        return 0.0, 1.0, 0.25
    low, high = float(points.min()), float(points.max())
    span = high - low
    pad = 0.1 * span if span > 0 else max(0.005 * abs(high), 0.05)
    ticks = MaxNLocator(nbins=4).tick_values(low - pad, high + pad)
    return float(ticks[0]), float(ticks[-1]), float(ticks[1] - ticks[0])


def x_values(steps: np.ndarray, start_date: datetime.date | None, days_per_step: float) -> list:
    """The x value of each step: the ISO date it starts on (`sim.formats.step_date`), or the step number."""
    if start_date is None:
        return [int(s) for s in steps]
    return [step_date(int(s), days_per_step, start_date).isoformat() for s in steps]


def _shown_steps(data: Series) -> np.ndarray:
    """Indices of the steps drawn: every completed step, or the steady state (step 0) before the first."""
    return np.flatnonzero(data.steps > 0) if (data.steps > 0).any() else np.arange(len(data.steps))


def panels_option(panels: list[tuple[Series, str, str]], start_date: datetime.date | None, days_per_step: float,
                  run_steps: int) -> dict:
    """The ECharts option of a figure: the panels stacked, sharing a date (or step) axis over the whole run."""
    n = len(panels)
    span = 100.0 / n
    x_range = x_values(np.array([1, run_steps]), start_date, days_per_step)
    option: dict = {
        "animation": False,
        "title": [], "legend": [], "grid": [], "xAxis": [], "yAxis": [], "dataset": [], "series": [],
        "tooltip": {"trigger": "axis", "confine": True, "order": "valueDesc", "textStyle": {"fontSize": 11}},
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
        "toolbox": {"right": 10, "feature": {"dataZoom": {"yAxisIndex": "none"}, "restore": {},
                                             "saveAsImage": {"pixelRatio": 2}}},
    }
    for i, (data, title, unit) in enumerate(panels):
        top = i * span
        shown = _shown_steps(data)
        x = x_values(data.steps[shown], start_date, days_per_step)
        dimensions = ["x", *data.labels]
        source = [[at, *row] for at, row in zip(x, rounded(data.values[:, shown].T), strict=True)]
        looks = colours(data.labels)
        names = list(data.labels)
        option["title"].append({"text": title, "top": f"{top:.1f}%", "left": 50,
                                "textStyle": {"fontSize": 12, "fontWeight": "bold"}})
        option["grid"].append({"top": f"{top + 0.22 * span:.1f}%", "height": f"{0.6 * span:.1f}%", "left": 60,
                               "right": LEGEND_WIDTH})
        option["xAxis"].append({"type": "time" if start_date else "value", "gridIndex": i, "min": x_range[0],
                                "max": x_range[1], "axisLabel": {"fontSize": 10, "hideOverlap": True},
                                **({} if start_date else {"name": "step", "nameGap": 4})})
        low, high, interval = value_limits(data.values[:, shown], data.reference)
        option["yAxis"].append({"type": "value", "gridIndex": i, "min": low, "max": high, "interval": interval,
                                "name": unit, "nameTextStyle": {"fontSize": 10, "align": "left"},
                                "axisLabel": {"fontSize": 10}})
        option["dataset"].append({"source": source, "dimensions": dimensions})
        for label, (colour, style) in zip(data.labels, looks, strict=True):
            option["series"].append({
                "type": "line", "name": label, "datasetIndex": i, "xAxisIndex": i, "yAxisIndex": i,
                "encode": {"x": "x", "y": label}, "showSymbol": False,
                "lineStyle": {"width": 1.5, "type": DASHES.get(style, "solid")}, "color": to_hex(colour)})
        if data.reference is not None:  # the steady state the run is measured against
            names.append(BASELINE)
            option["series"].append({
                "type": "line", "name": BASELINE, "xAxisIndex": i, "yAxisIndex": i, "showSymbol": False,
                "data": [[x_range[0], data.reference], [x_range[1], data.reference]], "color": BASELINE_COLOUR,
                "lineStyle": {"width": 1, "type": "dashed"}, "tooltip": {"show": False}, "z": 1})
        option["legend"].append({
            "data": names, "type": "scroll", "orient": "vertical", "right": 0, "top": f"{top + 0.2 * span:.1f}%",
            "height": f"{0.7 * span:.1f}%", "width": LEGEND_WIDTH - 10, "itemWidth": 18, "itemHeight": 8,
            "textStyle": {"fontSize": 10}, "selector": [{"type": "all", "title": "all"},
                                                        {"type": "inverse", "title": "invert"}],
            "selectorLabel": {"fontSize": 10}})
    return option
