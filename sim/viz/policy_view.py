"""The policy in force at the last step, as matrices: each importer's tariff on each exporter, and each
exporter's export controls on each importer, for one sector or over all of them.

The rates are the recorded ones of the last completed step (the calibration year's before the first),
as the charts show them, never the policy tensors a running step is rewriting. For one sector
the cells are the rates themselves. Over all sectors, a cell is the average over the pair's sectors
weighted by its baseline trade; a pair that does not trade at all gets the simple mean of its sectors'
rates instead (marked `*`), so a tariff levied on goods that were never bought still shows as the rate
it is, not as 0. Cells above the calibration year's rate are highlighted. The diagonal (domestic
sales) is blank: neither tariffs nor export controls apply there.
"""

from __future__ import annotations

import html

import numpy as np

from sim.formats import percent
from sim.model import SupplyChainModel

ALL_SECTORS = "all sectors (trade-weighted)"
UNTRADED = "*"


def pair_rates(rates: np.ndarray, weights: np.ndarray, sector: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(rate per pair [a, b], whether it is a simple mean for want of trade) from a tensor [a, b, sector]."""
    if sector is not None:
        return rates[:, :, sector], np.zeros(rates.shape[:2], bool)
    total = weights.sum(axis=2)
    weighted = np.divide((rates * weights).sum(axis=2), total, out=np.zeros_like(total), where=total > 0)
    untraded = total <= 0
    return np.where(untraded, rates.mean(axis=2), weighted), untraded


def matrix_html(values: np.ndarray, untraded: np.ndarray, baseline: np.ndarray, names: list[str], rows: str,
                columns: str) -> str:
    """A rate matrix as an HTML table: rows by `rows` (e.g. importer), columns by `columns`, rates in %, those
    above `baseline` highlighted."""
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for i, row in enumerate(names):
        cells = []
        for j in range(len(names)):
            if i == j:
                cells.append('<td class="sim-diagonal"></td>')
                continue
            text = percent(values[i, j]) + "%" + (UNTRADED if untraded[i, j] else "")
            style = ' class="sim-rate"' if values[i, j] > baseline[i, j] + 1e-9 else ""
            cells.append(f"<td{style}>{text}</td>")
        body.append(f"<tr><th>{html.escape(row)}</th>{''.join(cells)}</tr>")
    corner = f"{html.escape(rows)} \\ {html.escape(columns)}"
    return (f'<table class="sim-matrix"><tr><th>{corner}</th>{head}</tr>{"".join(body)}</table>')


def recorded(model: SupplyChainModel, name: str) -> np.ndarray:
    """The last completed step's tensor `name` ('tariff' [importer, exporter, sector] or 'export_block'
    [exporter, importer, sector]) from the record; the calibration year's before the first step."""
    rows, net = model.recorder.rows[name], model.network
    flat = rows[-1] if rows else model.recorder.steady[name]
    return np.asarray(flat).reshape(net.n_economies, net.n_economies, net.n_sectors)


def tariff_matrix(model: SupplyChainModel, sector: int | None) -> str:
    """The tariffs in force: importer (rows) on exporter (columns)."""
    weights = model.baseline_trade.transpose(1, 0, 2)  # [importer, exporter, sector]
    values, untraded = pair_rates(recorded(model, "tariff"), weights, sector)
    baseline, _ = pair_rates(model.baseline_tariff, weights, sector)
    return matrix_html(values, untraded, baseline, list(model.network.economies), "importer", "exporter")


def control_matrix(model: SupplyChainModel, sector: int | None) -> str:
    """The export controls in force: the share of exporter's (rows) goods to importer (columns) blocked."""
    values, untraded = pair_rates(recorded(model, "export_block"), model.baseline_trade, sector)
    return matrix_html(values, untraded, np.zeros_like(values), list(model.network.economies), "exporter",
                       "importer")
