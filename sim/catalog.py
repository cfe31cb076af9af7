"""What ships with sim, for `sim list`: scenarios, sweep specs and experiment scripts, each with its
one-line description, read from the files without running anything.

A scenario or sweep that gives no `description` of its own shows the file it extends. Experiment
scripts are listed from the checkout's `experiments/` folder when there is one (a wheel has none).
"""

from __future__ import annotations

import ast
from pathlib import Path

from sim.errors import ScenarioError
from sim.scenario import config_dirs, read_yaml

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"


def configs(kind: str) -> list[tuple[str, str]]:
    """(name, description) of every config of `kind` ('scenarios' or 'sweeps'), by name."""
    found: dict[str, str] = {}
    for folder in config_dirs(kind):
        for path in sorted(folder.glob("*.yaml")):
            if path.stem in found:
                continue
            try:
                raw = read_yaml(path, kind.rstrip("s"))
            except ScenarioError as exc:
                found[path.stem] = f"(unreadable: {exc})"
                continue
            text = raw.get("description") or (f"(extends {raw['extends']})" if raw.get("extends") else "")
            found[path.stem] = " ".join(str(text).split())
    return sorted(found.items())


def experiments() -> list[tuple[str, str]]:
    """(script, first sentence of its docstring) of every experiment script in the checkout."""
    rows = []
    for path in sorted(EXPERIMENTS.glob("*.py")) if EXPERIMENTS.is_dir() else []:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if doc and path.stem != "common":
            rows.append((f"experiments/{path.name}", " ".join(doc.split("\n\n")[0].split())))
    return rows


def catalog() -> dict[str, list[dict[str, str]]]:
    """Everything `sim list` shows, as data (`sim list --json`): kind -> [{name, description}]."""
    found = {"scenarios": configs("scenarios"), "sweeps": configs("sweeps"), "experiments": experiments()}
    return {kind: [{"name": name, "description": text} for name, text in rows] for kind, rows in found.items()}


def catalog_text() -> str:
    """The `sim list` listing: one section per kind, one line per item."""
    sections = [("Scenarios (sim run NAME)", configs("scenarios")), ("Sweeps (sim sweep NAME)", configs("sweeps")),
                ("Experiments (python SCRIPT)", experiments())]
    lines = []
    for title, rows in sections:
        if not rows:
            continue
        width = max(len(name) for name, _ in rows)
        lines += [title, *(f"  {name:<{width}}  {text}" for name, text in rows), ""]
    return "\n".join(lines).rstrip()
