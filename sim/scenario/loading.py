"""Reading scenarios: names and paths, YAML files, `extends`, CSV tables, overrides by dotted path.

`load_scenario` is the one entry point: it resolves a name or path, reads the file and the ones it
extends (mappings merge, lists replace, `key+:` appends), reads the IO and tariff tables a file
names as CSV, applies overrides and validates the result (`Scenario.from_dict`).
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.errors import first_error, model_at
from sim.scenario.schema import DEFAULT_SCENARIO, MrioSource, Scenario
from sim.yaml_text import load_yaml


def config_dirs(kind: str) -> list[Path]:
    """Folders searched for configs of `kind` ('scenarios', 'sweeps') named without a path: the
    repository's and the wheel's."""
    package = Path(__file__).resolve().parent.parent
    return [p for p in (package.parent / "configs" / kind, package / "configs" / kind) if p.is_dir()]


def scenario_dirs() -> list[Path]:
    """Folders searched for scenarios named without a path."""
    return config_dirs("scenarios")


def resolve_config(name_or_path: str | Path, kind: str = "scenarios") -> Path:
    """A config file from a path or a bare name such as 'us_tariffs_2025' (kind 'scenarios') or
    'tiny_grid' (kind 'sweeps'); an unknown name lists the known ones."""
    what = {"scenarios": "scenario", "sweeps": "sweep"}[kind]
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{what} file not found: {path}")
        return path
    for folder in config_dirs(kind):
        candidate = folder / f"{path.name}.yaml"
        if candidate.is_file():
            return candidate
    known = sorted({p.stem for folder in config_dirs(kind) for p in folder.glob("*.yaml")})
    raise ScenarioError(f"no {what} named '{name_or_path}'; known {kind}: {', '.join(known)}")


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario file from a path or a bare name such as 'us_tariffs_2025'."""
    return resolve_config(name_or_path, "scenarios")


def read_yaml(path: Path, what: str = "scenario") -> dict:
    """The mapping a YAML file holds; unreadable, non-text or malformed files are one-line errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not a text file: byte {exc.start} is not UTF-8; allowed: a YAML text file",
                            file=str(path)) from None
    raw = load_yaml(text, file=str(path))
    if not isinstance(raw, dict):
        raise ScenarioError(
            f"the file must hold a mapping of {what} fields, found {type(raw).__name__}", file=str(path)
        )
    return raw


def load_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Read a YAML file and merge it over the file it `extends` (dicts merge, lists replace)."""
    path = path.resolve()
    if path in seen:
        raise ScenarioError("'extends' forms a cycle", file=str(path), field="extends")
    raw = read_yaml(path)
    _read_io_tables(raw, path)
    _locate_mrio(raw, path)
    _read_tariff_table(raw, path)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError(f"'extends' is a {type(parent).__name__}; allowed: the file name or path of a scenario",
                            file=str(path), field="extends")
    parent_path = (path.parent / parent) if not Path(parent).is_absolute() else Path(parent)
    if not parent_path.is_file() and not Path(parent).suffix:  # a scenario name, e.g. baseline_2024
        try:
            parent_path = resolve_path(parent)
        except ScenarioError as exc:
            raise ScenarioError(str(exc), file=str(path), field="extends") from None
    if not parent_path.is_file():
        raise ScenarioError(f"file to extend not found: {parent_path}", file=str(path), field="extends")
    try:
        return deep_merge(load_raw(parent_path, (*seen, path)), raw)
    except TypeError as exc:  # a `key+:` list appended to a value that is not a list
        raise ScenarioError(str(exc), file=str(path)) from None


IO_TABLE_COLUMNS = {
    "intermediate": ["exporter", "sector", "importer", "buyer_sector", "value"],
    "final_demand": ["exporter", "sector", "importer", "value"],
}
TARIFF_TABLE_COLUMNS = ["importer", "exporter", "sector", "rate", "flag", "source"]
FLAGS = ("V", "S", "D", "U")  # read in a named source, secondary, derived, unverified (docs/calibration.md)


def _read_io_tables(raw: dict, path: Path) -> None:
    """Replace `io.intermediate` / `io.final_demand` given as a CSV path (relative to `path`) by its rows.

    Columns are those of the YAML records plus an optional `source`; a value that is not a number is
    reported with the CSV file, its row and the column.
    """
    io = raw.get("io")
    if not isinstance(io, dict):
        return
    for key, required in IO_TABLE_COLUMNS.items():
        table = io.get(key)
        if isinstance(table, str):
            io[key] = _read_table(path, table, required, "value", ("source",), f"io.{key}")


def _locate_mrio(raw: dict, path: Path) -> None:
    """Make `io.mrio.path` absolute (it is relative to the file that names it); the table is read once the
    files are merged (`_read_mrio`)."""
    mrio = raw.get("io", {}).get("mrio") if isinstance(raw.get("io"), dict) else None
    if isinstance(mrio, dict) and isinstance(mrio.get("path"), str):
        mrio["path"] = str((path.parent / mrio["path"]).resolve())


def read_mrio_tables(raw: Mapping[str, Any], file: str | None) -> Mapping[str, Any]:
    """`raw` with the io tables (and, where not declared, the economies and sectors) read from `io.mrio`
    (what `Scenario.from_dict` does first; a relative path is relative to the scenario file, or to the
    working directory for a mapping made in Python or a path given by --set)."""
    io = raw.get("io")
    mrio = io.get("mrio") if isinstance(io, dict) else None
    if mrio is None:
        return raw
    from sim.network.mrio import read_mrio

    if not isinstance(mrio, dict):
        raise ScenarioError(f"bad value {mrio!r}: io.mrio is a mapping with path, regions and sectors", file=file,
                            field="io.mrio")
    try:
        source = MrioSource.model_validate(mrio)
    except ValidationError as exc:
        error = first_error(exc, mrio, file, MrioSource)
        raise ScenarioError(str(error).split(": ", 1)[-1], file=file, field=f"io.mrio.{error.field}") from None
    given = [key for key in ("intermediate", "final_demand") if io.get(key)]
    if given:
        raise ScenarioError(f"give io.mrio or io.{given[0]}, not both", file=file, field=f"io.{given[0]}")

    def declared(key: str) -> list[str] | None:
        items = raw.get(key)
        if isinstance(items, list) and items and all(isinstance(item, dict) for item in items):
            return [item.get("name") for item in items]
        return None

    tables = read_mrio(source.model_dump(), declared("economies"), declared("sectors"), file)
    raw = dict(raw, io=dict(io, intermediate=tables["intermediate"], final_demand=tables["final_demand"]))
    raw["io"].setdefault("units", tables["units"])
    for key in ("economies", "sectors"):
        if declared(key) is None:
            raw[key] = [{"name": name} for name in tables[key]]
    return raw


def _read_tariff_table(raw: dict, path: Path) -> None:
    """Replace `tariffs.baseline` given as a CSV path by one entry per row (importer, exporter, sector, rate,
    flag, source); the flag (V, S, D or U) leads the entry's source, as in the YAML entries."""
    tariffs = raw.get("tariffs")
    if not isinstance(tariffs, dict) or not isinstance(tariffs.get("baseline"), str):
        return
    rows = _read_table(path, tariffs["baseline"], TARIFF_TABLE_COLUMNS, "rate", (), "tariffs.baseline")
    table = str((path.parent / tariffs["baseline"]).resolve())
    # names are checked here when this file declares them, so that errors name the table's row
    names = {key: {item.get("name") for item in raw.get(key) or [] if isinstance(item, dict)} or None
             for key in ("economies", "sectors")}
    kinds = (("importer", "economies", "economy"), ("exporter", "economies", "economy"),
             ("sector", "sectors", "sector"))
    entries, seen = [], {}
    for line, row in enumerate(rows, start=2):
        problem = None
        if not (np.isfinite(row["rate"]) and row["rate"] >= 0):
            problem = "rate", f"rate {row['rate']:g}; allowed: a finite number >= 0"
        elif row["flag"] not in FLAGS:
            problem = "flag", f"flag {row['flag']!r}; allowed: {', '.join(FLAGS)}"
        elif row["importer"] == row["exporter"]:
            problem = "exporter", f"{row['importer']} on its own goods; allowed: cross-border lines only"
        elif (row["importer"], row["exporter"], row["sector"]) in seen:
            problem = "sector", (f"{row['importer']}/{row['exporter']}/{row['sector']} is also on row "
                                 f"{seen[row['importer'], row['exporter'], row['sector']]}; allowed: one row per line")
        for field, key, what in kinds:
            if problem is None and names[key] is not None and row[field] not in names[key]:
                problem = field, f"unknown {what} {row[field]!r}; allowed: {', '.join(sorted(names[key]))}"
        if problem is not None:
            raise ScenarioError(f"row {line}: {problem[1]}", file=table, field=f"tariffs.baseline.{problem[0]}")
        seen[row["importer"], row["exporter"], row["sector"]] = line
        entries.append({"importer": row["importer"], "exporters": [row["exporter"]], "sectors": [row["sector"]],
                        "rate": row["rate"], "source": f"{row['flag']}: {row['source']}"})
    tariffs["baseline"] = entries


def _read_table(path: Path, table: str, required: list[str], numeric: str, optional: tuple[str, ...],
                field: str) -> list[dict]:
    """The rows of the CSV file `table` (relative to the scenario file `path`), with `numeric` as a float."""
    csv_path = (path.parent / table).resolve()
    try:
        with open(csv_path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            twice = sorted({c for c in header if header.count(c) > 1})
            if twice:
                raise ScenarioError(f"column(s) {', '.join(twice)} appear twice in the header; allowed: each column "
                                    "once", file=str(csv_path), field=field)
            missing = [c for c in required if c not in header]
            if missing:
                also = f" (and optionally {', '.join(optional)})" if optional else ""
                raise ScenarioError(f"missing column(s) {', '.join(missing)}; required: {', '.join(required)}{also}",
                                    file=str(csv_path), field=field)
            rows = []
            for line, row in enumerate(reader, start=2):
                if row.get(None) or None in row.values():
                    raise ScenarioError(f"row {line} has {'more' if row.get(None) else 'fewer'} fields than the "
                                        f"header ({len(header)}); allowed: one value per column",
                                        file=str(csv_path), field=field)
                try:
                    row[numeric] = float(row[numeric])
                except (TypeError, ValueError):
                    raise ScenarioError(f"row {line}: {numeric} {row[numeric]!r} is not a number",
                                        file=str(csv_path), field=numeric) from None
                rows.append({k: v for k, v in row.items() if k in (*required, *optional)})
    except OSError as exc:
        raise ScenarioError(f"cannot read the {field} table {csv_path}: {exc.strerror}",
                            file=str(path), field=field) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not a text file: byte {exc.start} is not UTF-8; allowed: a CSV text file",
                            file=str(csv_path), field=field) from None
    return rows


def deep_merge(base: dict, update: Mapping) -> dict:
    """`update` over `base`: mappings merge key by key, other values replace, and a key written with a
    trailing `+` (e.g. `applied+:`) appends its list to the base's list of that name."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(key, str) and key.endswith("+") and isinstance(value, list):
            name = key[:-1]
            if not isinstance(merged.get(name) or [], list):
                raise TypeError(f"'{key}' appends to a list, but '{name}' is a {type(merged[name]).__name__}; "
                                f"allowed: '{key}' on list fields only")
            merged[name] = [*(merged.get(name) or []), *copy.deepcopy(value)]
        elif isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_override(text: str) -> tuple[str, Any]:
    """'engine.restoration_days=30' -> ('engine.restoration_days', 30); the value is read as YAML."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise ScenarioError(f"override '{text}' is not of the form path.to.field=value", field="--set")
    return path.strip(), load_yaml(value, field=path.strip())


def apply_overrides(raw: dict, overrides: Mapping[str, Any], *, file: str | None = None) -> dict:
    """`raw` with fields set by dotted path (list items addressed by index or by their `name`). `raw` is
    not changed: the mappings and lists along each path are copied, the rest is shared with it."""
    raw = dict(raw)
    for path, value in overrides.items():
        parts = path.split(".")
        node: Any = raw
        for depth, part in enumerate(parts[:-1]):
            node = _step_into(node, part, parts[: depth + 1], path, file, create=True)
        last = parts[-1]
        if isinstance(node, list):
            index = _list_index(node, last, path, file)
            node[index] = copy.deepcopy(value)
        elif isinstance(node, dict):
            node[last] = copy.deepcopy(value)
        else:
            raise ScenarioError(f"cannot set a field inside a {type(node).__name__}", file=file, field=path)
    return raw


def _list_index(node: list, part: str, path: str, file: str | None) -> int:
    if part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
        return int(part)
    names = [_item_name(item) for item in node]
    if part in names:
        return names.index(part)
    named = [str(n) for n in names if n is not None]
    raise ScenarioError(
        f"no list item '{part}'; allowed: an index below {len(node)}"
        + (f" or one of {', '.join(named)}" if named else ""),
        file=file,
        field=path,
    )


ITEM_KEYS = ("name", "economy")  # what names a list item in an override path: sectors by name, rules by economy


def _item_name(item: Any) -> Any:
    """The name an override path may use for a list item (None if it has none)."""
    if isinstance(item, dict):
        return next((item[key] for key in ITEM_KEYS if item.get(key) is not None), None)
    return None


def _step_into(node: Any, part: str, prefix: list[str], path: str, file: str | None, create: bool) -> Any:
    """The child `part` of `node` (a list or mapping), replaced in `node` by a shallow copy of it, which
    is returned: what an override then changes is never shared with the caller's mapping."""
    if isinstance(node, list):
        index = _list_index(node, part, path, file)
        node[index] = _shallow_copy(node[index])
        return node[index]
    if isinstance(node, dict):
        if part not in node:
            parent = model_at(tuple(prefix[:-1]))
            if parent is not None and part not in parent.model_fields:
                allowed = ", ".join(sorted(parent.model_fields))
                raise ScenarioError(f"unknown key '{part}'; allowed keys here: {allowed}", file=file, field=path)
            node[part] = {}
        node[part] = _shallow_copy(node[part])
        return node[part]
    raise ScenarioError(f"'{'.'.join(prefix[:-1])}' is not a mapping or list", file=file, field=path)


def _shallow_copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value


def load_scenario(
    name_or_path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Load, merge (`extends`), override and validate a scenario; `None` loads the default.

    >>> scenario = load_scenario("tiny", overrides={"engine.restoration_days": 30})
    """
    path = resolve_path(name_or_path or DEFAULT_SCENARIO)
    raw = load_raw(path)
    if overrides:
        raw = apply_overrides(raw, overrides, file=str(path))
    return Scenario.from_dict(raw, file=str(path))
