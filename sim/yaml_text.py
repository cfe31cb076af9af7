"""YAML text to Python values, bounded: no input can make reading it, or reporting it, run away.

PyYAML shares aliased nodes, so a few hundred bytes of nested aliases (a "billion laughs") stand for
billions of values that any later walk (a merge, a validation, the repr in an error message) would
expand. Before building values, the composed node graph is measured once (each node visited once,
without recursion): a document that expands to more than `MAX_VALUES` values, nests deeper than
`MAX_DEPTH` levels or refers to itself is refused with a `ScenarioError`, as is text nested too
deeply for the parser itself.
"""

from __future__ import annotations

from typing import Any

import yaml

from sim.errors import ScenarioError

MAX_VALUES = 20_000_000  # a dense 150 x 150 IO table written in YAML is ~2.5 million values
MAX_DEPTH = 64  # the deepest shipped scenario nests 6 levels


def load_yaml(text: str, *, file: str | None = None, field: str | None = None) -> Any:
    """The value a YAML document holds; malformed, self-referring, too deep or too large text is a
    one-line `ScenarioError` naming `file` (and `field`, for a value given on the command line)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_extent(node, file, field)
        return loader.construct_document(node)
    except ScenarioError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"malformed YAML: {where}{problem}", file=file, field=field) from None
    except RecursionError:
        raise ScenarioError(f"nested too deeply to read; allowed: at most {MAX_DEPTH} levels",
                            file=file, field=field) from None
    except ValueError as exc:  # a value YAML recognises but cannot build, e.g. the date 2025-13-45
        hint = "; allowed: dates as YYYY-MM-DD" if "date" in str(exc) or "month" in str(exc) else ""
        raise ScenarioError(f"malformed value: {str(exc)[:200]}{hint}", file=file, field=field) from None
    finally:
        loader.dispose()


def _check_extent(root: yaml.Node, file: str | None, field: str | None) -> None:
    """Refuse a node graph that expands past MAX_VALUES, nests past MAX_DEPTH or contains a cycle.

    Depth-first without recursion; each node's expanded size and height are memoised, so a shared
    (aliased) node is walked once however often it is referred to, and a reference to it deep in
    the document still counts its full height.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            on_path.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            if size[key] > MAX_VALUES:
                raise ScenarioError(f"the document expands to more than {MAX_VALUES:,} values (nested YAML "
                                    f"aliases?); allowed: at most {MAX_VALUES:,}", file=file, field=field)
            continue
        depth = len(on_path)
        if key in size:
            if depth + height[key] > MAX_DEPTH:
                raise _too_deep(file, field)
            continue
        if key in on_path:
            raise ScenarioError("a YAML alias refers to the value that contains it; allowed: aliases to "
                                "values defined before and outside them", file=file, field=field)
        if depth >= MAX_DEPTH:
            raise _too_deep(file, field)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _too_deep(file: str | None, field: str | None) -> ScenarioError:
    return ScenarioError(f"nested more than {MAX_DEPTH} levels deep; allowed: at most {MAX_DEPTH}", file=file,
                         field=field)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
