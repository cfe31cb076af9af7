"""The annotated types of scenario fields that hold names, and the lookup that finds them in a config class.

A field typed `EconomyName`, `SectorName` or `CellName` (or a list of them, or `EconomyTargets` /
`SectorTargets`, which also allow "*" for all) carries a `NameKind` in its annotation. The consistency
checks (`sim.scenario.checks`) find every such field of every config block from its type, so a new
block's names are checked whatever its fields are called.
"""

from __future__ import annotations

import difflib
import functools
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from sim.errors import ScenarioError

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"


@dataclass(frozen=True)
class NameKind:
    """Marks a string field as the name of an economy, a sector or a cell ('ECONOMY.sector')."""

    kind: Literal["economy", "sector", "cell"]


Name = Annotated[str, Field(pattern=NAME_PATTERN)]
EconomyName = Annotated[str, Field(pattern=NAME_PATTERN), NameKind("economy")]
SectorName = Annotated[str, Field(pattern=NAME_PATTERN), NameKind("sector")]
CellName = Annotated[str, NameKind("cell")]
EconomyTargets = list[EconomyName] | Literal["*"]
SectorTargets = list[SectorName] | Literal["*"]


def as_list(value: Any) -> Any:
    """A lone name given where a list is expected becomes a list of one ("*" stays "*")."""
    return [value] if isinstance(value, str) and value != "*" else value


def _kind_in(annotation: Any) -> str | None:
    """The NameKind carried anywhere inside a type annotation (Annotated, unions, lists), if any."""
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, NameKind):
            return meta.kind
    for arg in typing.get_args(annotation):
        kind = _kind_in(arg)
        if kind is not None:
            return kind
    return None


def field_kind(info: FieldInfo) -> str | None:
    """'economy', 'sector' or 'cell' if the field holds names of that kind, else None."""
    for meta in info.metadata:
        if isinstance(meta, NameKind):
            return meta.kind
    return _kind_in(info.annotation)


@functools.cache
def name_fields(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """The fields of `model` that hold names, each with the kind of name it holds."""
    return tuple((name, kind) for name, info in model.model_fields.items() if (kind := field_kind(info)) is not None)


def lookup(name: str, allowed: list[str], what: str, field: str, file: str | None) -> int:
    """Index of `name` in `allowed`; else a ScenarioError naming the field, with the closest name if one is near."""
    try:
        return allowed.index(name)
    except ValueError:
        hint = difflib.get_close_matches(name, allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise ScenarioError(
            f"unknown {what} '{name}'{suggestion}; declared {'economies' if what == 'economy' else what + 's'}: "
            f"{', '.join(allowed)}",
            file=file,
            field=field,
        ) from None
