"""Heterogeneous sourcing: each buyer its own origin mix for each input, the table's blocks kept exactly.

For a buyer cell b and an input sector s bought from several origins (the cells of sector s in
different economies), the buyers' purchases form a matrix F[j, k] (buyer j, origin k, as fractions
of the cell's purchases of s) whose row sums are the buyers' size shares q_j and whose column sums
are the cell's origin mix m_k = Z[k, b] / sum_k Z[k, b]. The homogeneous draw is F = q m'. Here:

1. each buyer is a single-origin candidate with probability `single_origin_share` of sector s and
   draws its origin with probability m_k; in random order, a candidate is single-origin if the
   single-origin buyers of its origin then take at most `SINGLE_ORIGIN_ROOM` (90%) of that origin's
   block, else it stays diversified (so a small origin cannot be claimed by one large buyer);
2. every other buyer draws a mix from a Dirichlet with parameters `origin_concentration` x m_k, so
   small origins supply few buyers and the spread around m shrinks as the concentration grows
   (variance m_k (1 - m_k) / (concentration + 1)); origins below `MIN_ORIGIN_SHARE` (1%) of a buyer's
   mix are dropped (each buyer keeps its largest origin, each origin its largest buyer);
3. iterative proportional fitting scales the diversified rows to their shares q_j and to what the
   single-origin buyers leave of each origin's block, to 1e-14. A fit whose error has not halved in
   `STALL_ITERATIONS` (500) iterations is given up as one that cannot converge (a thinned pattern
   that cannot carry both margins), and the pattern with every origin kept is fitted instead, with
   no such rule. A heuristic, checked: on the shipped scenarios converging fits never went more
   than 148 iterations without halving and failing ones stalled for 700 and more; over ~1,400
   builds of the tiny trade war with swept concentrations and single-origin shares the longest
   stall of a converging fit was 256. tests/test_sourcing.py builds the same networks with and
   without the rule.

Each block then gets its buyers' fractions of it as integer quanta (summing to `QUANTA`), which the
coupling of `sim.network.build` turns into links with exact marginals. With one origin or one buyer
nothing is drawn and the block is split by size, as in the homogeneous draw.
"""

from __future__ import annotations

import numpy as np

from sim.errors import ScenarioError
from sim.network.quanta import QUANTA, to_quanta

SINGLE_ORIGIN_ROOM = 0.9
MIN_ORIGIN_SHARE = 0.01
FLOOR = 1e-9  # if fitting the thinned pattern fails, every origin is kept at this floor instead
FIT_TOLERANCE = 1e-14
MAX_FIT_ITERATIONS = 10_000
STALL_ITERATIONS = 500


def origin_matrix(q: np.ndarray, mix: np.ndarray, single_share: float, concentration: float,
                  rng: np.random.Generator) -> np.ndarray:
    """F[j, k] >= 0 with row sums q and column sums mix (both summing to 1), drawn as the module says."""
    n, k = len(q), len(mix)
    candidate = rng.random(n) < single_share
    origin = rng.choice(k, size=n, p=mix)
    order = rng.permutation(n)
    chosen = order[candidate[order]]
    by_origin = chosen[np.argsort(origin[chosen], kind="stable")]  # random order within each origin
    taken = np.cumsum(q[by_origin])
    first = np.searchsorted(origin[by_origin], np.arange(k))  # where each origin's run starts
    before = np.concatenate(([0.0], taken))[first]
    run_origin = origin[by_origin]
    fits = taken - before[run_origin] <= SINGLE_ORIGIN_ROOM * mix[run_origin]
    single = np.zeros(n, dtype=bool)
    single[by_origin[fits]] = True

    f = np.zeros((n, k))
    f[single, origin[single]] = q[single]
    residual = mix - f.sum(axis=0)  # >= (1 - room) * mix > 0
    diversified = ~single  # not empty: single-origin buyers hold at most 90% of the total
    rows = q[diversified]
    draw = np.maximum(rng.dirichlet(concentration * mix, size=len(rows)), FLOOR)
    kept = draw >= MIN_ORIGIN_SHARE
    kept[np.arange(len(rows)), np.argmax(draw, axis=1)] = True
    kept[np.argmax(draw, axis=0), np.arange(k)] = True
    m = _fit(rows[:, None] * np.where(kept, draw, 0.0), rows, residual)
    if m is None:  # the thinned pattern cannot carry both margins: keep every origin (a positive pattern
        m = _fit(rows[:, None] * draw, rows, residual, stall=False)  # converges: no stall rule)
    if m is None:
        raise ScenarioError(f"heterogeneous sourcing could not split a block among {len(rows)} buyers and {k} "
                            f"origins within {MAX_FIT_ITERATIONS} iterations; allowed: a larger origin_concentration "
                            "for the sector, or network.sourcing: homogeneous", field="network.sourcing")
    f[diversified] = m
    return f


def _fit(m: np.ndarray, rows: np.ndarray, columns: np.ndarray, stall: bool = True) -> np.ndarray | None:
    """Iterative proportional fitting of m to row sums `rows` and column sums `columns` (None if it does not
    converge to FIT_TOLERANCE, or, with `stall`, its error stops halving for STALL_ITERATIONS iterations)."""
    column_sums = m.sum(axis=0)
    best, stalled = np.inf, 0
    for _ in range(MAX_FIT_ITERATIONS):
        m *= columns / column_sums
        m *= (rows / m.sum(axis=1))[:, None]
        column_sums = m.sum(axis=0)
        error = np.max(np.abs(column_sums - columns) / columns)
        if error < FIT_TOLERANCE:
            return m
        if error < 0.5 * best:
            best, stalled = error, 0
        else:
            stalled += 1
            if stall and stalled >= STALL_ITERATIONS:
                return None
    return None


def block_buyers(sup_cells: np.ndarray, buy_cells: np.ndarray, values: np.ndarray, buyer_quanta: list[np.ndarray],
                 n_sectors: int, single_share: np.ndarray, concentration: np.ndarray,
                 rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each intermediate block, (local buyer indices, their quanta of the block) under heterogeneous sourcing.

    `buyer_quanta[i]` are the size quanta of block i's buyer cell; `single_share` and `concentration` are per
    input sector. Blocks are grouped by (buyer cell, input sector); each group's origin matrix is drawn once.
    """
    out: list[tuple[np.ndarray, np.ndarray]] = [None] * len(values)  # type: ignore[list-item]
    if not len(values):
        return out
    group_key = buy_cells * n_sectors + sup_cells % n_sectors
    order = np.argsort(group_key, kind="stable")  # each group's blocks in table order, groups by key
    keys, first = np.unique(group_key[order], return_index=True)
    for g, blocks in enumerate(np.split(order, first[1:])):
        quanta = buyer_quanta[blocks[0]]
        if len(blocks) == 1 or len(quanta) == 1:
            for i in blocks:
                out[i] = (np.arange(len(quanta)), quanta)
            continue
        sector = int(keys[g] % n_sectors)
        mix = values[blocks] / values[blocks].sum()
        f = origin_matrix(quanta / QUANTA, mix, float(single_share[sector]), float(concentration[sector]), rng)
        for column, i in enumerate(blocks):
            buyers = np.flatnonzero(f[:, column] > 0)
            out[i] = (buyers, to_quanta(f[buyers, column]))
    return out
