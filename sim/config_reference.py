"""docs/config.md: the configuration reference, generated from the schema (`python -m sim.config_reference FILE`).

Every block of a scenario file and of a sweep spec gets a section: where it appears (its dotted path),
its docstring, and one row per field with the type, the default ("required" if none), the values
allowed (from the field's constraints) and the description, which carries the unit. Each section ends
with an example: the block as a shipped scenario or sweep spec writes it (the first one that does, lists
cut to their first item). `tests/test_config_reference.py` checks that the page matches the schema and
that every field has a description, so the page cannot fall behind the code.
"""

from __future__ import annotations

import argparse
import datetime
import inspect
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario import NAME_PATTERN, Scenario, config_dirs, read_yaml
from sim.sweep.spec import SweepSpec

ROOTS = (("Scenario file", Scenario, "scenarios"), ("Sweep spec", SweepSpec, "sweeps"))
EXAMPLE_LINES = 14
BOUNDS = ((annotated_types.Gt, "gt", "> {}"), (annotated_types.Ge, "ge", ">= {}"), (annotated_types.Lt, "lt", "< {}"),
          (annotated_types.Le, "le", "<= {}"), (annotated_types.MinLen, "min_length", "at least {} item(s)"),
          (annotated_types.MaxLen, "max_length", "at most {} item(s)"))
SCALARS = {float: "number", int: "integer", str: "text", bool: "true or false", datetime.date: "date (YYYY-MM-DD)",
           type(None): "null", Any: "any value"}


def _args(annotation: Any) -> tuple[Any, list[Any]]:
    """(the bare type, its Annotated metadata)."""
    metadata: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = typing.get_args(annotation)
        metadata += extra
    return annotation, metadata


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The config blocks an annotation refers to, in order."""
    annotation, _ = _args(annotation)
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models(arg)


def _anchor(model: type[BaseModel]) -> str:
    return model.__name__.lower()


def type_text(annotation: Any) -> str:
    """A field's type in words, config blocks as links to their sections."""
    annotation, metadata = _args(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        text = f"[{annotation.__name__}](#{_anchor(annotation)})"
    elif origin is Literal:
        text = " or ".join(f"`{value}`" for value in args)
    elif origin in (typing.Union, types.UnionType):
        text = " or ".join(type_text(arg) for arg in args)
    elif origin is list:
        text = f"list of {type_text(args[0])}"
    elif origin is dict:
        text = f"mapping of {type_text(args[0])} to {type_text(args[1])}"
    else:
        text = SCALARS.get(annotation, getattr(annotation, "__name__", str(annotation)))
    allowed = _constraints(metadata)
    return f"{text} ({allowed})" if allowed else text


def _constraints(metadata: list[Any]) -> str:
    """The constraints of a field or a list item in words."""
    words = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            words.append(_constraints(item.metadata))
            continue
        for kind, name, form in BOUNDS:
            if isinstance(item, kind):
                words.append(form.format(getattr(item, name)))
        pattern = getattr(item, "pattern", None)
        if pattern == NAME_PATTERN:
            words.append("a name: a letter, then letters, digits, _ or -")
        elif pattern:
            words.append(f"matching `{pattern}`")
        if getattr(item, "allow_inf_nan", None) is False:
            words.append("finite")
    return ", ".join(w for w in words if w)


def default_text(field: FieldInfo) -> str:
    """A field's default as YAML would write it; 'required' when it has none."""
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        return "its defaults"
    if value is PydanticUndefined:
        return "required"
    return f"`{yaml.safe_dump(value, default_flow_style=True, width=200).strip().removesuffix('...').strip()}`"


def sections(root: type[BaseModel], prefix: str = "") -> dict[type[BaseModel], list[str]]:
    """Every block reachable from `root` with the dotted paths where it appears ('[]' marks a list item)."""
    found: dict[type[BaseModel], list[str]] = {root: [prefix or "(top level)"]}
    queue = [(root, prefix)]
    while queue:
        model, path = queue.pop(0)
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            for child in _models(field.annotation):
                bare, _ = _args(field.annotation)
                listed = typing.get_origin(bare) is list or any(
                    typing.get_origin(_args(a)[0]) is list for a in typing.get_args(bare))
                where = f"{path}.{name}" if path else name
                where += "[]" if listed else ""
                if child not in found:
                    found[child] = []
                    queue.append((child, where))
                found[child].append(where)
    return found


def _follow(raw: Any, path: str) -> Any:
    """The value at a section path in a raw config (`key+` appends count as `key`; lists give their first item)."""
    value = raw
    for part in path.split("."):
        key, listed = part.removesuffix("[]"), part.endswith("[]")
        if not isinstance(value, dict):
            return None
        value = value.get(key, value.get(f"{key}+"))
        if listed:
            value = value[0] if isinstance(value, list) and value else None
        if value is None:
            return None
    return value


def _trimmed(value: Any) -> Any:
    """A block with lists cut to their first item, for a short example."""
    if isinstance(value, dict):
        return {k: _trimmed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trimmed(v) for v in value[:1]]
    return value


def example(paths: list[str], kind: str) -> tuple[str, str] | None:
    """(file name, YAML) of the first shipped config of `kind` that writes a block at one of `paths`."""
    files = sorted(path for folder in config_dirs(kind) for path in folder.glob("*.yaml"))
    for where in paths:
        if where == "(top level)":
            continue
        for file in files:
            value = _follow(read_yaml(file, kind.rstrip("s")), where)
            if isinstance(value, dict) and value:
                key = where.rsplit(".", 1)[-1]
                text = yaml.safe_dump({key.removesuffix("[]"): [_trimmed(value)] if key.endswith("[]") else
                                       _trimmed(value)}, sort_keys=False, width=100, allow_unicode=True).splitlines()
                if len(text) > EXAMPLE_LINES:
                    text = [*text[:EXAMPLE_LINES], "# ..."]
                return file.name, "\n".join(text)
    return None


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def section_text(model: type[BaseModel], paths: list[str], kind: str) -> list[str]:
    lines = [f"### {model.__name__}", "", "At: " + ", ".join(f"`{p}`" for p in paths) + ".", ""]
    doc = inspect.getdoc(model)
    if doc and model.__doc__ and "__doc__" in model.__dict__:
        lines += [" ".join(doc.split()), ""]
    lines += ["| field | type | default | description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        lines.append(f"| `{name}` | {_cell(type_text(field.rebuild_annotation()))} | {_cell(default_text(field))} "
                     f"| {_cell(field.description or '')} |")
    shown = example(paths, kind)
    if shown:
        lines += ["", f"Example (from `{shown[0]}`):", "", "```yaml", shown[1], "```"]
    return [*lines, ""]


def undescribed() -> list[str]:
    """Fields without a description, as 'Block.field' (the reference requires one for every field)."""
    return [f"{model.__name__}.{name}" for _, root, _ in ROOTS for model in sections(root)
            for name, field in model.model_fields.items() if not field.exclude and not field.description]


def reference_text() -> str:
    """The whole page."""
    lines = ["# Configuration reference", "",
             "Generated from the schema by `python -m sim.config_reference docs/config.md`; the test suite fails "
             "when it is out of date. Every block below is a YAML mapping; unknown keys are errors. Rates and "
             "shares are fractions (0.25 = 25%), durations are in days (converted to steps by "
             "`time.steps_per_year`), money is in the unit of `io.units`. `docs/model.md` states what each "
             "rule does.", ""]
    for title, root, kind in ROOTS:
        lines += [f"## {title}", ""]
        for model, paths in sections(root).items():
            lines += section_text(model, paths, kind)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write the configuration reference")
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/config.md"))
    args = parser.parse_args(argv)
    args.out.write_text(reference_text(), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
