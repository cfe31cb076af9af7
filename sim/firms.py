"""Firm-level outcomes: how each firm fared, who was single-origin, which suppliers were qualified.

The recorder keeps, per firm, its lowest output level (output / its baseline output, at its worst
step) and its cumulative loss in days of its own baseline output (gains count negative): the
baseline is the calibrated steady state, which the no-policy run reproduces. It also keeps each link
whose buyer qualified its supplier for more than the baseline volume, with the day.
`firm_table` joins these with what the network says of each firm: economy, sector, owner, and
whether it is *single-origin*, i.e. buys some input from one economy only although its cell buys
that input from several. `firm_summary` gives the distribution (quantiles of the worst loss, the
shares of firms losing more than 10% and 50% at their worst, by cell) and single-origin against
diversified firms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.network.graph import SupplyNetwork

QUANTILES = (0.5, 0.9, 0.99)
THRESHOLDS = (10.0, 50.0)  # worst-point output losses, % of own baseline output
WORST_CELLS = 10  # cells listed in the summary (all are in the firm table)


def single_origin(network: SupplyNetwork) -> np.ndarray:
    """[firms] True where a firm buys an input from one economy while its cell buys it from several."""
    firm_links = ~network.link_is_final
    buyer = network.link_buyer[firm_links].astype(np.int64)
    supplier = network.link_supplier[firm_links]
    n_sec, n_econ = network.n_sectors, network.n_economies
    sector, origin = network.firm_sector[supplier].astype(np.int64), network.firm_economy[supplier].astype(np.int64)
    slot = buyer * n_sec + sector
    slot_origins = np.unique(slot * n_econ + origin) // n_econ
    firm_slot, origins = np.unique(slot_origins, return_counts=True)
    cell_slot = network.firm_cell[firm_slot // n_sec].astype(np.int64) * n_sec + firm_slot % n_sec
    cell_pairs = np.unique(network.firm_cell[buyer].astype(np.int64) * n_sec * n_econ + sector * n_econ + origin)
    cell_key, cell_origins = np.unique(cell_pairs // n_econ, return_counts=True)
    choice = cell_origins[np.searchsorted(cell_key, cell_slot)] > 1
    single = np.zeros(network.n_firms, dtype=bool)
    single[(firm_slot // n_sec)[choice & (origins == 1)]] = True
    return single


def firm_table(network: SupplyNetwork, worst_level: np.ndarray, loss_days: np.ndarray,
               single: np.ndarray | None = None) -> pd.DataFrame:
    """One row per firm: where it is, who owns it, whether it is single-origin (`single`, computed from the
    network when not given), and how it fared."""
    owners = np.array([*network.multinationals, ""], dtype=object)
    return pd.DataFrame({
        "firm": np.arange(network.n_firms),
        "economy": pd.Categorical.from_codes(network.firm_economy, network.economies),
        "sector": pd.Categorical.from_codes(network.firm_sector, network.sectors),
        "owner": owners[network.firm_owner],
        "single_origin": single_origin(network) if single is None else single,
        "baseline_output": network.firm_output,
        "worst_loss_pct": 100.0 * (1.0 - worst_level),
        "loss_days": loss_days,
    })


def qualified_table(network: SupplyNetwork, steps: list[int], links: list[np.ndarray], days_per_step: float
                    ) -> pd.DataFrame:
    """One row per link whose buyer qualified its supplier for more volume: day, origin, destination, sector."""
    link = np.concatenate(links) if links else np.zeros(0, dtype=np.int64)
    step = np.repeat(np.asarray(steps, dtype=np.int64), [len(x) for x in links]) if links else link
    supplier, buyer = network.link_supplier[link], network.link_buyer[link]
    return pd.DataFrame({
        "day": (step + 1) * days_per_step,
        "exporter": pd.Categorical.from_codes(network.firm_economy[supplier], network.economies),
        "importer": pd.Categorical.from_codes(network.link_buyer_economy[link], network.economies),
        "sector": pd.Categorical.from_codes(network.firm_sector[supplier], network.sectors),
        "supplier": supplier, "buyer": buyer,
    })


def _fared(table: pd.DataFrame) -> dict:
    worst = table["worst_loss_pct"]
    return {"firms": len(table),
            **{f"share_losing_over_{t:g}pct": float((worst > t).mean()) if len(table) else None for t in THRESHOLDS},
            "mean_worst_loss_pct": float(worst.mean()) if len(table) else None,
            "mean_loss_days": float(table["loss_days"].mean()) if len(table) else None}


def by_cell(table: pd.DataFrame) -> pd.DataFrame:
    """Per cell: firms, shares losing more than each threshold at their worst, and the worst and mean losses."""
    worst = table["worst_loss_pct"]
    flags = {f"share_losing_over_{t:g}pct": (worst > t).astype(float) for t in THRESHOLDS}
    frame = table.assign(**flags)
    grouped = frame.groupby(["economy", "sector"], observed=True)
    cells = grouped.agg(firms=("firm", "size"), **{k: (k, "mean") for k in flags},
                        worst_loss_pct=("worst_loss_pct", "max"), mean_loss_days=("loss_days", "mean"))
    return cells.reset_index().sort_values([f"share_losing_over_{THRESHOLDS[0]:g}pct", "worst_loss_pct"],
                                           ascending=False, ignore_index=True)


def firm_summary(table: pd.DataFrame, qualified: pd.DataFrame) -> dict:
    """The distribution of firm outcomes, single-origin against diversified firms, and qualified suppliers."""
    worst = table["worst_loss_pct"]
    cells = by_cell(table).head(WORST_CELLS)
    cells = cells.assign(cell=cells["economy"].astype(str) + "." + cells["sector"].astype(str))
    return {
        "worst_loss_pct_quantiles": {f"p{round(100 * q)}": float(worst.quantile(q)) for q in QUANTILES}
                                    | {"max": float(worst.max())},
        "all": _fared(table),
        "single_origin": _fared(table[table["single_origin"]]),
        "diversified": _fared(table[~table["single_origin"]]),
        "worst_cells": cells.drop(columns=["economy", "sector"]).to_dict("records"),
        "qualified_suppliers": {"links": len(qualified),
                                "by_exporter": qualified["exporter"].value_counts().loc[lambda c: c > 0].to_dict()},
    }
