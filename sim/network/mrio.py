"""Scenarios from a real multi-regional input-output table held in a `pymrio.IOSystem`.

`mrio_tables` turns Z and Y into a scenario's io tables: regions and sectors mapped onto the scenario's
names (or each label as itself) and summed, Y summed over each region's final-demand categories with
its rows matched to Z's, and net final demand still below zero (inventory drawdowns) set to zero with
a warning, since a consumer cannot sell. A missing (NaN or infinite) entry is an error naming its
cells; negative flows are left to `io.negative_flows` (an error naming them, or dropped). Two ways in:
`scenario_from_mrio(io_system)` from Python, one economy per region, and `read_mrio`, what a scenario
file's `io.mrio` (a folder saved with `IOSystem.save_all`) reads. pymrio is an optional extra:
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
    """A validated scenario from a pymrio IOSystem (needs Z and Y; annual values), one economy per region and
    one sector per sector (labels made config-safe; `io.mrio` in a scenario file maps and sums them).

    `settings` are further scenario fields (e.g. engine={...}, time={...}, sectors defaults are
    those of the schema). With one firm per cell and one supplier per buyer the network is the
    table itself, the ARIO-like setting. `negative_flows`: "error" (the default) or "drop"
    (`io.negative_flows`).
    """
    if negative_flows not in ("error", "drop"):
        raise ScenarioError(f"bad value {negative_flows!r}; allowed: 'error' or 'drop'", field="negative_flows")
    name = name or str(getattr(io_system, "name", "mrio"))
    where = f"<pymrio {name}>"
    z = getattr(io_system, "Z", None)
    if z is not None and negative_flows == "error" and (z.to_numpy(dtype=float) < 0).any():
        cells = _cells(z.to_numpy(dtype=float) < 0, list(z.index), list(z.columns))
        raise ScenarioError(f"negative intermediate flows in {cells}; allowed: flows >= 0, or negative_flows='drop' "
                            "to leave them out", file=where, field="Z")
    tables = mrio_tables(io_system, {}, {}, None, None, where, None)
    raw = {
        "name": name,
        "description": f"from pymrio IOSystem '{getattr(io_system, 'name', '')}'",
        "economies": [{"name": n, "label": str(label)} for n, label in zip(tables["economies"],
                                                                           tables["region_labels"], strict=True)],
        "sectors": [{"name": n, "label": str(label)} for n, label in zip(tables["sectors"],
                                                                         tables["sector_labels"], strict=True)],
        "io": {"units": units or tables["units"], "intermediate": tables["intermediate"],
               "final_demand": tables["final_demand"], "negative_flows": negative_flows},
        "network": {"firms_per_cell": firms_per_cell, "suppliers_per_buyer": suppliers_per_buyer},
    }
    raw.update(settings)
    return Scenario.from_dict(raw, file=where)


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
    return mrio_tables(io_system, source.get("regions") or {}, source.get("sectors") or {}, economies, sectors,
                       file, "io.mrio")


def mrio_tables(io_system: Any, regions: dict[str, str], sectors: dict[str, str], economies: list[str] | None,
                sector_names: list[str] | None, file: str | None, field: str | None) -> dict:
    """An IOSystem's Z and Y as the io tables of a scenario over `economies` and `sector_names` (default: the
    mapped names in the order they first appear): labels mapped by `regions` and `sectors` (none: each label
    as itself, made config-safe) and summed; Y summed over each region's categories, its rows matched to Z's,
    and what is still negative after summing set to zero with a warning. Negative flows stay in the table
    (`io.negative_flows` decides). Errors name `field` (None: the frame, Z or Y; mappings: `io`)."""
    Z, Y = getattr(io_system, "Z", None), getattr(io_system, "Y", None)
    if Z is None or Y is None:
        raise ScenarioError("the IOSystem needs Z and Y (call io.calc_all() or load a full system)", file=file,
                            field=field or "io")
    region_labels = list(dict.fromkeys(Z.index.get_level_values(0)))
    sector_labels = list(dict.fromkeys(Z.index.get_level_values(1)))
    region_names = _labels_to_names(region_labels, regions, "region", file)
    mapped_sectors = _labels_to_names(sector_labels, sectors, "sector", file)
    econ_out = economies or list(dict.fromkeys(region_names))
    sect_out = sector_names or list(dict.fromkeys(mapped_sectors))
    for names, declared, what in ((region_names, econ_out, "economy"), (mapped_sectors, sect_out, "sector")):
        for name in dict.fromkeys(names):
            lookup(name, declared, what, f"{field or 'io'}.{'regions' if what == 'economy' else 'sectors'}", file)
    region_code = dict(zip(region_labels, (econ_out.index(n) for n in region_names), strict=True))
    sector_code = dict(zip(sector_labels, (sect_out.index(n) for n in mapped_sectors), strict=True))
    n_sec = len(sect_out)
    row_cell = np.array([region_code[r] * n_sec + sector_code[k] for r, k in Z.index])
    col_cell = np.array([region_code[r] * n_sec + sector_code[k] for r, k in Z.columns])
    z = Z.to_numpy(dtype=float)
    for values, frame, name, what in ((z, Z, "Z", "flows"), (Y.to_numpy(dtype=float), Y, "Y", "final demand")):
        if not np.isfinite(values).all():
            raise ScenarioError(f"missing or infinite {what} in "
                                f"{_cells(~np.isfinite(values), list(frame.index), list(frame.columns))}; allowed: "
                                "finite numbers (fill or drop them in the table first)", file=file,
                                field=field or name)
    y_frame = _final_demand_by_region(Z, Y, file)
    y_regions = np.array([region_code[r] for r in y_frame.columns])
    n_cells = len(econ_out) * n_sec
    n_econ = len(econ_out)
    z_out = np.bincount((row_cell[:, None] * n_cells + col_cell[None, :]).ravel(), z.ravel(),
                        n_cells * n_cells).reshape(n_cells, n_cells)  # summed in table order
    y_out = np.bincount((row_cell[:, None] * n_econ + y_regions[None, :]).ravel(),
                        y_frame.to_numpy(dtype=float).ravel(), n_cells * n_econ).reshape(n_cells, n_econ)
    if (y_out < 0).any():  # net final demand below zero after summing (inventory drawdowns): a consumer cannot sell
        warn_once(f"{file}: negative final demand of {-y_out[y_out < 0].sum():.4g} {_unit(io_system)} in "
                  f"{int((y_out < 0).sum())} (cell, economy) pairs set to zero")
        y_out = np.clip(y_out, 0.0, None)
    i, j = np.nonzero(z_out)  # negative flows stay: io.negative_flows decides
    intermediate = FlowTable.from_codes("intermediate", {"exporter": i // n_sec, "sector": i % n_sec,
                                                         "importer": j // n_sec, "buyer_sector": j % n_sec},
                                        z_out[i, j], econ_out, sect_out)
    i, j = np.nonzero(y_out > 0)
    final = FlowTable.from_codes("final_demand", {"exporter": i // n_sec, "sector": i % n_sec, "importer": j},
                                 y_out[i, j], econ_out, sect_out)
    return {"intermediate": intermediate, "final_demand": final, "economies": econ_out, "sectors": sect_out,
            "units": _unit(io_system), "region_labels": region_labels, "sector_labels": sector_labels}
