"""Synthetic scenarios of any size, for benchmarks and scale tests.

`synthetic_scenario` makes a raw scenario dict with a sparse input-output table (lognormal values,
gross output from the Leontief inverse so value added is half of output everywhere), final demand
to each cell's home economy and one or two export markets, an active tariff and a capacity shock,
sized to about `firms * links_per_firm` links. Validate it with `Scenario.from_dict`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.errors import ScenarioError

INPUT_SHARE = 0.5  # each cell's inputs are this share of its output


def economy_name(e: int) -> str:
    return f"E{e:02d}"


def sector_name(s: int) -> str:
    return f"S{s:02d}"


def synthetic_scenario(
    firms: int,
    links_per_firm: float,
    n_economies: int,
    n_sectors: int,
    seed: int,
    steps: int,
    suppliers_per_buyer: int = 1,
) -> dict[str, Any]:
    """A raw scenario dict (validate with `Scenario.from_dict`) sized to ~`firms * links_per_firm` links.

    The coupling of one block (supplier cell i -> buyer cell j) makes about
    `suppliers_per_buyer * (n_i + n_j)` links, and each firm also sells to its cell's final-demand
    markets (home plus one or two export markets, 2.5 on average). So with n firms per cell each
    buyer cell buys from k supplier cells, k = (links_per_firm - 2.5) / (2 * suppliers_per_buyer)
    on average (rounded up or down at random per cell). Input coefficients a_ij (lognormal, each
    column summing to INPUT_SHARE) and final demand y (lognormal) give gross output by Leontief,
    x = (I - A)^-1 y, and flows Z_ij = a_ij x_j, so every cell's inputs are half its output.
    """
    if n_economies < 2 or n_sectors < 2:
        raise ScenarioError("need at least 2 economies and 2 sectors (the tariff is E01.S01 -> E00)")
    rng = np.random.default_rng(seed)
    n_cells = n_economies * n_sectors
    per_cell, extra = divmod(firms, n_cells)
    if per_cell < 1:
        raise ScenarioError(f"{firms} firms is fewer than one firm per cell ({n_cells} cells)", field="--firms")

    def cell(e: int, s: int) -> int:
        return e * n_sectors + s

    def cell_name(c: int) -> str:
        return f"{economy_name(c // n_sectors)}.{sector_name(c % n_sectors)}"

    # final demand: each cell sells to its own economy and to one or two export markets
    final_demand = []
    y = np.zeros(n_cells)
    markets_total = 0
    for c in range(n_cells):
        home = c // n_sectors
        others = [e for e in range(n_economies) if e != home]
        n_export = min(len(others), int(rng.integers(1, 3)))
        exports = [int(e) for e in rng.choice(others, n_export, replace=False)]
        if c == cell(1, 1) and 0 not in exports:  # the tariffed line also reaches consumers in E00
            exports[0] = 0
        for importer in [home, *exports]:
            value = float(rng.lognormal(np.log(1000.0), 1.0))
            final_demand.append(
                {
                    "exporter": economy_name(home),
                    "sector": sector_name(c % n_sectors),
                    "importer": economy_name(importer),
                    "value": value,
                }
            )
            y[c] += value
        markets_total += 1 + n_export
    markets_per_cell = markets_total / n_cells

    # sparse technical coefficients: buyer cell j buys from k_j supplier cells
    mean_k = max(1.0, (links_per_firm - markets_per_cell) / (2.0 * suppliers_per_buyer))
    base_k, frac_k = int(mean_k), mean_k - int(mean_k)
    a = np.zeros((n_cells, n_cells))
    for j in range(n_cells):
        k = min(n_cells, base_k + int(rng.random() < frac_k))
        suppliers = rng.choice(n_cells, k, replace=False)
        if j == cell(0, 2) and cell(1, 1) not in suppliers:  # E00 firms import the tariffed input
            suppliers[0] = cell(1, 1)
        weights = rng.lognormal(0.0, 1.0, k)
        a[suppliers, j] = INPUT_SHARE * weights / weights.sum()
    x = np.linalg.solve(np.eye(n_cells) - a, y)
    z = a * x[None, :]
    intermediate = [
        {
            "exporter": economy_name(i // n_sectors),
            "sector": sector_name(i % n_sectors),
            "importer": economy_name(j // n_sectors),
            "buyer_sector": sector_name(j % n_sectors),
            "value": float(z[i, j]),
        }
        for i, j in zip(*np.nonzero(z), strict=True)
    ]

    sectors = [
        {
            "name": sector_name(s),
            "inventory_days": float(rng.choice([10, 15, 20, 30, 45])),
            "armington_sigma": float(rng.choice([2.0, 3.0, 4.0, 6.0])),
            "essential": s % 4 != 3,
        }
        for s in range(n_sectors)
    ]
    return {
        "name": f"synthetic_{firms}f_{links_per_firm:g}lpf",
        "description": "synthetic benchmark scenario (sim.synthetic): sparse IO table, lognormal values",
        "seed": seed,
        "time": {"steps_per_year": 365, "steps": steps},
        "economies": [{"name": economy_name(e)} for e in range(n_economies)],
        "sectors": sectors,
        "io": {"units": "USD_m_per_year", "intermediate": intermediate, "final_demand": final_demand},
        "network": {
            "firms_per_cell": per_cell,
            # spread the remainder so the firm count is exactly --firms
            "cells": {cell_name(c): per_cell + 1 for c in range(extra)},
            "suppliers_per_buyer": suppliers_per_buyer,
        },
        "lead_times": {"domestic_days": 2, "international_days": 20},
        "tariffs": {
            "applied": [
                {
                    "importer": economy_name(0),
                    "exporters": [economy_name(1)],
                    "sectors": [sector_name(1)],
                    "rate": 0.25,
                    "start_day": 0,
                }
            ]
        },
        "capacity_shocks": [
            {
                "cells": [cell_name(cell(min(2, n_economies - 1), min(3, n_sectors - 1)))],
                "share": 0.3,
                "start_day": 10,
                "duration_days": 30,
                "recovery_days": 30,
            }
        ],
    }
