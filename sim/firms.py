"""Firm-level outcomes: how each firm fared, who was single-origin, which suppliers were qualified, which links
supplier search formed and dropped.

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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.network.graph import SupplyNetwork

QUANTILES = (0.5, 0.9, 0.99)
THRESHOLDS = (10.0, 50.0)  # worst-point output losses, % of own baseline output
WORST_CELLS = 10  # cells listed in the summary (all are in the firm table)


@dataclass(frozen=True, eq=False)
class FirmRecord:
    """What a run recorded of its firms, as the recorder held it when the results were taken (copies: the
    recorder goes on adding to its own if the model steps on); `sim.results.Results` turns it into the firm,
    qualified-supplier and link tables when they are first read."""

    network: SupplyNetwork
    worst_level: np.ndarray
    loss_days: np.ndarray
    qualified_steps: list[int]
    qualified_links: list[np.ndarray]
    link_changes: list
    days_per_step: float

    @classmethod
    def of(cls, recorder) -> FirmRecord:
        """The record of `recorder` (a `sim.recorder.Recorder`) so far."""
        return cls(recorder.network, recorder.firm_worst_level.copy(), recorder.firm_loss_days.copy(),
                   list(recorder.qualified_steps), list(recorder.qualified_links), list(recorder.link_changes),
                   recorder.days_per_step)

    def firms(self) -> pd.DataFrame:
        return firm_table(self.network, self.worst_level, self.loss_days)

    def qualified(self) -> pd.DataFrame:
        return qualified_table(self.network, self.qualified_steps, self.qualified_links, self.days_per_step)

    def links(self) -> pd.DataFrame:
        return link_table(self.network, self.link_changes, self.days_per_step)


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


def link_table(network: SupplyNetwork, changes: list, days_per_step: float) -> pd.DataFrame:
    """One row per supplier-search event (`sim.engine.search.EVENTS`: a link formed, entered after qualifying,
    abandoned, dropped): the day of the search, the event, the link (`new_link`: its id among formed links, or
    -1; `build_link`: its index in the network for a link of the build, or -1), supplier, buyer, route, the
    volume a formed link was offered (per day, at baseline prices) and the day its qualification ends."""
    n_econ, n_sec = network.n_economies, network.n_sectors
    columns: dict[str, list] = {k: [] for k in ("day", "event", "new_link", "build_link", "supplier", "buyer",
                                                "route", "volume", "ready")}
    for c in changes:
        for event, arrays in c.events.items():
            n = len(arrays["supplier"])
            columns["day"].append(np.full(n, c.step * days_per_step))
            columns["event"].append(np.full(n, event, dtype=object))
            for name in ("new_link", "build_link", "supplier", "buyer", "route", "volume", "ready"):
                columns[name].append(np.asarray(arrays[name]))
    flat = {k: np.concatenate(v) if v else np.zeros(0, dtype=object if k == "event" else np.int64)
            for k, v in columns.items()}
    route, volume, ready = flat["route"].astype(np.int64), flat["volume"].astype(float), flat["ready"]
    return pd.DataFrame({
        "day": flat["day"].astype(float), "event": flat["event"], "new_link": flat["new_link"].astype(np.int64),
        "build_link": flat["build_link"].astype(np.int64), "supplier": flat["supplier"].astype(np.int64),
        "buyer": flat["buyer"].astype(np.int64),
        "exporter": pd.Categorical.from_codes((route // n_sec) % n_econ, network.economies),
        "importer": pd.Categorical.from_codes(route // (n_sec * n_econ), network.economies),
        "sector": pd.Categorical.from_codes(route % n_sec, network.sectors),
        "volume_per_day": np.where(volume >= 0, volume / days_per_step, np.nan),
        "qualified_day": np.where(ready >= 0, ready * days_per_step, np.nan),
    })


def link_summary(links: pd.DataFrame) -> dict:
    """Supplier search in numbers: new links formed (by origin and by route), how many entered and were
    abandoned, the first day, and links dropped (of the build and new ones)."""
    events = links["event"]
    formed, dropped = links[events == "formed"], links[events == "dropped"]

    def counts(column: pd.Series) -> dict:
        return {str(k): int(v) for k, v in column.value_counts().items() if v > 0}

    return {
        "formed": len(formed),
        "entered": int((events == "entered").sum()),
        "abandoned": int((events == "abandoned").sum()),
        "first_day": float(formed["day"].min()) if len(formed) else None,
        "by_exporter": counts(formed["exporter"]),
        "by_day": {f"{day:g}": int(n) for day, n in formed.groupby("day").size().items()},
        "by_route": counts(formed["importer"].astype(str) + " <- " + formed["exporter"].astype(str) + " "
                           + formed["sector"].astype(str)) if len(formed) else {},
        "dropped": {"build_links": int((dropped["build_link"] >= 0).sum()),
                    "new_links": int((dropped["new_link"] >= 0).sum())},
    }


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


def firm_summary(table: pd.DataFrame, qualified: pd.DataFrame, links: pd.DataFrame | None = None) -> dict:
    """The distribution of firm outcomes, single-origin against diversified firms, qualified suppliers and
    (with `links`) the links supplier search formed and dropped."""
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
    } | ({} if links is None else {"new_links": link_summary(links)})
