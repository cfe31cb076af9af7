"""Pydantic's validation errors turned into one `ScenarioError` naming the file, the field, the value and
what is allowed (an unknown key with the closest allowed one)."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError, short_repr
from sim.scenario.schema import Scenario


def _loc_to_field(loc: tuple) -> str:
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return field


def _resolve(raw: Any, loc: tuple) -> Any:
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def first_error(exc: ValidationError, raw: Any, file: str | None, root: type[BaseModel] | None = None) -> ScenarioError:
    """Turn pydantic's first error into a message with the field, the value and what is allowed;
    `root` is the model validated (the scenario by default), for listing allowed keys."""
    errors = exc.errors()
    # an unknown key next to a missing one is usually a misspelling of it: report the unknown key
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("list[", "literal["))))
    field = _loc_to_field(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = model_at(loc[:-1], root or Scenario)
        allowed = sorted(parent.model_fields) if parent else []
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return ScenarioError(
            f"unknown key '{loc[-1]}'{suggestion}; allowed keys here: {', '.join(allowed)}", file=file, field=field
        )
    if kind == "missing":
        return ScenarioError("required field is missing", file=file, field=field)
    value = _resolve(raw, loc)
    return ScenarioError(f"bad value {short_repr(value)}: {err['msg']}", file=file, field=field)


def model_at(loc: tuple, root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The config class under `root` (the scenario by default) that owns the field at `loc`."""
    model: Any = root or Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
        else:
            return None
    return model


