"""Stacked time-series panels (one line per economy or sector) that redraw in milliseconds.

The figure, its axes, titles, legends and tick labels are drawn once and kept as a background
(`BlitFigure`); after a step only the lines are redrawn over it. Lines take distinct colours and
styles (`sim.plotting.colours`), the reference level (the calibrated steady state) is a dashed grey
line, the x axis reads in dates where the scenario has them, and y ticks are plain numbers. The x
axis spans the scenario's run length from the start, and each y axis keeps 'nice' limits until the
data leave them or shrink to a fifth of the range, so the background is redrawn only now and then.
"""

from __future__ import annotations

import datetime
import weakref
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.formats import step_date
from sim.model import SupplyChainModel
from sim.plotting import colours
from sim.viz.raster import FIGURE_DPI, FIGURE_SIZE, BlitFigure
from sim.viz.series import Series

Panels = list[tuple[Series, str, str]]  # (lines, title, y label) per panel


def nice_limits(current: tuple[float, float] | None, low: float, high: float) -> tuple[float, float]:
    """Y limits for data in [low, high]: `current` while it still fits well, else new rounded limits."""
    if current is not None and current[0] <= low and high <= current[1] and high - low >= 0.2 * (
            current[1] - current[0]):
        return current
    span = high - low
    pad = 0.3 * span if span > 0 else max(0.01 * abs(high), 0.05)  # headroom: fewer frame redraws
    ticks = MaxNLocator(nbins=5).tick_values(low - pad, high + pad)
    return float(ticks[0]), float(ticks[-1])


class LinePlot:
    """A figure of stacked panels whose lines are updated in place after every step."""

    def __init__(self, panels: Panels, run_steps: int, start_date: datetime.date | None = None,
                 days_per_step: float = 1.0):
        figure = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI)
        self.blit = BlitFigure(figure)
        self.axes = list(figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0])
        self.lines = []
        for ax, (data, title, ylabel) in zip(self.axes, panels, strict=True):
            self.lines.append([
                self.blit.animate(ax.plot([], [], label=label, color=colour, linestyle=style, linewidth=1.2)[0])
                for label, (colour, style) in zip(data.labels, colours(data.labels), strict=True)
            ])
            if data.reference is not None:  # the steady state the run is measured against, in the frame
                ax.axhline(data.reference, color="#555555", linestyle="--", linewidth=0.8, zorder=0)
            ax.set_title(title, fontsize=9)
            ax.set_ylabel(ylabel, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.ticklabel_format(axis="y", useOffset=False, style="plain")  # 99.5, not "-0.5 +1e2"
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6, ncol=1 if len(data.labels) <= 14 else 2, loc="center left",
                      bbox_to_anchor=(1.0, 0.5), frameon=False)
        if start_date is None:
            self.axes[-1].set_xlabel("step", fontsize=8)
        else:  # steps stay the x values (the lines are updated in place); the ticks read as the dates they start
            self.axes[-1].xaxis.set_major_formatter(FuncFormatter(
                lambda x, _: step_date(x, days_per_step, start_date).strftime("%d %b\n%Y")))
            self.axes[-1].set_xlabel("date", fontsize=8)
        self.axes[-1].set_xlim(0, run_steps)
        self.run_steps = run_steps
        self.limits: list[tuple[float, float] | None] = [None] * len(self.axes)
        figure.subplots_adjust(left=0.11, right=0.76, top=0.94, bottom=0.14, hspace=0.3)

    def update(self, panels: Panels) -> bytes:
        """Put the latest values on the lines, adjust limits if needed, and return the PNG."""
        for i, (ax, lines, (data, _, _)) in enumerate(zip(self.axes, self.lines, panels, strict=True)):
            values = np.round(data.values, 9)  # no axes zoomed into rounding noise
            for line, row in zip(lines, values, strict=True):
                line.set_data(data.steps, row)
            if values.size:
                limits = nice_limits(self.limits[i], float(values.min()), float(values.max()))
                if limits != self.limits[i]:
                    self.limits[i] = limits
                    ax.set_ylim(*limits)
                    self.blit.frame_changed()
        last = int(panels[0][0].steps[-1]) if len(panels[0][0].steps) else 0
        if last > self.axes[-1].get_xlim()[1]:
            self.axes[-1].set_xlim(0, last + self.run_steps)
            self.blit.frame_changed()
        return self.blit.png()


_plots: weakref.WeakKeyDictionary[SupplyChainModel, dict[str, tuple[LinePlot, int, bytes]]] = (
    weakref.WeakKeyDictionary())


def line_png(model: SupplyChainModel, name: str, make_panels: Callable[[], Panels]) -> bytes:
    """PNG of the model's figure `name`: made on first use, redrawn once per step, cached in between."""
    plots = _plots.setdefault(model, {})
    step = model.engine.state.step
    entry = plots.get(name)
    if entry is not None and entry[1] == step:
        return entry[2]
    panels = make_panels()
    plot = entry[0] if entry is not None else LinePlot(panels, model.config.time.steps, model.config.time.start_date,
                                                       model.days_per_step)
    png = plot.update(panels)
    plots[name] = (plot, step, png)
    return png
