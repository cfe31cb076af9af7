"""The built supply network: firms, final-demand nodes and supplier links as arrays.

Nodes 0..n_firms-1 are firms (plants); nodes n_firms..n_firms+n_economies-1 are the final demand
(consumers) of each economy. A link carries the supplier's product to a buyer node at a baseline
flow per step and a lead time in steps. Links are kept in canonical order (by buyer, then the
supplier's sector, then supplier), so one buyer's purchases of one input sector are contiguous:
that group is an input *slot* of the engine. The networkx view is built on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np


@dataclass
class SupplyNetwork:
    """Struct-of-arrays supply graph; flows are per step at baseline prices (price 1)."""

    economies: list[str]
    sectors: list[str]
    firm_cell: np.ndarray  # int32 [firms], cell = economy * n_sectors + sector
    firm_owner: np.ndarray  # int16 [firms], -1 = locally owned, else index into multinationals
    link_supplier: np.ndarray  # int32 [links], a firm
    link_buyer: np.ndarray  # int32 [links], a firm or n_firms + economy (final demand)
    link_flow: np.ndarray  # float64 [links], baseline flow per step
    link_lead_steps: np.ndarray  # int32 [links], >= 1
    multinationals: list[str] = field(default_factory=list)
    multinational_home: list[str] = field(default_factory=list)
    name: str = "network"

    def __post_init__(self) -> None:
        self._sort_links()

    # -- sizes --------------------------------------------------------------------------------
    @property
    def n_firms(self) -> int:
        return len(self.firm_cell)

    @property
    def n_links(self) -> int:
        return len(self.link_supplier)

    @property
    def n_economies(self) -> int:
        return len(self.economies)

    @property
    def n_sectors(self) -> int:
        return len(self.sectors)

    @property
    def n_cells(self) -> int:
        return self.n_economies * self.n_sectors

    # -- per-firm and per-link attributes -----------------------------------------------------
    @property
    def firm_economy(self) -> np.ndarray:
        return self.firm_cell // self.n_sectors

    @property
    def firm_sector(self) -> np.ndarray:
        return self.firm_cell % self.n_sectors

    @property
    def firm_output(self) -> np.ndarray:
        """Baseline output per step: the sum of each firm's sales (links and final demand)."""
        return np.bincount(self.link_supplier, self.link_flow, self.n_firms)

    @property
    def link_is_final(self) -> np.ndarray:
        return self.link_buyer >= self.n_firms

    @property
    def link_buyer_economy(self) -> np.ndarray:
        """Economy of the buyer: the firm's economy, or the consuming economy for final demand."""
        final = self.link_is_final
        firm_buyer = np.where(final, 0, self.link_buyer)
        return np.where(final, self.link_buyer - self.n_firms, self.firm_economy[firm_buyer])

    @property
    def link_buyer_sector(self) -> np.ndarray:
        """Sector of the buying firm; -1 for final demand."""
        final = self.link_is_final
        return np.where(final, -1, self.firm_sector[np.where(final, 0, self.link_buyer)])

    def cell_output(self) -> np.ndarray:
        """Baseline output per (economy, sector) cell per step."""
        return np.bincount(self.firm_cell, self.firm_output, self.n_cells)

    def cell_name(self, cell: int) -> str:
        return f"{self.economies[cell // self.n_sectors]}.{self.sectors[cell % self.n_sectors]}"

    # -- canonical order ----------------------------------------------------------------------
    def _sort_links(self) -> None:
        sector = self.firm_sector[self.link_supplier]
        order = np.lexsort((self.link_supplier, sector, self.link_buyer))
        if np.any(order != np.arange(len(order))):
            for name in ("link_supplier", "link_buyer", "link_flow", "link_lead_steps"):
                setattr(self, name, getattr(self, name)[order])

    # -- networkx view ------------------------------------------------------------------------
    def to_networkx(self) -> nx.DiGraph:
        """A DiGraph with int nodes (firms, then final demand) and attributes for inspection/export."""
        graph = nx.DiGraph(name=self.name)
        output = self.firm_output
        economy, sector = self.firm_economy, self.firm_sector
        owners = ["" if o < 0 else self.multinationals[o] for o in self.firm_owner]
        graph.add_nodes_from(
            (
                int(f),
                {
                    "kind": "firm",
                    "economy": self.economies[economy[f]],
                    "sector": self.sectors[sector[f]],
                    "output": float(output[f]),
                    "owner": owners[f],
                },
            )
            for f in range(self.n_firms)
        )
        graph.add_nodes_from(
            (self.n_firms + e, {"kind": "final_demand", "economy": name, "sector": "", "output": 0.0, "owner": ""})
            for e, name in enumerate(self.economies)
        )
        graph.add_edges_from(
            (int(u), int(v), {"flow": float(q), "lead_steps": int(lt)})
            for u, v, q, lt in zip(
                self.link_supplier, self.link_buyer, self.link_flow, self.link_lead_steps, strict=True
            )
        )
        return graph
