"""Time series the browser view plots, read straight from the model's per-step record.

Each function returns a `Series`: the step numbers (0 = the calibrated steady state) and one line
per economy or sector, computed on the recorder's arrays (steps x groups) with matrix products, so
a redraw costs a few milliseconds however long the run. Throughput is goods delivered as a share of
the calibrated steady state; disruption is the output lost against it; tariffs are trade-weighted
averages of the applied rates on cross-border lines; export controls are the trade-weighted share
of exports blocked (both a simple mean over lines for an economy without such trade, so labelled);
prices are consumer price indices (1 = calibration year) and output-weighted
producer prices by sector.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.formats import step_date
from sim.model import SupplyChainModel
from sim.selection import one_hot


@dataclass
class Series:
    """Lines over steps: `values[i]` is the line named `labels[i]`, one value per entry of `steps`."""

    steps: np.ndarray
    labels: list[str]
    values: np.ndarray  # [lines, steps]
    reference: float | None = None  # the level of the calibrated steady state the run is compared with


Panels = list[tuple[Series, str, str]]  # a figure's panels: (lines, title, unit) each


def _ratio(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """values / reference, 1 where the reference is 0 (nothing to lose)."""
    return np.divide(values, reference, out=np.ones_like(values), where=reference > 0)


def _table(model: SupplyChainModel, name: str) -> np.ndarray:
    """Recorded rows of table `name` with the steady-state row first (as step 0).

    Step numbers are taken from each table's own length (`_steps`), so a plot drawn while the model
    steps in another thread never pairs rows of different lengths.
    """
    rec = model.recorder
    return np.vstack((rec.steady[name][None, :], *rec.rows[name]))


def _steps(table: np.ndarray) -> np.ndarray:
    """Step numbers of a table's rows: 0 (the calibrated steady state) and every completed step."""
    return np.arange(len(table))


def throughput(model: SupplyChainModel, by: str) -> Series:
    """Goods delivered by origin economy ('exporter') or sector, in % of the steady state."""
    rec = model.recorder
    codes, labels = ((rec.group_exporter, model.network.economies) if by == "exporter"
                     else (rec.group_sector, model.network.sectors))
    group = one_hot(codes, len(labels))
    delivered = _table(model, "delivered") @ group
    steady = rec.steady["delivered"] @ group
    return Series(_steps(delivered), list(labels), 100.0 * _ratio(delivered, steady).T, reference=100.0)


def disruption(model: SupplyChainModel, by: str) -> Series:
    """Output lost against the steady state, in %, by 'economy' or 'sector'."""
    rec, net = model.recorder, model.network
    cells = np.arange(net.n_cells)
    codes, labels = ((cells // net.n_sectors, net.economies) if by == "economy"
                     else (cells % net.n_sectors, net.sectors))
    group = one_hot(codes, len(labels))
    output = _table(model, "output") @ group
    steady = rec.steady["output"] @ group
    return Series(_steps(output), list(labels), 100.0 * (1.0 - _ratio(output, steady)).T, reference=0.0)


def _policy_share(model: SupplyChainModel, name: str, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A policy tensor per step, averaged over cross-border lines by `weights` [economy, partner, sector]
    for each economy on the first axis, in %; an economy with no such trade gets the simple mean of its
    cross-border lines instead, so a rate on goods never bought shows as the rate, not as 0. Returns
    (values [economies, steps], whether each economy's line is a simple mean)."""
    n_econ = model.network.n_economies
    cross = np.ones_like(weights)
    cross[np.arange(n_econ), np.arange(n_econ)] = 0.0
    group = one_hot(np.repeat(np.arange(n_econ), n_econ * model.network.n_sectors), n_econ)
    flat, lines = (weights * cross).ravel(), cross.ravel()
    total = flat @ group
    table = _table(model, name)
    weighted = np.divide(table * flat @ group, total, out=np.zeros((len(table), n_econ)), where=total > 0)
    simple = (table * lines) @ group / np.maximum(lines @ group, 1.0)
    return 100.0 * np.where(total > 0, weighted, simple).T, total <= 0


def _marked(labels: list[str], simple: np.ndarray) -> list[str]:
    """Labels with ' (no trade: simple mean)' where the line is a simple mean."""
    return [f"{label} (no trade: simple mean)" if s else label for label, s in zip(labels, simple, strict=True)]


def tariffs(model: SupplyChainModel) -> Series:
    """Each importer's applied tariff on its cross-border imports, trade-weighted, in %."""
    weights = model.baseline_trade.transpose(1, 0, 2)  # [importer, exporter, sector]
    rates, simple = _policy_share(model, "tariff", weights)
    return Series(_steps(rates.T), _marked(list(model.network.economies), simple), rates)


def export_controls(model: SupplyChainModel) -> Series:
    """Share of each exporter's cross-border exports blocked or held by export controls, in %."""
    blocked, simple = _policy_share(model, "export_block", model.baseline_trade)  # [exporter, importer, sector]
    return Series(_steps(blocked.T), _marked(list(model.network.economies), simple), blocked)


def consumer_prices(model: SupplyChainModel) -> Series:
    """Consumer price index by economy (1 = calibration year)."""
    prices = _table(model, "consumer_price")
    return Series(_steps(prices), list(model.network.economies), prices.T, reference=1.0)


def producer_prices(model: SupplyChainModel) -> Series:
    """Output price by sector, weighted by each cell's baseline output (1 = calibration year)."""
    rec, net = model.recorder, model.network
    cells = np.arange(net.n_cells)
    group = one_hot(cells % net.n_sectors, net.n_sectors) * rec.cell_output0[:, None]
    total = rec.cell_output0 @ one_hot(cells % net.n_sectors, net.n_sectors)
    prices = _table(model, "price") @ group
    return Series(_steps(prices), list(net.sectors), _ratio(prices, total).T, reference=1.0)


def panels_csv(panels: Panels, start_date: datetime.date | None, days_per_step: float) -> str:
    """The plotted series of a figure as CSV, one row per panel, line and step (with the step's date and the
    panel's unit): what the export button of a figure gives."""
    frames = []
    for data, title, unit in panels:
        steps = np.tile(data.steps, len(data.labels))
        frame = pd.DataFrame({"panel": title, "line": np.repeat(data.labels, len(data.steps)), "step": steps,
                              "value": data.values.ravel(), "unit": unit})
        if start_date is not None:  # the date each step starts on; step 0 is the steady state before the run
            frame.insert(3, "date", [step_date(s, days_per_step, start_date).isoformat() if s else "" for s in steps])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).to_csv(index=False)

