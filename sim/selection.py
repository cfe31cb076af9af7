"""Which columns of the recorded tables a series sums: selections of trade groups and cells.

Deliveries and duties are recorded by trade group (exporter, importer, sector, use; `groups` is the
mapping of those four code arrays that `Results.groups` and `Recorder.groups` give), output and prices
by cell (economy x sector, economy-major). Every series that headline indicators, sweep outputs,
results tables and the browser view report is a sum over a selection made here: `deliveries` picks
trade groups, `cells` picks cells, `by_code` sums the picked columns per code, and `one_hot` gives
the matrix that does the same sum as one product (for redraws on long records).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

USES = ("intermediate", "final")  # the use code of a trade group: 0 bought by firms, 1 by final demand


def members(selection: Sequence[str] | str, names: Sequence[str]) -> np.ndarray:
    """Indices of the names a selection picks: '*' for all, else a list of names."""
    return np.arange(len(names)) if selection == "*" else np.array([list(names).index(n) for n in selection], int)


def deliveries(groups: Mapping[str, np.ndarray], *, exporters: np.ndarray | None = None,
               importers: np.ndarray | None = None, sectors: np.ndarray | None = None, use: str | None = None,
               cross_border: bool = False) -> np.ndarray:
    """[groups] mask of the trade groups from `exporters` to `importers` in `sectors` (index arrays; None: all),
    of one use ('intermediate' or 'final'; None: both), only between two economies if `cross_border`."""
    mask = np.ones(len(groups["sector"]), dtype=bool)
    for key, chosen in (("exporter", exporters), ("importer", importers), ("sector", sectors)):
        if chosen is not None:
            mask &= np.isin(groups[key], chosen)
    if use is not None:
        mask &= groups["use"] == USES.index(use)
    if cross_border:
        mask &= groups["exporter"] != groups["importer"]
    return mask


def cells(n_sectors: int, economies: np.ndarray, sectors: np.ndarray) -> np.ndarray:
    """Cell indices of every (economy, sector) pair chosen, economy-major."""
    return (economies[:, None] * n_sectors + sectors[None, :]).ravel()


def by_code(values: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """[rows, n]: the columns of `values` [rows, columns] summed by their code (0..n-1) in `codes`."""
    out = np.zeros((len(values), n))
    for code in range(n):
        out[:, code] = values[:, codes == code].sum(axis=1)
    return out


def one_hot(codes: np.ndarray, n: int) -> np.ndarray:
    """[len(codes), n] matrix M with values @ M = the columns of `values` summed by code, as one product."""
    matrix = np.zeros((len(codes), n))
    matrix[np.arange(len(codes)), codes] = 1.0
    return matrix
