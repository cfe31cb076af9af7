"""Scenarios derived from a validated one by overrides, validating only what the overrides reach.

A sweep runs one base scenario under many sets of overrides. `derive(base, base_raw, overrides)` is
`Scenario.from_dict(apply_overrides(base_raw, overrides))` (the same scenario, the same errors) when
`base` is `base_raw` validated, but it validates again only the blocks the overrides reach: a
top-level block no override path enters, or a block one level down inside a block an override does
enter (a sweep over `tariffs.applied` leaves `tariffs.baseline`, the calibration year's 1,872 lines,
alone), is taken from `base` as the validated object, shared, not copied. The checks of one block skip
shared blocks (they were checked against the same names and dates); the checks across blocks run
on the whole scenario. An override of what the other blocks are checked against (`anchors`: the names
of economies and sectors, the date of day 0) or of the IO table validates everything, as
`Scenario.from_dict` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from sim.scenario.checks import blocks
from sim.scenario.loading import apply_overrides
from sim.scenario.schema import Scenario


class Base:
    """A validated base scenario, its raw mapping and the ids of its blocks (what derived scenarios share)."""

    def __init__(self, raw: Mapping[str, Any], file: str | None = None):
        self.raw, self.file = raw, file
        self.scenario = Scenario.from_dict(raw, file=file)
        self.checked = frozenset(id(block) for _, block in blocks(self.scenario))

    def derive(self, overrides: Mapping[str, Any]) -> Scenario:
        """The base with `overrides` (dotted paths, as `apply_overrides` takes them), validated where they reach."""
        raw = apply_overrides(self.raw, overrides, file=self.file)
        reached: dict[str, set[str] | None] = {}  # top-level key -> the keys reached one level down (None: all)
        for path in overrides:
            top, _, rest = path.partition(".")
            inner = rest.partition(".")[0]
            if anchors(path):
                return Scenario.from_dict(raw, file=self.file)
            known = reached.setdefault(top, set())
            if known is not None:
                reached[top] = known | {inner} if inner else None
        io = raw.get("io")
        if isinstance(io, dict) and io.get("mrio") is not None:  # names may come from the table: read it again
            return Scenario.from_dict(raw, file=self.file)
        mixed = dict(raw)
        for key in Scenario.model_fields:
            if key not in raw:
                continue
            validated = getattr(self.scenario, key)
            if key not in reached:
                if _shareable(validated):
                    mixed[key] = validated
            elif reached[key] is not None and isinstance(raw[key], dict) and isinstance(validated, BaseModel):
                mixed[key] = {name: getattr(validated, name) if name not in reached[key]
                              and _shareable(getattr(validated, name)) else value for name, value in raw[key].items()}
        return Scenario.from_dict(mixed, file=self.file, checked=self.checked)


def anchors(path: str) -> bool:
    """Whether an override at `path` changes what every block is checked against: a name of an economy or a
    sector (or their lists), the date of day 0, or the IO table (read and checked as a whole)."""
    parts = path.split(".")
    if parts[0] == "io":
        return True
    if parts[0] == "time":
        return len(parts) < 2 or parts[1] == "start_date"
    if parts[0] in ("economies", "sectors"):
        return len(parts) < 3 or parts[2] == "name"
    return False


def _shareable(value: Any) -> bool:
    """A validated value that validates as itself: a config block or a list of them."""
    if isinstance(value, list):
        return bool(value) and all(isinstance(item, BaseModel) for item in value)
    return isinstance(value, BaseModel)
