"""Scenarios from a real multi-regional input-output table held in a `pymrio.IOSystem`.

Regions become economies and sectors become sectors, whatever they are called; Z gives the
intermediate flows and Y, summed over final-demand categories per region, the final demand.
Negative final demand (inventory drawdowns in some categories) is set to zero, since a consumer
cannot sell; the table the model then uses is the one stated in the scenario. A missing (NaN or
infinite) entry in Z or Y is an error naming its cells; so is a negative intermediate flow, unless
`negative_flows="drop"` says to leave such flows out. pymrio is an optional extra:
`pip install 'sim[io]'`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from sim.errors import ScenarioError
from sim.scenario import Scenario
from sim.scenario.flows import FlowTable


def _name(label: Any, taken: set[str]) -> str:
    """A config-safe name from a region or sector label (letters, digits, _ and -)."""
    base = re.sub(r"[^A-Za-z0-9_\-]+", "_", str(label)).strip("_") or "x"
    if not base[0].isalpha():
        base = f"r_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _unit(io_system: Any) -> str:
    """The table's unit as a short string; pymrio holds it as a DataFrame (one row per sector)."""
    unit = getattr(io_system, "unit", None)
    if hasattr(unit, "to_numpy"):
        values = list(dict.fromkeys(str(u) for u in np.ravel(unit.to_numpy())))
        return values[0] if len(values) == 1 else "mixed units: " + ", ".join(values)
    return "unknown" if unit is None else str(unit)


def _cells(mask: np.ndarray, rows: list, cols: list, limit: int = 5) -> str:
    """The first `limit` (row, column) labels where `mask` holds, and how many there are."""
    def label(key: Any) -> str:
        return "/".join(map(str, key)) if isinstance(key, tuple) else str(key)

    i, j = np.nonzero(mask)
    listed = "; ".join(f"{label(rows[a])} -> {label(cols[b])}" for a, b in zip(i[:limit], j[:limit], strict=True))
    return f"{len(i)} cells ({listed}{'; ...' if len(i) > limit else ''})"


def scenario_from_mrio(io_system: Any, *, name: str | None = None, firms_per_cell: int = 1,
                       suppliers_per_buyer: int = 1, units: str | None = None, negative_flows: str = "error",
                       **settings: Any) -> Scenario:
    """A validated scenario from a pymrio IOSystem (needs Z and Y; annual values).

    `settings` are further scenario fields (e.g. engine={...}, time={...}, sectors defaults are
    those of the schema). With one firm per cell and one supplier per buyer the network is the
    table itself, the ARIO-like setting. `negative_flows`: "error" (the default) or "drop".
    """
    if negative_flows not in ("error", "drop"):
        raise ScenarioError(f"bad value {negative_flows!r}; allowed: 'error' or 'drop'", field="negative_flows")
    Z, Y = getattr(io_system, "Z", None), getattr(io_system, "Y", None)
    if Z is None or Y is None:
        raise ScenarioError("the IOSystem needs Z and Y (call io.calc_all() or load a full system)", field="io")
    regions = list(dict.fromkeys(Z.index.get_level_values(0)))
    sectors = list(dict.fromkeys(Z.index.get_level_values(1)))
    taken: set[str] = set()
    region_names = {r: _name(r, taken) for r in regions}
    taken = set()
    sector_names = {s: _name(s, taken) for s in sectors}

    z = Z.to_numpy(dtype=float)
    rows = [(region_names[r], sector_names[s]) for r, s in Z.index]
    cols = [(region_names[r], sector_names[s]) for r, s in Z.columns]
    where = f"<pymrio {name or getattr(io_system, 'name', 'mrio')}>"
    if not np.isfinite(z).all():
        raise ScenarioError(f"missing or infinite flows in {_cells(~np.isfinite(z), list(Z.index), list(Z.columns))}; "
                            "allowed: finite numbers (fill or drop them in the table first)", file=where, field="Z")
    if (z < 0).any() and negative_flows == "error":
        raise ScenarioError(f"negative intermediate flows in {_cells(z < 0, list(Z.index), list(Z.columns))}; "
                            "allowed: flows >= 0, or negative_flows='drop' to leave them out", file=where, field="Z")
    y_table = Y.to_numpy(dtype=float)
    if not np.isfinite(y_table).all():
        raise ScenarioError(f"missing or infinite final demand in "
                            f"{_cells(~np.isfinite(y_table), list(Y.index), list(Y.columns))}; "
                            "allowed: finite numbers", file=where, field="Y")
    y_by_region = Y.T.groupby(level=0, sort=False).sum().T  # rows: (region, sector); cols: region
    y = np.clip(y_by_region.to_numpy(dtype=float), 0.0, None)
    y_regions = [region_names[r] for r in y_by_region.columns]

    economies, sector_list = [region_names[r] for r in regions], [sector_names[s] for s in sectors]
    econ_code = {n: k for k, n in enumerate(economies)}
    sect_code = {n: k for k, n in enumerate(sector_list)}
    row_econ, row_sect = (np.array([code[r[k]] for r in rows]) for k, code in ((0, econ_code), (1, sect_code)))
    col_econ, col_sect = (np.array([code[c[k]] for c in cols]) for k, code in ((0, econ_code), (1, sect_code)))
    i, j = np.nonzero(z > 0)
    intermediate = FlowTable.from_codes(
        "intermediate", {"exporter": row_econ[i], "sector": row_sect[i], "importer": col_econ[j],
                         "buyer_sector": col_sect[j]}, z[i, j], economies, sector_list)
    i, j = np.nonzero(y > 0)
    y_econ = np.array([econ_code[r] for r in y_regions])
    final = FlowTable.from_codes("final_demand", {"exporter": row_econ[i], "sector": row_sect[i],
                                                  "importer": y_econ[j]}, y[i, j], economies, sector_list)
    raw = {
        "name": name or str(getattr(io_system, "name", "mrio")),
        "description": f"from pymrio IOSystem '{getattr(io_system, 'name', '')}'",
        "economies": [{"name": region_names[r], "label": str(r)} for r in regions],
        "sectors": [{"name": sector_names[s], "label": str(s)} for s in sectors],
        "io": {"units": units or _unit(io_system), "intermediate": intermediate,
               "final_demand": final},
        "network": {"firms_per_cell": firms_per_cell, "suppliers_per_buyer": suppliers_per_buyer},
    }
    raw.update(settings)
    return Scenario.from_dict(raw, file=f"<pymrio {raw['name']}>")
