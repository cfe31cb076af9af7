"""The firm-loss distribution of the browser view: how many firms lost how much at their worst step so far.

A histogram of each firm's output lost at its worst step (% of its own baseline), in 5-point bins,
single-origin and diversified firms side by side, as shares of their group (log scale, so the few
firms that lose most stay visible next to the many that lose little). The frame is fixed (bins and
axes do not move), so only the bars are redrawn over the cached background
(`sim.viz.raster.BlitFigure`, about 8 ms), every `EVERY` steps and at the end of the run (`due`); the
firms panel's text lines follow the same rule.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.firms import single_origin
from sim.model import SupplyChainModel
from sim.viz.memo import memo, once
from sim.viz.raster import FIGURE_DPI, FIGURE_SIZE, BlitFigure

EDGES = np.linspace(0.0, 100.0, 21)  # 5-point bins of output lost, %
FLOOR = 0.1  # % of firms at the bottom of the log axis
GROUPS = (("single-origin", "#d62728", True), ("diversified", "#1f77b4", False))
EVERY = 5  # steps between redraws


def loss_shares(worst_loss_pct: np.ndarray, single: np.ndarray) -> dict[str, np.ndarray]:
    """Per group, the % of its firms in each bin of worst-step loss (losses below 0, i.e. gains, in the first)."""
    loss = np.clip(worst_loss_pct, 0.0, 100.0)
    shares = {}
    for label, _, flag in GROUPS:
        members = loss[single == flag]
        counts = np.histogram(members, EDGES)[0]
        shares[label] = 100.0 * counts / max(len(members), 1)
    return shares


class FirmHistogram:
    """The histogram figure of one model: axes drawn once, bar heights set after every step."""

    def __init__(self, model: SupplyChainModel):
        figure = Figure(figsize=(FIGURE_SIZE[0], FIGURE_SIZE[1] * 0.7), dpi=FIGURE_DPI)
        self.blit = BlitFigure(figure)
        ax = figure.add_subplot()
        width = (EDGES[1] - EDGES[0]) / 2
        self.bars = {}
        for k, (label, colour, _) in enumerate(GROUPS):
            bars = ax.bar(EDGES[:-1] + k * width, np.full(len(EDGES) - 1, FLOOR), width=width, align="edge",
                          color=colour, label=label, bottom=FLOOR)
            self.bars[label] = [self.blit.animate(bar) for bar in bars]
        ax.set_yscale("log")
        ax.set_ylim(FLOOR, 100.0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.set_xlim(0.0, 100.0)
        ax.set_xlabel("output lost at the firm's worst step so far, % of its baseline", fontsize=8)
        ax.set_ylabel("% of the group's firms", fontsize=8)
        ax.set_title("Firm losses: single-origin against diversified firms", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7, frameon=False)
        figure.subplots_adjust(left=0.12, right=0.97, top=0.9, bottom=0.2)
        self.single = model_single_origin(model)

    def update(self, model: SupplyChainModel) -> bytes:
        shares = loss_shares(100.0 * (1.0 - model.recorder.firm_worst_level), self.single)
        for label, bars in self.bars.items():
            for bar, share in zip(bars, shares[label], strict=True):
                bar.set_height(max(share, FLOOR) - FLOOR)
        return self.blit.png()


def model_single_origin(model: SupplyChainModel) -> np.ndarray:
    """The model's single-origin flags (`sim.firms.single_origin`), computed once per model."""
    return once(model, "single_origin", lambda: single_origin(model.network))


def due(drawn_step: int, step: int, running: bool) -> bool:
    """Whether firm figures drawn after `drawn_step` are redrawn after `step`: every `EVERY` steps, and once
    more when the run is over."""
    return step != drawn_step and (step - drawn_step >= EVERY or not running)


def firm_histogram_png(model: SupplyChainModel) -> bytes:
    """PNG of the model's firm-loss histogram: redrawn every `EVERY` steps and at the end of the run, cached in
    between (worst losses change slowly, and sending a new image to the page costs more than drawing it)."""
    step = model.engine.state.step
    entry = memo(model).get("firm_histogram")
    if entry is not None and not due(entry[1], step, model.running):
        return entry[2]
    histogram = entry[0] if entry is not None else FirmHistogram(model)
    png = histogram.update(model)
    memo(model)["firm_histogram"] = (histogram, step, png)
    return png
