"""The IO table's flows held as columns: name codes and values as arrays, from file to network.

A scenario's `io.intermediate` and `io.final_demand` are written as records (YAML lists or CSV tables,
one flow per row; `IntermediateFlow` and `FinalDemandFlow` in the schema say what a record holds), but
a real table has millions of them, so they are held as a `FlowTable`: one integer code per name column
(an index into the declared economies or sectors), the values as floats and the sources, if any.
`FlowTable.from_records` checks the records in a few passes, one check at a time over every row (keys,
then each name column, then the values), each failure naming the file, `io.intermediate[i].field`,
the value and what is allowed; a table built from arrays (`FlowTable.from_codes`, what
`sim.network.mrio` uses) skips the records altogether. Rows read as records again (`table[i].exporter`,
iteration), and `model_dump` writes them as records. A table's arrays are read-only: copies of a
scenario share them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim.errors import ScenarioError, short_repr
from sim.scenario.names import lookup

# the name columns of each table and the kind of name each holds
COLUMNS = {
    "intermediate": {"exporter": "economy", "sector": "sector", "importer": "economy", "buyer_sector": "sector"},
    "final_demand": {"exporter": "economy", "sector": "sector", "importer": "economy"},
}


@dataclass(eq=False)  # equality below compares the arrays
class FlowTable:
    """Flows of one IO table: `codes[column]` per name column, `value` per row, `source` per row or None."""

    kind: str  # "intermediate" or "final_demand"
    codes: dict[str, np.ndarray]
    value: np.ndarray
    economies: tuple[str, ...]
    sectors: tuple[str, ...]
    source: np.ndarray | None = None  # object array of text or None per row; None when no row has one

    def __post_init__(self) -> None:
        for array in (*self.codes.values(), self.value, *(() if self.source is None else (self.source,))):
            array.flags.writeable = False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FlowTable):
            return NotImplemented
        same_source = (self.source is None) == (other.source is None) and (
            self.source is None or np.array_equal(self.source, other.source))
        return ((self.kind, self.economies, self.sectors) == (other.kind, other.economies, other.sectors)
                and all(np.array_equal(self.codes[c], other.codes[c]) for c in self.codes)
                and np.array_equal(self.value, other.value) and same_source)

    __hash__ = None  # type: ignore[assignment]

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_codes(cls, kind: str, codes: dict[str, np.ndarray], value: np.ndarray, economies: Sequence[str],
                   sectors: Sequence[str], source: np.ndarray | None = None) -> FlowTable:
        """A table from arrays (codes index `economies` and `sectors`), checked like records are."""
        table = cls(kind, {c: np.array(codes[c], dtype=np.int64) for c in COLUMNS[kind]},
                    np.array(value, dtype=float), tuple(economies), tuple(sectors), source)
        table._check_values(None)
        return table

    @classmethod
    def from_records(cls, records: Any, kind: str, economies: Sequence[str], sectors: Sequence[str],
                     file: str | None) -> FlowTable:
        """A table from records (mappings as YAML or CSV give them); the first bad one is a ScenarioError."""
        where = f"io.{kind}"
        if not isinstance(records, list | tuple):
            raise ScenarioError(f"bad value {short_repr(records)}: a list of flow records (or, in a scenario file, "
                                "a CSV path) is allowed", file=file, field=where)
        records = [r.model_dump() if isinstance(r, BaseModel) else r for r in records]
        if kind == "final_demand" and not records:
            raise ScenarioError("bad value []: List should have at least 1 item after validation, not 0",
                                file=file, field=where)
        columns = COLUMNS[kind]
        allowed = {*columns, "value", "source"}
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise ScenarioError(f"bad value {short_repr(record)}: a flow record (a mapping) is allowed",
                                    file=file, field=f"{where}[{i}]")
            if record.keys() - allowed:
                key = sorted(map(str, record.keys() - allowed))[0]
                hint = difflib.get_close_matches(key, sorted(allowed), n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                raise ScenarioError(f"unknown key '{key}'{suggestion}; allowed keys here: {', '.join(sorted(allowed))}",
                                    file=file, field=f"{where}[{i}].{key}")
            for column in (*columns, "value"):
                if column not in record:
                    raise ScenarioError("required field is missing", file=file, field=f"{where}[{i}].{column}")
        names = {"economy": list(economies), "sector": list(sectors)}
        index = {kind_: {n: j for j, n in enumerate(values)} for kind_, values in names.items()}
        codes = {}
        for column, what in columns.items():
            lookup_ = index[what]
            code = np.array([lookup_.get(r[column], -1) if isinstance(r[column], str) else -2 for r in records],
                            dtype=np.int64)
            bad = np.flatnonzero(code < 0)
            if len(bad):
                i = int(bad[0])
                given = records[i][column]
                if not isinstance(given, str):
                    raise ScenarioError(f"bad value {short_repr(given)}: Input should be a valid string", file=file,
                                        field=f"{where}[{i}].{column}")
                lookup(given, names[what], what, f"{where}[{i}].{column}", file)
            codes[column] = code
        values = [r["value"] for r in records]
        try:
            if any(isinstance(v, bool) or v is None for v in values):
                raise TypeError
            value = np.array([float(v) if isinstance(v, str) else v for v in values], dtype=float)
            if value.shape != (len(records),):
                raise TypeError
        except (TypeError, ValueError, OverflowError):
            i = next((i for i, v in enumerate(values) if isinstance(v, bool) or not _number(v)), 0)
            raise ScenarioError(f"bad value {short_repr(values[i])}: Input should be a valid number (a number, or "
                                "a string that reads as one)", file=file, field=f"{where}[{i}].value") from None
        sources = [r.get("source") for r in records]
        source = None
        if any(s is not None for s in sources):
            bad = next((i for i, s in enumerate(sources) if s is not None and not isinstance(s, str)), None)
            if bad is not None:
                raise ScenarioError(f"bad value {short_repr(sources[bad])}: Input should be a valid string",
                                    file=file, field=f"{where}[{bad}].source")
            source = np.array(sources, dtype=object)
        table = cls(kind, codes, value, tuple(economies), tuple(sectors), source)
        table._check_values(file)
        return table

    def cell_text(self, i: int) -> str:
        """Row `i`'s cells in words, e.g. 'CN.chips -> US.electronics' (final demand: '-> US final demand')."""
        row = self[i]
        buyer = f"{row.importer}.{row.buyer_sector}" if self.kind == "intermediate" else f"{row.importer} final demand"
        return f"{row.exporter}.{row.sector} -> {buyer}"

    def negative(self) -> np.ndarray:
        """[rows] True where the value is below zero."""
        return self.value < 0

    def without(self, drop: np.ndarray) -> FlowTable:
        """The table less the rows where `drop` is True."""
        keep = ~drop
        source = None if self.source is None else self.source[keep]
        return FlowTable(self.kind, {c: v[keep] for c, v in self.codes.items()}, self.value[keep], self.economies,
                         self.sectors, source)

    def _check_values(self, file: str | None) -> None:
        """Values finite, codes inside the declared names; the first bad row is the error (negative values are
        the scenario's to allow: `io.negative_flows`)."""
        where = f"io.{self.kind}"
        for column, what in COLUMNS[self.kind].items():
            n = len(self.economies) if what == "economy" else len(self.sectors)
            outside = np.flatnonzero((self.codes[column] < 0) | (self.codes[column] >= n))
            if len(outside):
                raise ScenarioError(f"code {int(self.codes[column][outside[0]])} is not a declared {what}; allowed: "
                                    f"0 to {n - 1}", file=file, field=f"{where}[{int(outside[0])}].{column}")
        bad = np.flatnonzero(~np.isfinite(self.value))
        if len(bad):
            i = int(bad[0])
            raise ScenarioError(f"bad value {float(self.value[i]):g} ({self.cell_text(i)}; {len(bad)} such rows): "
                                "Input should be a finite number", file=file, field=f"{where}[{i}].value")

    # -- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.value)

    def __getitem__(self, i: int) -> SimpleNamespace:
        """Row `i` as a record: its names, value and source."""
        names = {"economy": self.economies, "sector": self.sectors}
        fields = {c: names[what][int(self.codes[c][i])] for c, what in COLUMNS[self.kind].items()}
        source = None if self.source is None else self.source[i]
        return SimpleNamespace(**fields, value=float(self.value[i]), source=source)

    def __iter__(self) -> Iterator[SimpleNamespace]:
        return (self[i] for i in range(len(self)))

    def records(self) -> list[dict]:
        """The rows as records (what a scenario file would hold)."""
        out = []
        for row in self:
            record = vars(row)
            if record["source"] is None:
                del record["source"]
            out.append(record)
        return out

    def __deepcopy__(self, memo: dict) -> FlowTable:
        return self  # never changed once built: copies of a scenario share it


def _number(value: Any) -> bool:
    """Whether `value` is one number float() reads (a scalar, or a string that reads as one)."""
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return np.ndim(value) == 0
