"""The network picture: an aggregated country x sector view for large networks, the firm graph for small ones.

Everything that does not change from step to step is computed once per model and kept (`view_for`):
node positions (economies on a circle, each economy's sectors on a small ring around it, its final
demand at the centre; firms spread on a spiral inside their cell), which links make up each drawn
edge, and which edges are worth drawing. A redraw then only sums this step's flows per edge with one
`bincount`, looks up tariffs and output losses, and redraws only the nodes (sized by output,
coloured by disruption) and edges (width by flow, coloured by tariff) over the cached frame, with
the sector names of the economy the reader inspects beside its ring and the inspected firm ringed.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from sim.model import SupplyChainModel
from sim.viz.memo import memo, once
from sim.viz.raster import FIGURE_DPI, FIGURE_SIZE, BlitFigure

FIRM_VIEW_LIMIT = 300  # networks with at most this many firms are drawn firm by firm
MAX_EDGES = 250  # the aggregated view draws the largest edges by baseline flow
DISRUPTION_CMAP = mpl.colormaps["RdYlGn_r"]
TARIFF_CMAP = mpl.colormaps["plasma"]
TARIFF_MAX = 0.6  # tariff rate at the top of the colour scale
# output lost, as a share, on a square-root-like scale so that losses of 1-3% are visible beside 90%
LOSS_NORM = mpl.colors.PowerNorm(gamma=0.4, vmin=0.0, vmax=1.0)
LOSS_TICKS = (0.0, 0.01, 0.05, 0.2, 0.5, 1.0)
ECONOMY_RADIUS, CELL_RADIUS = 1.0, 0.28


@dataclass
class NetworkView:
    """Fixed geometry of the drawing: node positions, the link -> edge map and the edges' endpoints."""

    aggregated: bool
    positions: np.ndarray  # [nodes, 2]
    is_final: np.ndarray  # [nodes] final-demand node
    link_edge: np.ndarray  # [links] index of the drawn edge, -1 if not drawn
    edge_src: np.ndarray  # [edges] node
    edge_dst: np.ndarray  # [edges] node
    edge_flow0: np.ndarray  # [edges] baseline flow per step
    edge_tariff_index: np.ndarray  # [edges] index into the flattened tariff tensor [importer, exporter, sector]
    node_output0: np.ndarray  # [nodes] baseline output per step (0 for final demand)
    economy_centres: np.ndarray  # [economies, 2]
    cell_positions: np.ndarray  # [cells, 2] the ring place of each (economy, sector) cell, in either view
    unit_of_firm: np.ndarray  # [firms] node of each firm (its cell when aggregated)
    edge_keys: np.ndarray  # [all edges, sorted] source node x nodes + destination node, drawn or not
    edge_number: np.ndarray  # [all edges] index of the drawn edge, -1 if not drawn

    def link_edges(self, model: SupplyChainModel) -> np.ndarray:
        """[links] the drawn edge of each of the engine's links now, -1 if none: the build's links by the fixed
        map, links formed by supplier search by their endpoints (not drawn if the build had no such edge)."""
        st = model.engine.structure
        n_built = len(self.link_edge)
        if st.n_links == n_built:
            return self.link_edge
        n_nodes = len(self.positions)
        new = slice(n_built, st.n_links)  # firm-to-firm links, after the build's
        key = self.unit_of_firm[st.supplier[new]] * n_nodes + self.unit_of_firm[st.buyer[new]]
        at = np.minimum(np.searchsorted(self.edge_keys, key), len(self.edge_keys) - 1)
        edge = np.where(self.edge_keys[at] == key, self.edge_number[at], -1)
        return np.concatenate((self.link_edge, edge))


def _economy_centres(n_econ: int) -> np.ndarray:
    """Economies evenly on a circle, the first at the top."""
    angle = np.pi / 2 - 2 * np.pi * np.arange(n_econ) / n_econ
    return ECONOMY_RADIUS * np.column_stack((np.cos(angle), np.sin(angle)))


def _cell_positions(centres: np.ndarray, n_sec: int) -> np.ndarray:
    """Each economy's sectors on a ring around its centre, small enough that rings do not overlap."""
    n_econ = len(centres)
    radius = CELL_RADIUS if n_econ < 3 else min(CELL_RADIUS, 0.85 * ECONOMY_RADIUS * np.sin(np.pi / n_econ))
    angle = np.pi / 2 - 2 * np.pi * np.arange(n_sec) / n_sec
    ring = radius * np.column_stack((np.cos(angle), np.sin(angle)))
    return (centres[:, None, :] + ring[None, :, :]).reshape(-1, 2)


def build_view(model: SupplyChainModel) -> NetworkView:
    """The fixed geometry for `model`'s network (aggregated above `FIRM_VIEW_LIMIT` firms)."""
    net, st = model.network, model.engine.structure
    n_econ, n_sec, n_cells, n_firms = net.n_economies, net.n_sectors, net.n_cells, net.n_firms
    centres = _economy_centres(n_econ)
    cells = _cell_positions(centres, n_sec)
    aggregated = n_firms > FIRM_VIEW_LIMIT
    final = net.link_is_final
    supplier = net.link_supplier.astype(np.intp)
    buyer = net.link_buyer.astype(np.intp)
    if aggregated:
        n_units = n_cells
        unit_of_firm = net.firm_cell.astype(np.intp)
        positions = cells
        output0 = np.bincount(unit_of_firm, st.output0, n_cells)
    else:
        n_units = n_firms
        unit_of_firm = np.arange(n_firms)
        rank = np.zeros(n_firms, dtype=np.intp)
        order = np.argsort(net.firm_cell, kind="stable")
        starts = np.searchsorted(net.firm_cell[order], net.firm_cell[order])
        rank[order] = np.arange(n_firms) - starts
        size = np.bincount(net.firm_cell, minlength=n_cells)[net.firm_cell]
        radius = 0.09 * np.sqrt((rank + 0.5) / np.maximum(size, 1))
        angle = rank * 2.39996  # golden angle: an even spiral inside the cell
        positions = cells[net.firm_cell] + radius[:, None] * np.column_stack((np.cos(angle), np.sin(angle)))
        output0 = st.output0.astype(float)
    positions = np.vstack((positions, centres))
    n_nodes = n_units + n_econ
    src = unit_of_firm[supplier]
    dst = np.where(final, n_units + (buyer - n_firms), unit_of_firm[np.minimum(buyer, n_firms - 1)])
    keys, link_edge = np.unique(src * n_nodes + dst, return_inverse=True)
    flow0 = np.bincount(link_edge, st.flow0[: st.n_base_links], len(keys))
    e_src, e_dst = keys // n_nodes, keys % n_nodes
    keep = e_src != e_dst
    if aggregated:
        limit = np.sort(flow0[keep])[-min(MAX_EDGES, int(keep.sum()))] if keep.any() else np.inf
        keep &= flow0 >= limit
    kept = np.flatnonzero(keep)
    renumber = np.full(len(keys), -1)
    renumber[kept] = np.arange(len(kept))
    src_firm_cell = (e_src[kept] if aggregated else net.firm_cell[e_src[kept]])
    dst_node = e_dst[kept]
    dst_economy = np.where(dst_node >= n_units, dst_node - n_units,
                           (dst_node if aggregated else net.firm_cell[np.minimum(dst_node, n_firms - 1)]) // n_sec)
    tariff_index = (dst_economy * n_econ + src_firm_cell // n_sec) * n_sec + src_firm_cell % n_sec
    return NetworkView(aggregated, positions, np.arange(n_nodes) >= n_units, renumber[link_edge], e_src[kept],
                       dst_node, flow0[kept], tariff_index.astype(np.intp), np.append(output0, np.zeros(n_econ)),
                       centres, cells, unit_of_firm, keys, renumber)


def view_for(model: SupplyChainModel) -> NetworkView:
    """The model's fixed geometry, computed on first use and kept for the model's lifetime."""
    return once(model, "network_view", lambda: build_view(model))


def current_state(model: SupplyChainModel, view: NetworkView) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """This step's node output, node disruption (share lost), edge flow and edge tariff rate."""
    flows = model.last_flows
    st = model.engine.structure
    n_nodes = len(view.positions)
    n_units = n_nodes - len(view.economy_centres)
    firm_output = st.output0 if flows is None else flows.output
    if view.aggregated:
        unit_output = np.bincount(model.network.firm_cell, firm_output, n_units)
    else:
        unit_output = np.asarray(firm_output, dtype=float)
    output = np.append(unit_output, np.zeros(n_nodes - n_units))
    base = view.node_output0
    lost = np.clip(1.0 - np.divide(output, base, out=np.ones_like(output), where=base > 0), 0.0, 1.0)
    arrived = st.flow0 if flows is None else flows.arrived
    link_edge = view.link_edges(model)
    drawn = link_edge >= 0
    edge_flow = np.bincount(link_edge[drawn], arrived[drawn], len(view.edge_src))
    edge_tariff = model.policy.tariff.ravel()[view.edge_tariff_index]
    return output, lost, edge_flow, edge_tariff


class NetworkPicture:
    """The network figure of one model: the frame drawn once, nodes and edges restyled after every step."""

    def __init__(self, model: SupplyChainModel):
        self.view = view = view_for(model)
        figure = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI)
        self.blit = BlitFigure(figure)
        ax = figure.add_axes((0.0, 0.0, 0.84, 0.89))
        ax.set_axis_off()
        ax.set_aspect("equal")
        pos = view.positions
        self.flow_scale = max(float(view.edge_flow0.max()) if len(view.edge_flow0) else 1.0, 1e-12)
        self.size_scale = max(float(view.node_output0.max()), 1e-12)
        self.edges = self.blit.animate(LineCollection(np.stack((pos[view.edge_src], pos[view.edge_dst]), axis=1),
                                                      alpha=0.55, zorder=1))
        ax.add_collection(self.edges)
        self.units = ~view.is_final
        self.nodes = self.blit.animate(ax.scatter(pos[self.units, 0], pos[self.units, 1], s=10.0,
                                                  edgecolors="#333333", linewidths=0.4, zorder=2))
        self.blit.animate(ax.scatter(pos[view.is_final, 0], pos[view.is_final, 1], s=40, marker="s", c="#9e9e9e",
                                     zorder=2))
        for name, (x, y) in zip(model.network.economies, view.economy_centres, strict=True):
            # drawn over the nodes (animated after them), on a light box, so no node hides a country's name
            self.blit.animate(ax.annotate(name, (x, y), xytext=(0, 16), textcoords="offset points", ha="center",
                                          fontsize=9, fontweight="bold", zorder=4,
                                          bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                                "alpha": 0.75}))
        # the sector names of the economy the reader inspects, beside its ring; the firm inspected, ringed
        self.sector_labels = []
        ring_centres = np.repeat(view.economy_centres, model.network.n_sectors, axis=0)
        for k, (x, y) in enumerate(view.cell_positions):
            dx, dy = x - ring_centres[k, 0], y - ring_centres[k, 1]
            label = ax.annotate(model.network.sectors[k % model.network.n_sectors], (x, y),
                                xytext=(10 * np.sign(dx) if abs(dx) > 1e-9 else 0, 8 * np.sign(dy)),
                                textcoords="offset points", fontsize=6.5, zorder=5,
                                ha="left" if dx > 1e-9 else "right" if dx < -1e-9 else "center",
                                va="bottom" if dy >= 0 else "top", visible=False,
                                bbox={"boxstyle": "round,pad=0.1", "fc": "#fff8e1", "ec": "none", "alpha": 0.85})
            self.sector_labels.append(self.blit.animate(label))
        self.marker = self.blit.animate(ax.scatter([0.0], [0.0], s=160, facecolors="none", edgecolors="#1565c0",
                                                   linewidths=1.6, zorder=6, visible=False))
        ax.set_xlim(-1.45, 1.45)
        ax.set_ylim(-1.45, 1.45)
        kind = "country x sector cells" if view.aggregated else "firms"
        figure.suptitle(f"Network ({kind}): size = output, colour = output lost\ncircles grouped by economy, "
                        "grey squares: final demand; edges: width = flow, colour = tariff", fontsize=7.5)
        self.caption = self.blit.animate(figure.text(0.01, 0.01, "", fontsize=8, color="#444444"))
        lost_bar = figure.colorbar(mpl.cm.ScalarMappable(LOSS_NORM, DISRUPTION_CMAP),
                                   cax=figure.add_axes((0.87, 0.52, 0.03, 0.36)), ticks=LOSS_TICKS)
        tariff_bar = figure.colorbar(mpl.cm.ScalarMappable(mpl.colors.Normalize(0, TARIFF_MAX), TARIFF_CMAP),
                                     cax=figure.add_axes((0.87, 0.08, 0.03, 0.36)))
        for bar, label in ((lost_bar, "output lost, %"), (tariff_bar, "tariff, %")):
            bar.set_label(label, fontsize=8)
            bar.ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{100 * v:g}"))
            bar.ax.tick_params(labelsize=7)

    def update(self, model: SupplyChainModel, economy: int | None = None, firm: int | None = None) -> bytes:
        """Restyle nodes and edges for the state after the last step, label the sectors of `economy` and ring
        `firm` (firm view) if given; returns the PNG."""
        n_sec = model.network.n_sectors
        for k, label in enumerate(self.sector_labels):
            label.set_visible(economy is not None and k // n_sec == economy)
        self.marker.set_visible(firm is not None and not self.view.aggregated)
        if firm is not None and not self.view.aggregated:
            self.marker.set_offsets(self.view.positions[[firm]])
        output, lost, edge_flow, edge_tariff = current_state(model, self.view)
        self.edges.set_linewidths(0.3 + 4.0 * np.sqrt(edge_flow / self.flow_scale))
        self.edges.set_colors(TARIFF_CMAP(np.clip(edge_tariff / TARIFF_MAX, 0, 1)))
        weight = 600.0 if self.view.aggregated else 160.0
        self.nodes.set_sizes(12.0 + weight * np.sqrt(output[self.units] / self.size_scale))
        self.nodes.set_facecolors(DISRUPTION_CMAP(LOSS_NORM(lost[self.units])))
        self.caption.set_text(f"after step {model.engine.state.step} (day {model.day:g})")
        return self.blit.png()


def network_png(model: SupplyChainModel, economy: int | None = None, firm: int | None = None) -> bytes:
    """PNG of the model's network after the last step, with the sectors of `economy` labelled and `firm` ringed
    (drawn once per step and choice, cached in between)."""
    key = (model.engine.state.step, economy, firm)
    entry = memo(model).get("network_picture")
    if entry is not None and entry[1] == key:
        return entry[2]
    picture = entry[0] if entry is not None else NetworkPicture(model)
    png = picture.update(model, economy, firm)
    memo(model)["network_picture"] = (picture, key, png)
    return png
