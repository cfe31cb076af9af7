"""Build a firm-level supply network from a scenario's input-output table, as an exact steady state.

Each cell (economy, sector) with output gets `n` firms with Pareto-distributed sizes. For every
block of the table (supplier cell -> buyer cell, or supplier cell -> an economy's final demand)
the block's flow is split over firm pairs by a *coupling*: suppliers and buyers are laid out in a
random order on [0, 1], each taking an interval as long as its size share; every overlap of a
supplier's and a buyer's interval becomes a link carrying that overlap of the block's flow.
Each supplier's sales and each buyer's purchases in the block therefore add up to its share of
the block exactly, and large firms get many partners. `suppliers_per_buyer` such couplings are
averaged, which keeps the marginals and gives each buyer several suppliers per block. Which buyer
takes how much of a block is its size share (`network.sourcing: homogeneous`) or its own origin mix
(`heterogeneous`, `sim.network.sourcing`). Shares are held as integers (quanta of 2**-50) so the
marginals are exact, not merely close.
"""

from __future__ import annotations

import ctypes

import numpy as np

from sim.network.graph import SupplyNetwork
from sim.network.quanta import QUANTA, QUANTA_BITS  # noqa: F401  (QUANTA_BITS: part of this module's API)
from sim.network.sourcing import block_buyers
from sim.scenario import Scenario


def firm_shares(counts: np.ndarray, tail_index: float, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed (Pareto) size shares of the firms of each cell, in integer quanta per cell.

    `counts[c]` firms in cell c, in cell order; each cell's shares add up to exactly QUANTA.
    """
    n_firms = int(counts.sum())
    sizes = rng.pareto(tail_index, n_firms) + 1.0
    cells = np.repeat(np.arange(len(counts)), counts)
    totals = np.bincount(cells, sizes, len(counts))
    quanta = np.maximum(np.floor(sizes / totals[cells] * QUANTA).astype(np.int64), 1)
    # give each cell's rounding remainder to its largest firm, so every cell sums to QUANTA exactly
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    remainder = QUANTA - np.bincount(cells, quanta, len(counts)).astype(np.int64)
    for cell in np.flatnonzero(counts):
        lo, hi = starts[cell], starts[cell] + counts[cell]
        quanta[lo + np.argmax(quanta[lo:hi])] += remainder[cell]
    return quanta


def coupling(
    supplier_quanta: np.ndarray, buyer_quanta: np.ndarray, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (supplier, buyer) and their weights, with exact marginals.

    Both quanta vectors sum to QUANTA. Returns local indices and weights (fractions of the block)
    such that the weights of each supplier sum to its share and those of each buyer to its share.
    """
    n_sup, n_buy = len(supplier_quanta), len(buyer_quanta)
    keys, amounts = [], []
    for _ in range(draws):
        sup_order = rng.permutation(n_sup)
        buy_order = rng.permutation(n_buy)
        sup_ends = np.cumsum(supplier_quanta[sup_order])
        buy_ends = np.cumsum(buyer_quanta[buy_order])
        points = np.union1d(sup_ends, buy_ends)
        lengths = np.diff(points, prepend=0)
        sup = sup_order[np.searchsorted(sup_ends, points)]
        buy = buy_order[np.searchsorted(buy_ends, points)]
        keys.append(sup.astype(np.int64) * n_buy + buy)
        amounts.append(lengths)
    key = np.concatenate(keys)
    amount = np.concatenate(amounts)
    unique, inverse = np.unique(key, return_inverse=True)
    total = np.zeros(len(unique), dtype=np.int64)
    np.add.at(total, inverse, amount)
    weight = total / float(draws * QUANTA)
    return unique // n_buy, unique % n_buy, weight


def star_coupling(
    supplier_quanta: np.ndarray, buyer_quanta: np.ndarray, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`coupling`, without its interval arithmetic where one side is a single firm: that firm is linked to
    every firm of the other side by its share, whatever the order drawn. The permutations are still drawn
    (so `rng` moves on exactly as `coupling` moves it) and the weights computed as it computes them; a side
    with an empty share is left to `coupling`, whose draw decides whether it gets an empty link."""
    n_sup, n_buy = len(supplier_quanta), len(buyer_quanta)
    if (n_sup > 1 and n_buy > 1) or not (supplier_quanta.all() and buyer_quanta.all()):
        return coupling(supplier_quanta, buyer_quanta, draws, rng)
    for _ in range(draws):
        rng.permutation(n_sup)
        rng.permutation(n_buy)
    amount = buyer_quanta if n_sup == 1 else supplier_quanta
    others = np.arange(len(amount))
    weight = (amount.astype(np.int64) * draws) / float(draws * QUANTA)
    return (np.zeros(n_buy, dtype=np.int64), others, weight) if n_sup == 1 else \
        (others, np.zeros(n_sup, dtype=np.int64), weight)


def lead_steps(scenario: Scenario) -> np.ndarray:
    """Lead time in steps (>= 1) for each (exporter, importer) pair of economies."""
    names = scenario.economy_names
    days = np.array([[scenario.lead_times.days(e, i) for i in names] for e in names])
    return np.maximum(1, np.rint(scenario.steps(days))).astype(np.int32)


def assign_owners(
    scenario: Scenario, firm_cell: np.ndarray, quanta: np.ndarray, starts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Multinational ownership: each plant spec takes firms of its cell, in random order, up to its share."""
    owner = np.full(len(firm_cell), -1, dtype=np.int16)
    counts = np.bincount(firm_cell, minlength=len(starts))
    for m, multinational in enumerate(scenario.multinationals):
        for plant in multinational.plants:
            cell = scenario.cell_index(plant.cell)
            lo, hi = starts[cell], starts[cell] + counts[cell]
            firms = lo + rng.permutation(hi - lo)
            firms = firms[owner[firms] < 0]
            taken = np.cumsum(quanta[firms]) / QUANTA
            n_take = int(np.searchsorted(taken, plant.share - 1e-12)) + 1
            owner[firms[:n_take]] = m
    return owner


def _ranks(n: np.ndarray) -> np.ndarray:
    """0, 1, ..., n[0]-1, 0, 1, ..., n[1]-1, ...: each item's position within its run."""
    n = np.asarray(n, dtype=np.int64)
    return np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)


def intermediate_links(scenario: Scenario, sup_cells: np.ndarray, buy_cells: np.ndarray, values: np.ndarray,
                       counts: np.ndarray, starts: np.ndarray, quanta: np.ndarray,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(supplier, buyer, flow) of every firm-to-firm link, block by block in the table's order.

    A block between two one-firm cells is one link carrying the whole block, and its coupling draws no
    random numbers (permutations of one), so those blocks are laid out in array passes; the others are
    coupled one by one, drawing from `rng` in the same order as if every block were.
    """
    single = (counts[sup_cells] == 1) & (counts[buy_cells] == 1)
    coupled = np.flatnonzero(~single)
    draws = scenario.network.suppliers_per_buyer
    cell_quanta = [quanta[starts[c] : starts[c] + counts[c]] for c in range(len(counts))]
    if scenario.network.sourcing == "heterogeneous":
        # blocks whose buyer cell has one firm draw nothing here either: only the others are passed
        drawn = np.flatnonzero(counts[buy_cells] > 1)
        sectors = scenario.sectors
        drawn_mixes = block_buyers(sup_cells[drawn], buy_cells[drawn], values[drawn],
                                   [cell_quanta[c] for c in buy_cells[drawn]], len(sectors),
                                   np.array([s.single_origin_share for s in sectors]),
                                   np.array([s.origin_concentration for s in sectors]), rng)
        mixes = dict(zip(drawn.tolist(), drawn_mixes, strict=True))
    else:  # every buyer of a cell buys each block in proportion to its size
        mixes = {}
    parts = []
    for i in coupled.tolist():
        sup_cell, buy_cell = sup_cells[i], buy_cells[i]
        local, buyer_quanta = mixes.get(i) or (np.arange(counts[buy_cell]), cell_quanta[buy_cell])
        s_idx, b_idx, weight = star_coupling(cell_quanta[sup_cell], buyer_quanta, draws, rng)
        parts.append((starts[sup_cell] + s_idx, starts[buy_cell] + local[b_idx], weight * values[i]))
    sizes = np.ones(len(values), dtype=np.int64)
    sizes[coupled] = [len(part[0]) for part in parts]
    offsets = np.cumsum(sizes) - sizes
    supplier, buyer, flow = (np.empty(int(sizes.sum()), dtype=t) for t in (np.int64, np.int64, float))
    at = offsets[single]
    supplier[at], buyer[at], flow[at] = starts[sup_cells[single]], starts[buy_cells[single]], values[single]
    for i, (s_part, b_part, f_part) in zip(coupled.tolist(), parts, strict=True):
        span = slice(offsets[i], offsets[i] + len(s_part))
        supplier[span], buyer[span], flow[span] = s_part, b_part, f_part
    return supplier, buyer, flow


def build_network(scenario: Scenario, rng: np.random.Generator | int | None = None) -> SupplyNetwork:
    """Firms, links and final demand for `scenario`, seeded by `rng` (default: the scenario's seed).

    >>> from sim import load_scenario
    >>> net = build_network(load_scenario("tiny"), rng=1)
    >>> np.allclose(net.cell_output(), load_scenario("tiny").gross_output())
    True
    """
    rng = np.random.default_rng(scenario.seed if rng is None else rng)
    counts = scenario.firms_in_cell()
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    firm_cell = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    n_firms = len(firm_cell)
    quanta = firm_shares(counts, scenario.network.size_tail_index, rng)
    owner = assign_owners(scenario, firm_cell, quanta, starts, rng)

    sup_cells, buy_cells, values, fd_cells, fd_importers, fd_values = scenario.io_blocks()
    link_supplier, link_buyer, link_flow = intermediate_links(scenario, sup_cells, buy_cells, values, counts, starts,
                                                              quanta, rng)
    # final demand: each firm of the cell sells its size share of the block to the economy's consumers
    fd_n = counts[fd_cells]
    block = np.repeat(np.arange(len(fd_cells)), fd_n)
    firm = starts[fd_cells][block] + _ranks(fd_n)
    link_supplier = np.concatenate((link_supplier, firm)).astype(np.int32)
    link_buyer = np.concatenate((link_buyer, n_firms + fd_importers[block])).astype(np.int32)
    link_flow = np.concatenate((link_flow, quanta[firm] / QUANTA * fd_values[block]))
    n_sectors = len(scenario.sectors)
    buyer_econ = np.where(
        link_buyer >= n_firms, link_buyer - n_firms, firm_cell[np.minimum(link_buyer, n_firms - 1)] // n_sectors
    )
    leads = lead_steps(scenario)[firm_cell[link_supplier] // n_sectors, buyer_econ]
    network = SupplyNetwork(
        economies=scenario.economy_names,
        sectors=scenario.sector_names,
        firm_cell=firm_cell,
        firm_owner=owner,
        link_supplier=link_supplier,
        link_buyer=link_buyer,
        link_flow=link_flow,
        link_lead_steps=leads.astype(np.int32),
        multinationals=[m.name for m in scenario.multinationals],
        multinational_home=[m.home for m in scenario.multinationals],
        name=scenario.name,
    )
    trim_heap()
    return network


def trim_heap() -> None:
    """Give the heap's free pages back to the system (glibc's `malloc_trim`; elsewhere nothing).

    A build frees many medium-sized arrays (per-block couplings and fits), which glibc keeps in the
    process: about 1 GB at 28 M links, out of reach of the big arrays the model allocates next.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None  # glibc's malloc_trim once looked up, False where there is none
