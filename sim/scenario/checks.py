"""Cross-field checks of a scenario: what the schema alone cannot see, each failure a `ScenarioError`.

`resolve_dates` turns every dated block's calendar dates into days from day 0. `check_consistency` then
walks every config block of the scenario (`blocks`): names are checked by their annotated types
(sim.scenario.names), dated windows are checked, and blocks that
declare `own_and_partners` are kept off the economy's own trade, so a new block gets these checks without
being listed here. Then come the checks of one block or a few: the IO table is a valid table, firm
counts and shocks point at cells with output, multinationals move capacity between their own plants,
tariff entries that start together do not contradict each other, one retaliation rule per economy.
"""

from __future__ import annotations

import datetime
import functools
import typing
from collections.abc import Collection, Iterator
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim.errors import ScenarioError
from sim.log import warn_once
from sim.scenario.names import lookup, name_fields
from sim.scenario.schema import Dated, Scenario


def blocks(model: BaseModel, where: str = "", checked: Collection[int] = ()) -> Iterator[tuple[str, BaseModel]]:
    """Every config block under `model` (itself first), depth first in field order, with its dotted path;
    a block whose id is in `checked` is left out with everything under it."""
    if id(model) in checked:
        return
    yield where, model
    for name in nested_fields(type(model)):
        value = getattr(model, name)
        path = f"{where}.{name}" if where else name
        if isinstance(value, BaseModel):
            yield from blocks(value, path, checked)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from blocks(item, f"{path}[{i}]", checked)


@functools.cache
def nested_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of `model` whose type can hold config blocks (a block, or a list or union of them)."""
    return tuple(name for name, info in model.model_fields.items() if _holds_blocks(info.annotation))


def _holds_blocks(annotation: Any) -> bool:
    if annotation is Any:
        return True
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return issubclass(annotation, BaseModel)
    return any(_holds_blocks(arg) for arg in typing.get_args(annotation))


def check_consistency(s: Scenario, file: str | None, checked: Collection[int] = ()) -> None:
    """Cross-field checks: names exist, the table is a valid IO table, shocks point at real cells. The blocks
    whose ids are in `checked` were checked already, against the same names and dates (sim.scenario.derive),
    so the checks of one block skip them; the checks across blocks see every one."""
    econs, sects = s.economy_names, s.sector_names
    for names, what in ((econs, "economies"), (sects, "sectors")):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ScenarioError(f"{what} declared twice: {', '.join(dupes)}", file=file, field=what)
    known = {"economy": (econs, set(econs)), "sector": (sects, set(sects))}
    for where, block in blocks(s, checked=checked):
        _check_names(s, block, where, known, file)
        if isinstance(block, Dated):
            _check_window(block.start_day, block.end_day, where, file)
        own_partners = getattr(type(block), "own_and_partners", None)
        if own_partners is not None:
            _check_cross_border(block, *own_partners, where, file)
    for i, entry in enumerate(s.tariffs.baseline):
        if entry.increase is not None:
            raise ScenarioError("a baseline entry defines the calibration-year rate, so it cannot add to it; "
                                "allowed: rate", file=file, field=f"tariffs.baseline[{i}].increase")
    table = s.io_blocks()
    output = _check_io_table(s, table, file)
    _check_cells(s, output, file)
    _check_multinationals(s, file)
    _check_contradictions(s, file)
    _check_quotas(s, table, file)
    _check_rules(s, file)


def _check_names(s: Scenario, block: BaseModel, where: str, known: dict, file: str | None) -> None:
    """The names in `block`'s name fields are declared (cells: both their economy and their sector)."""
    for name, kind in name_fields(type(block)):
        value = getattr(block, name)
        if value is None or value == "*":
            continue
        field = f"{where}.{name}"
        given = [value] if isinstance(value, str) else value
        if kind == "cell":
            for j, cell in enumerate(given):
                s.cell_index(cell, field if isinstance(value, str) else f"{field}[{j}]")
            continue
        allowed, members = known[kind]
        if members.issuperset(given):  # the message, with its field, only when a name is unknown
            continue
        if isinstance(value, str):
            lookup(value, allowed, kind, field, file)
        for j, v in enumerate(given):
            lookup(v, allowed, kind, f"{field}[{j}]", file)


def _check_cross_border(block: BaseModel, own: str, partners: str, where: str, file: str | None) -> None:
    """Policies fall on cross-border trade: an entry's own economy is not among its partners."""
    if getattr(block, partners) != "*" and getattr(block, own) in getattr(block, partners):
        raise ScenarioError(f"{getattr(block, own)} is among its own {partners}: policies fall on cross-border "
                            "trade; allowed: other economies, or \"*\" for every other", file=file,
                            field=f"{where}.{partners}")


def _check_io_table(s: Scenario, table: tuple, file: str | None) -> np.ndarray:
    """No cell uses inputs without output; a cell buying more inputs than its output (negative value added:
    taxes less subsidies in real tables) is a warning that names the cells. Returns output per cell per step."""
    sup, buy, val, fsup, _, fval = table
    n_cells = len(s.economies) * len(s.sectors)
    output = np.bincount(sup, val, n_cells) + np.bincount(fsup, fval, n_cells)
    inputs = np.bincount(buy, val, n_cells)
    for cell in np.flatnonzero((output <= 0) & (inputs > 0)):
        raise ScenarioError(
            f"zero-output cell {s.cell_name(cell)} buys inputs worth {inputs[cell] * s.time.steps_per_year:g} "
            f"{s.io.units}: a cell that sells nothing cannot use inputs; add its sales or remove its purchases",
            file=file,
            field="io.intermediate",
        )
    negative = np.flatnonzero(inputs > output * (1 + 1e-12))
    if len(negative):
        listed = ", ".join(f"{s.cell_name(c)} (inputs {inputs[c] * s.time.steps_per_year:g}, output "
                           f"{output[c] * s.time.steps_per_year:g})" for c in negative[:5])
        warn_once(f"{file or s.name}: negative value added in {len(negative)} cell(s): {listed}"
                  f"{', ...' if len(negative) > 5 else ''} {s.io.units}. Their unit cost is their inputs less a "
                  "subsidy, so their price moves by more than their input prices do (docs/model.md, 'Calibration')")
    return output


def _check_cells(s: Scenario, output: np.ndarray, file: str | None) -> None:
    """Firm counts and capacity shocks point at cells that have output; a step holds no more than the
    shortest inventory."""
    for sector in s.network.sectors:
        lookup(sector, s.sector_names, "sector", f"network.sectors.{sector}", file)
    for cell, n in s.network.cells.items():
        index = s.cell_index(cell, f"network.cells.{cell}")
        if n == 0 and output[index] > 0:
            raise ScenarioError(
                f"cell {cell} is given 0 firms but has output {output[index] * s.time.steps_per_year:g} "
                f"{s.io.units} (it sells to others): allowed: at least 1 firm in a cell with output",
                file=file,
                field=f"network.cells.{cell}",
            )
        if n > 0 and output[index] <= 0:
            raise ScenarioError(
                f"cell {cell} is given {n} firms but has no output in the io table; allowed: 0 firms, or "
                "add flows from this cell",
                file=file,
                field=f"network.cells.{cell}",
            )
    for i, shock in enumerate(s.capacity_shocks):
        where = f"capacity_shocks[{i}]"
        if not shock.cells and not shock.firms:
            raise ScenarioError("a capacity shock needs 'cells' or 'firms' to hit", file=file, field=where)
        for j, cell in enumerate(shock.cells):
            if output[s.cell_index(cell, f"{where}.cells[{j}]")] <= 0:
                raise ScenarioError(
                    f"cell {cell} has no output, so no capacity to lose", file=file, field=f"{where}.cells[{j}]"
                )
    shortest = min(s.sectors, key=lambda sec: sec.inventory_days)
    if s.steps(shortest.inventory_days) < 1:
        raise ScenarioError(
            f"inventory_days {shortest.inventory_days:g} is shorter than one step ({365 / s.time.steps_per_year:g} "
            "days); allowed: at least one step of inventory",
            file=file,
            field=f"sectors.{shortest.name}.inventory_days",
        )


def _check_multinationals(s: Scenario, file: str | None) -> None:
    """A multinational moves capacity only between cells where it has plants."""
    for i, m in enumerate(s.multinationals):
        cells = {plant.cell for plant in m.plants}
        for j, move in enumerate(m.relocations):
            where = f"multinationals[{i}].relocations[{j}]"
            for end in ("from_economy", "to_economy"):
                cell = f"{getattr(move, end)}.{move.sector}"
                if cell not in cells:
                    raise ScenarioError(f"{m.name} has no plants in {cell}; allowed: cells of its plants "
                                        f"({', '.join(sorted(cells))})", file=file, field=f"{where}.{end}")


def _check_quotas(s: Scenario, table: tuple, file: str | None) -> None:
    """A quota period lasts a step or more; a `quota_share` has calibrated imports to be a share of; two quotas
    in force at once do not share a line (each would count the same imports)."""
    econs, sects, n_sec = s.economy_names, s.sector_names, len(s.sectors)
    sup, buy, val, fsup, fimp, fval = table
    exporter, sector = np.concatenate((sup, fsup)) // n_sec, np.concatenate((sup, fsup)) % n_sec
    importer, value = np.concatenate((buy // n_sec, fimp)), np.concatenate((val, fval))
    for i, q in enumerate(s.tariffs.quotas):
        where = f"tariffs.quotas[{i}]"
        if s.steps(q.period_days) < 1:
            step_days = 365 / s.time.steps_per_year
            raise ScenarioError(f"period_days {q.period_days:g} is shorter than one step ({step_days:g} days); "
                                "allowed: at least one step", file=file, field=f"{where}.period_days")
        me = econs.index(q.importer)
        partners = [econs.index(p) for p in (econs if q.exporters == "*" else q.exporters) if p != q.importer]
        chosen = [sects.index(k) for k in (sects if q.sectors == "*" else q.sectors)]
        on_lines = (importer == me) & np.isin(exporter, partners) & np.isin(sector, chosen)
        if q.quota_share is not None and value[on_lines].sum() <= 0:
            raise ScenarioError("the quota's lines carry no imports in the io table, so a quota_share of them is 0; "
                                "allowed: lines with imports, or a quota given as a value", file=file,
                                field=f"{where}.quota_share")
    quotas = s.tariffs.quotas
    for i, a in enumerate(quotas):
        for j in range(i + 1, len(quotas)):
            b = quotas[j]
            overlap = a.start_day < (b.end_day if b.end_day is not None else np.inf) and \
                b.start_day < (a.end_day if a.end_day is not None else np.inf)
            common = _lines(a.exporters, a.sectors, econs, sects) & _lines(b.exporters, b.sectors, econs, sects)
            common = {line for line in common if line[0] != a.importer}
            if a.importer == b.importer and overlap and common:
                example = sorted(common)[0]
                raise ScenarioError(f"tariffs.quotas[{i}] and tariffs.quotas[{j}] are both in force on {a.importer}'s "
                                    f"imports of {example[1]} from {example[0]}; allowed: one quota per line at a time",
                                    file=file, field=f"tariffs.quotas[{j}]")


def _check_rules(s: Scenario, file: str | None) -> None:
    """One retaliation rule per economy, a targeted rule names its sectors, no offer to oneself."""
    answered = set()
    for i, r in enumerate(s.retaliation):
        where = f"retaliation[{i}]"
        if r.economy in answered:
            raise ScenarioError(f"economy {r.economy} has a retaliation rule already; allowed: one per economy",
                                file=file, field=f"{where}.economy")
        answered.add(r.economy)
        if r.rule == "targeted" and r.sectors == "*":
            raise ScenarioError("a targeted rule needs its 'sectors' (e.g. [rare_earths])", file=file,
                                field=f"{where}.sectors")
    for i, offer in enumerate(s.negotiation.offers):
        if offer.offerer == offer.partner:
            raise ScenarioError("an economy cannot make an offer to itself", file=file,
                                field=f"negotiation.offers[{i}].partner")


def resolve_dates(s: Scenario, file: str | None, checked: Collection[int] = ()) -> None:
    """Set the start_day and end_day of every dated block that gives calendar dates (the one change made to a
    validated scenario, before it is checked); the blocks in `checked` were resolved already."""
    for where, block in blocks(s, checked=checked):
        if isinstance(block, Dated):
            _resolve_dates(block, s.time.start_date, where, file)


def _resolve_dates(entry: Dated, start_date: datetime.date | None, where: str, file: str | None) -> None:
    """Turn start_date/end_date into days from time.start_date; dates before it are errors."""
    for date_field, day_field in (("start_date", "start_day"), ("end_date", "end_day")):
        date = getattr(entry, date_field)
        if date is None:
            continue
        if start_date is None:
            raise ScenarioError(f"a dated event needs time.start_date (the date of day 0); got {date_field} {date}",
                                file=file, field=f"{where}.{date_field}")
        if day_field in entry.model_fields_set:
            raise ScenarioError(f"give {date_field} or {day_field}, not both", file=file, field=f"{where}.{date_field}")
        days = (date - start_date).days
        if days < 0:
            raise ScenarioError(f"{date_field} {date} is before the scenario's start date {start_date}; "
                                f"allowed: {start_date} or later", file=file, field=f"{where}.{date_field}")
        setattr(entry, day_field, float(days))


def _lines(partners: Any, sectors: Any, economies: list[str], all_sectors: list[str]) -> set[tuple[str, str]]:
    """The (partner, sector) lines an entry covers ('*' = all)."""
    partners = economies if partners == "*" else partners
    sectors = all_sectors if sectors == "*" else sectors
    return {(p, q) for p in partners for q in sectors}


def _check_contradictions(s: Scenario, file: str | None) -> None:
    """Two tariff entries starting together on common lines must agree, unless one is an exemption
    (its lines a strict subset of the other's), which then takes precedence on those lines."""
    entries = s.tariffs.applied
    econs, sects = s.economy_names, s.sector_names
    for i, a in enumerate(entries):
        for j in range(i + 1, len(entries)):
            b = entries[j]
            if a.importer != b.importer or a.start_day != b.start_day or a.amount == b.amount:
                continue
            la = _lines(a.exporters, a.sectors, econs, sects)
            lb = _lines(b.exporters, b.sectors, econs, sects)
            common = la & lb
            if common and not (la < lb or lb < la):
                example = sorted(common)[0]
                raise ScenarioError(
                    f"contradictory events: tariffs.applied[{i}] ({a.amount}) and tariffs.applied[{j}] ({b.amount}) "
                    f"both set {a.importer}'s tariff on {example[0]} {example[1]} from day {a.start_day:g}; "
                    "allowed: one rate per line and start day, or an exemption on a subset of the lines",
                    file=file, field=f"tariffs.applied[{j}]")


def _check_window(start: float, end: float | None, where: str, file: str | None) -> None:
    if end is not None and end <= start:
        raise ScenarioError(
            f"end_day {end:g} is not after start_day {start:g}; allowed: end_day > start_day or no end_day",
            file=file,
            field=f"{where}.end_day",
        )


