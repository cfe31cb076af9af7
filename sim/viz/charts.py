"""The browser view's time-series charts: ECharts figures of stacked panels, drawn in the browser.

`panels_option` turns a figure's panels (`sim.viz.series.Panels`) into an ECharts option: one grid
per panel, one line per economy or sector in distinct colours and styles (`sim.plotting.colours`),
the calibrated steady state as a dashed grey "baseline" line, a date axis where the scenario has a
start date (each step dated by the day it starts, as in the event log; steps otherwise) spanning the
whole run, and a value axis with round limits around the data. In the page, hovering shows every
line's value at that date; clicking a legend entry hides or shows the lines of that name in every
panel of the chart ("all" and "invert" choose many at once); the toolbox zooms (and steps back) and
saves the chart as PNG; the chart fills its cell and follows its size. `LineChart` is the widget:
solara's ECharts widget with a template that merges each new option into the chart, so the reader's
choice of lines and zoom survive every step. ECharts is the copy that solara-assets installs, served
by the view's own server: nothing is fetched from the internet.
"""

from __future__ import annotations

import datetime
import json
import math

import numpy as np
import traitlets
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator
from solara.components.echarts import EchartsWidget

from sim.plotting import colours
from sim.viz.series import Panels, Series

ECHARTS_VERSION = "5.4.0"  # the version solara-assets ships (share/solara/cdn/echarts@5.4.0)
DASHES = {"-": "solid", "--": "dashed", ":": "dotted", "-.": [6, 3, 1, 3]}  # matplotlib's styles in ECharts
SIGNIFICANT = 6  # digits kept of each value (the page shows them on hover)
BASELINE = "baseline"
BASELINE_COLOUR = "#555555"
LEGEND_WIDTH = 150  # pixels at the right of each panel for its legend


class LineChart(EchartsWidget):
    """Solara's ECharts widget with sim's template: the option goes as one JSON text (`spec`: the page's
    re-render does not walk thousands of numbers, and it is encoded once), and updates merge into the chart
    instead of replacing it."""

    template_file = (__file__, "linechart.vue")
    version = traitlets.Unicode(ECHARTS_VERSION).tag(sync=True)
    spec = traitlets.Unicode("{}").tag(sync=True)


def spec(option: dict) -> str:
    """An option as the JSON text `LineChart.spec` carries (plain JSON: no NaN, which the page cannot parse)."""
    return json.dumps(option, allow_nan=False, separators=(",", ":"))


def decimals(values: np.ndarray) -> int:
    """Decimals that keep `SIGNIFICANT` digits of the largest finite value, counted from at least 1, so that
    rounding noise such as 1e-14 around 0 or 100 is sent as 0 or 100."""
    finite = values[np.isfinite(values)]
    top = max(float(np.abs(finite).max()) if len(finite) else 0.0, 1.0)
    return max(SIGNIFICANT - 1 - math.floor(math.log10(top)), 0)


def rounded(values: np.ndarray) -> list:
    """Values (any shape) as nested lists of JSON numbers to `decimals(values)`; None where not finite."""
    finite = np.isfinite(values)
    out = (np.round(values, decimals(values)) + 0.0).astype(object)  # + 0.0: no -0 on the page
    out[~finite] = None
    return out.tolist()


def value_limits(values: np.ndarray, reference: float | None) -> tuple[float, float, float]:
    """Round limits and tick interval of a panel's value axis around its values as sent (`rounded`) and the
    reference, with a little headroom; a flat line (at the baseline, say) gets a narrow band around it, not an
    axis from 30 to 150. The interval has at most two significant digits and the limits are rounded to it."""
    finite = np.round(values[np.isfinite(values)], decimals(values))
    points = np.append(finite, [] if reference is None else [reference])
    if not len(points):
        return 0.0, 1.0, 0.25
    low, high = float(points.min()), float(points.max())
    span = high - low
    pad = 0.1 * span if span > 1e-9 * max(1.0, abs(high)) else max(0.005 * abs(high), 0.05)
    ticks = MaxNLocator(nbins=4).tick_values(low - pad, high + pad)
    step = float(f"{ticks[1] - ticks[0]:.2g}")
    places = max(0, 1 - math.floor(math.log10(step)))
    return round(float(ticks[0]), places), round(float(ticks[-1]), places), step


def x_values(steps: np.ndarray, start_date: datetime.date | None, days_per_step: float) -> list:
    """The x value of each step: the ISO date it starts on (as `sim.formats.step_date`), or the step number."""
    steps = np.asarray(steps, dtype=np.int64)
    if start_date is None:
        return steps.tolist()
    days = np.floor(np.maximum(steps - 1, 0) * days_per_step).astype("timedelta64[D]")
    return np.datetime_as_string(np.datetime64(start_date, "D") + days, unit="D").tolist()


def _shown_steps(data: Series) -> np.ndarray:
    """Indices of the steps drawn: every completed step, or the steady state (step 0) before the first."""
    return np.flatnonzero(data.steps > 0) if (data.steps > 0).any() else np.arange(len(data.steps))


def panels_option(panels: Panels, start_date: datetime.date | None, days_per_step: float, run_steps: int,
                  name: str = "chart") -> dict:
    """The ECharts option of a figure: the panels stacked, sharing a date (or step) axis over the whole run;
    `name` names the PNG the toolbox saves."""
    n = len(panels)
    span = 100.0 / n
    x_range = x_values(np.array([1, run_steps]), start_date, days_per_step)
    option: dict = {
        "animation": False,
        "title": [], "legend": [], "grid": [], "xAxis": [], "yAxis": [], "dataset": [], "series": [],
        "tooltip": {"trigger": "axis", "confine": True, "order": "valueDesc", "textStyle": {"fontSize": 11}},
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
        "toolbox": {"right": 10, "feature": {"dataZoom": {"yAxisIndex": "none"},
                                             "saveAsImage": {"pixelRatio": 2, "name": name}}},
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
            "textStyle": {"fontSize": 10},
            **({"selector": [{"type": "all", "title": "all"}, {"type": "inverse", "title": "invert"}],
                "selectorLabel": {"fontSize": 10}} if i == 0 else {})})
    return option
