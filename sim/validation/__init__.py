"""Validation of the simulator against theory, a peer model (BoARIO) and the record.

`run_checks(quick=...)` runs every check (`sim.validation.suite.CHECKS`) and returns `CheckResult`s,
each with its measured figures, a table, a plot and an explicit pass/fail criterion;
`write_report(results, out)` writes OUT/validation.md and its figures. The command line is
`sim validate [--out DIR] [--quick]` (default OUT: results/validation; `make validate` writes
docs/). BoARIO and pymrio come with the `validation` extra. Names are imported on first use, so
`sim` starts without loading them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"CHECKS": "sim.validation.suite", "run_checks": "sim.validation.suite",
            "CheckResult": "sim.validation.result", "write_report": "sim.validation.report"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first access."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sim.validation' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
