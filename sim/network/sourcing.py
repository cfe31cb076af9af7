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
3. iterative proportional fitting (a compiled kernel that adds up as numpy's sums do) scales the
   diversified rows to their shares q_j and to what the single-origin buyers leave of each origin's
   block, to 1e-14. A fit whose error has not halved in
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

from sim.engine.jit import kernel
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
    """Iterative proportional fitting of m (in place) to row sums `rows` and column sums `columns` (None if it
    does not converge to FIT_TOLERANCE, or, with `stall`, its error stops halving for STALL_ITERATIONS
    iterations)."""
    converged = fit_margins(m, rows, columns, STALL_ITERATIONS if stall else 0, MAX_FIT_ITERATIONS, FIT_TOLERANCE)
    return m if converged else None


@kernel
def block_sum(a, start, n):
    """The sum of a[start:start + n], n <= 128, as numpy adds such a block: one by one under 8, else eight
    partial sums over the multiples of eight, combined pairwise, then the rest."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += a[i]
        return total
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    while i < n - n % 8:
        at = start + i
        r0 += a[at]
        r1 += a[at + 1]
        r2 += a[at + 2]
        r3 += a[at + 3]
        r4 += a[at + 4]
        r5 += a[at + 5]
        r6 += a[at + 6]
        r7 += a[at + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(start + i, start + n):
        total += a[j]
    return total


@kernel
def pairwise_sum(a, start, n):
    """The sum of a[start:start + n] added as numpy adds a contiguous row: blocks of up to 128 (`block_sum`),
    longer runs split in two at half rounded down to a multiple of 8 and the halves' sums added. The split
    tree is walked with a stack (numba's cache cannot hold a function that calls itself)."""
    if n <= 128:
        return block_sum(a, start, n)
    lo, size = np.empty(64, np.int64), np.empty(64, np.int64)  # 64 levels: far more than any array needs
    left, stage = np.empty(64), np.zeros(64, np.int8)  # stage 1: its left half is being summed; 2: its right
    top = 0
    lo[0], size[0] = start, n
    while True:
        if size[top] > 128:  # split: sum the left half first
            half = size[top] // 2
            half -= half % 8
            stage[top] = 1
            lo[top + 1], size[top + 1] = lo[top], half
            top += 1
            continue
        value = block_sum(a, lo[top], size[top])
        while True:  # hand the value up: a left half waits for its right, a right half completes its node
            top -= 1
            if stage[top] == 1:
                left[top], stage[top] = value, 2
                half = size[top] // 2
                half -= half % 8
                lo[top + 1], size[top + 1] = lo[top] + half, size[top] - half
                top += 1
                break
            value = left[top] + value
            if top == 0:
                return value


@kernel
def fit_margins(m, rows, columns, stall_iterations, max_iterations, tolerance):
    """Scale m's columns to `columns`, then its rows to `rows`, until every column sum is within `tolerance`
    (relative) of its target: True then; False after `max_iterations`, or once the largest relative error
    has not halved for `stall_iterations` in a row (0: no such rule). Column sums are added row by row and
    row sums pairwise, as `m.sum(axis=0)` and `m.sum(axis=1)` add them."""
    n, k = m.shape
    sums = np.zeros(k)
    for i in range(n):
        for j in range(k):
            sums[j] += m[i, j]
    ratio = np.empty(k)
    best, stalled = np.inf, 0
    for _ in range(max_iterations):
        for j in range(k):
            ratio[j] = columns[j] / sums[j]
        for i in range(n):
            for j in range(k):
                m[i, j] *= ratio[j]
        for i in range(n):
            factor = rows[i] / pairwise_sum(m[i], 0, k)
            for j in range(k):
                m[i, j] *= factor
        sums[:] = 0.0
        for i in range(n):
            for j in range(k):
                sums[j] += m[i, j]
        error = -np.inf
        for j in range(k):
            e = abs(sums[j] - columns[j]) / columns[j]
            if e != e:  # NaN: as np.max, the error is NaN, which neither converges nor halves
                error = e
                break
            error = max(error, e)
        if error < tolerance:
            return True
        if error < 0.5 * best:
            best, stalled = error, 0
        else:
            stalled += 1
            if stall_iterations > 0 and stalled >= stall_iterations:
                return False
    return False


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
