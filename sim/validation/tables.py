"""Random multi-regional input-output tables from fixed seeds, for checks that must hold on many tables.

`random_mrio(regions, sectors, seed)` draws a consistent MRIO (pymrio `IOSystem`): technical
coefficients with lognormal magnitudes, structural zeros (a share of the sector-to-sector pairs
carries no flow in any region pair) and home bias (domestic blocks weigh `home_bias` times an
import block), each column's inputs summing to one minus a value-added share drawn in
[0.35, 0.75]; final demand is lognormal with the same home bias. Gross output is then
`x = (I - A)^-1 Y 1` and `Z = A diag(x)`, so the table balances exactly and value added is
positive. `TABLES` lists the seeded tables the validation runs on, from 3 x 4 to 8 x 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TableSpec:
    """One generated table: its size, seed and shape parameters."""

    regions: int
    sectors: int
    seed: int
    zero_share: float = 0.3  # share of sector pairs with no flow
    home_bias: float = 4.0  # weight of a domestic block against an import block
    sigma: float = 1.0  # lognormal spread of coefficients and final demand

    @property
    def label(self) -> str:
        return f"random {self.regions}x{self.sectors} (seed {self.seed})"


TABLES = (
    TableSpec(3, 4, seed=11),
    TableSpec(4, 6, seed=12, zero_share=0.4),
    TableSpec(5, 5, seed=13, home_bias=8.0),
    TableSpec(6, 8, seed=14, sigma=1.5),
    TableSpec(7, 6, seed=15, zero_share=0.2, home_bias=2.0),
    TableSpec(8, 10, seed=16, zero_share=0.5),
)


def random_mrio(spec: TableSpec) -> Any:
    """The table `spec` describes, as a pymrio IOSystem with A, x and L computed (flows in millions a year)."""
    import pymrio

    rng = np.random.default_rng(spec.seed)
    r, s = spec.regions, spec.sectors
    n = r * s
    sector_pattern = rng.random((s, s)) >= spec.zero_share
    np.fill_diagonal(sector_pattern, True)  # every sector uses some of its own product
    region_weight = np.where(np.eye(r, dtype=bool), spec.home_bias, 1.0)
    raw = rng.lognormal(0.0, spec.sigma, (n, n)) * np.kron(region_weight, sector_pattern)
    value_added = rng.uniform(0.35, 0.75, n)
    a = raw * ((1.0 - value_added) / raw.sum(axis=0))
    final = rng.lognormal(0.0, spec.sigma, (n, r)) * np.kron(np.where(np.eye(r, dtype=bool), spec.home_bias, 1.0),
                                                              np.ones((s, 1)))
    final *= 1e3 / final.sum(axis=1).mean()
    output = np.linalg.solve(np.eye(n) - a, final.sum(axis=1))
    z = a * output[None, :]
    regions = [f"r{i}" for i in range(r)]
    index = pd.MultiIndex.from_product([regions, [f"s{j}" for j in range(s)]], names=["region", "sector"])
    columns = pd.MultiIndex.from_product([regions, ["households"]], names=["region", "category"])
    io_system = pymrio.IOSystem(Z=pd.DataFrame(z, index=index, columns=index),
                                Y=pd.DataFrame(final, index=index, columns=columns), name=spec.label)
    io_system.calc_all()
    return io_system
