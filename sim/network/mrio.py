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
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import ScenarioError
from sim.log import warn_once
from sim.scenario import Scenario
from sim.scenario.flows import FlowTable
from sim.scenario.names import lookup


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
    y_by_region = _final_demand_by_region(Z, Y, where)  # rows: Z's (region, sector); cols: region
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


def _final_demand_by_region(Z: Any, Y: Any, file: str | None) -> Any:
    """Y summed over the final-demand categories of each region, its rows in Z's order; rows or regions that
    Z does not have are an error naming them."""
    extra = Y.index.difference(Z.index)
    missing = Z.index.difference(Y.index)
    if len(extra) or len(missing):
        what = f"rows {list(extra[:3])} not in Z" if len(extra) else f"Z's rows {list(missing[:3])} missing"
        raise ScenarioError(f"Y's rows are not Z's ({what}); allowed: one row of Y per row of Z", file=file,
                            field="Y")
    by_region = Y.T.groupby(level=0, sort=False).sum().T.reindex(Z.index)
    regions = set(Z.index.get_level_values(0))
    strange = [r for r in by_region.columns if r not in regions]
    if strange:
        raise ScenarioError(f"final demand of region {strange[0]!r}, which Z does not have; allowed: Z's regions",
                            file=file, field="Y")
    return by_region


def _labels_to_names(labels: list, mapping: dict[str, str], what: str, file: str | None) -> list[str]:
    """The scenario name of each table label: by `mapping` ('*' for every label it does not name), or the
    label made config-safe when there is no mapping; an unmapped label is an error naming it."""
    if not mapping:
        taken: set[str] = set()
        return [_name(label, taken) for label in labels]
    unknown = sorted(set(mapping) - {str(label) for label in labels} - {"*"})
    if unknown:
        raise ScenarioError(f"{what} {unknown[0]!r} is not in the table; allowed: its {what}s "
                            f"({', '.join(map(str, labels[:8]))}{', ...' if len(labels) > 8 else ''})", file=file,
                            field=f"io.mrio.{what}s.{unknown[0]}")
    names = []
    for label in labels:
        name = mapping.get(str(label), mapping.get("*"))
        if name is None:
            raise ScenarioError(f"{what} {label!r} of the table is not mapped; allowed: map every {what}, or give "
                                f"'*' for the rest (e.g. '*': ROW)", file=file, field=f"io.mrio.{what}s")
        names.append(name)
    return names


def read_mrio(source: dict, economies: list[str] | None, sectors: list[str] | None, file: str | None) -> dict:
    """`io.mrio` of a scenario file read into its io tables: the pymrio folder (or zip) at `source['path']`
    (saved with `IOSystem.save_all`), its regions and sectors mapped onto the scenario's names and summed
    (`regions`, `sectors`: table label -> name, '*' for the rest; trade inside an aggregate becomes its
    domestic trade). Returns the raw `io` tables as FlowTables and, where the file does not declare them,
    the economies and sectors in the order they first appear."""
    from sim.extras import require

    require("io", "io.mrio")
    import pymrio

    path = Path(source["path"])
    if not path.exists():
        raise ScenarioError(f"no pymrio table at {path}; allowed: a folder or zip saved with IOSystem.save_all",
                            file=file, field="io.mrio.path")
    try:
        io_system = pymrio.load_all(path)
    except Exception as exc:  # pymrio raises several kinds on a folder it cannot read
        raise ScenarioError(f"pymrio cannot read {path}: {exc}", file=file, field="io.mrio.path") from None
    Z, Y = getattr(io_system, "Z", None), getattr(io_system, "Y", None)
    if Z is None or Y is None:
        raise ScenarioError(f"the table at {path} has no Z or Y; allowed: a full IOSystem", file=file,
                            field="io.mrio.path")
    region_labels = list(dict.fromkeys(Z.index.get_level_values(0)))
    sector_labels = list(dict.fromkeys(Z.index.get_level_values(1)))
    region_names = _labels_to_names(region_labels, source.get("regions") or {}, "region", file)
    sector_names = _labels_to_names(sector_labels, source.get("sectors") or {}, "sector", file)
    econ_out = economies or list(dict.fromkeys(region_names))
    sect_out = sectors or list(dict.fromkeys(sector_names))
    for names, declared, what in ((region_names, econ_out, "economy"), (sector_names, sect_out, "sector")):
        for name in dict.fromkeys(names):
            lookup(name, declared, what, f"io.mrio.{'regions' if what == 'economy' else 'sectors'}", file)
    region_code = dict(zip(region_labels, (econ_out.index(n) for n in region_names), strict=True))
    sector_code = dict(zip(sector_labels, (sect_out.index(n) for n in sector_names), strict=True))
    n_sec = len(sect_out)
    row_cell = np.array([region_code[r] * n_sec + sector_code[k] for r, k in Z.index])
    col_cell = np.array([region_code[r] * n_sec + sector_code[k] for r, k in Z.columns])
    z = Z.to_numpy(dtype=float)
    for values, frame, name in ((z, Z, "Z"), (Y.to_numpy(dtype=float), Y, "Y")):
        if not np.isfinite(values).all():
            raise ScenarioError(f"missing or infinite entries in {name} of {path}: "
                                f"{_cells(~np.isfinite(values), list(frame.index), list(frame.columns))}; allowed: "
                                "finite numbers", file=file, field="io.mrio.path")
    y_frame = _final_demand_by_region(Z, Y, file)
    y_regions = np.array([region_code[r] for r in y_frame.columns])
    n_cells = len(econ_out) * n_sec
    z_out = np.zeros((n_cells, n_cells))
    np.add.at(z_out, (row_cell[:, None], col_cell[None, :]), z)
    y_out = np.zeros((n_cells, len(econ_out)))
    np.add.at(y_out, (row_cell[:, None], y_regions[None, :]), y_frame.to_numpy(dtype=float))
    if (y_out < 0).any():  # net final demand below zero after summing (inventory drawdowns): a consumer cannot sell
        warn_once(f"{file or path}: io.mrio: negative final demand of {-y_out[y_out < 0].sum():.4g} "
                  f"{_unit(io_system)} in {int((y_out < 0).sum())} (cell, economy) pairs set to zero")
        y_out = np.clip(y_out, 0.0, None)
    i, j = np.nonzero(z_out)  # negative flows stay: io.negative_flows decides
    intermediate = FlowTable.from_codes("intermediate", {"exporter": i // n_sec, "sector": i % n_sec,
                                                         "importer": j // n_sec, "buyer_sector": j % n_sec},
                                        z_out[i, j], econ_out, sect_out)
    i, j = np.nonzero(y_out > 0)
    final = FlowTable.from_codes("final_demand", {"exporter": i // n_sec, "sector": i % n_sec, "importer": j},
                                 y_out[i, j], econ_out, sect_out)
    return {"intermediate": intermediate, "final_demand": final, "economies": econ_out, "sectors": sect_out,
            "units": _unit(io_system)}
