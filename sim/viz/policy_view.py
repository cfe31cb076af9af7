"""The policy in force today, as matrices: each importer's tariff on each exporter, and each exporter's
export controls on each importer, for one sector or over all of them.

For one sector the cells are the rates themselves. Over all sectors, a cell is the average over the
pair's sectors weighted by its baseline trade; a pair that does not trade at all gets the simple mean
of its sectors' rates instead (marked `*`), so a tariff levied on goods that were never bought still
shows as the rate it is, not as 0. The diagonal (domestic sales) is blank: neither tariffs nor export
controls apply there.
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


def matrix_html(values: np.ndarray, untraded: np.ndarray, names: list[str], rows: str, columns: str) -> str:
    """A rate matrix as an HTML table: rows by `rows` (e.g. importer), columns by `columns`, rates in %."""
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for i, row in enumerate(names):
        cells = []
        for j in range(len(names)):
            if i == j:
                cells.append('<td class="sim-diagonal"></td>')
                continue
            text = percent(values[i, j]) + "%" + (UNTRADED if untraded[i, j] else "")
            style = ' class="sim-rate"' if values[i, j] > 0 else ""
            cells.append(f"<td{style}>{text}</td>")
        body.append(f"<tr><th>{html.escape(row)}</th>{''.join(cells)}</tr>")
    corner = f"{html.escape(rows)} \\ {html.escape(columns)}"
    return (f'<table class="sim-matrix"><tr><th>{corner}</th>{head}</tr>{"".join(body)}</table>')


def tariff_matrix(model: SupplyChainModel, sector: int | None) -> str:
    """Today's tariffs: importer (rows) on exporter (columns)."""
    weights = model.baseline_trade.transpose(1, 0, 2)  # [importer, exporter, sector]
    values, untraded = pair_rates(model.policy.tariff, weights, sector)
    return matrix_html(values, untraded, list(model.network.economies), "importer", "exporter")


def control_matrix(model: SupplyChainModel, sector: int | None) -> str:
    """Today's export controls: the share of exporter's (rows) goods to importer (columns) blocked."""
    values, untraded = pair_rates(model.policy.export_block, model.baseline_trade, sector)
    return matrix_html(values, untraded, list(model.network.economies), "exporter", "importer")
