"""The result of one validation check: what was measured, the criterion, the verdict, a table and a plot.

Every check in `sim.validation` returns a `CheckResult`. The criterion is written out in words and
evaluated on the measured figures, so the report states exactly what had to hold and the tests
assert the same verdict. The figure is a matplotlib `Figure` built without pyplot (no global state),
written to disk by `sim.validation.report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

PARTS = ("Theory", "Peer model: BoARIO", "The record")


@dataclass
class CheckResult:
    """One check: its id (`part.name`), title, criterion, verdict, headline figures, tables, plot and notes."""

    name: str
    part: str
    title: str
    criterion: str
    passed: bool
    figures: dict[str, float | str | None] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    more_tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # caption -> table, after the main one
    figure: Figure | None = None
    notes: str = ""
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        """PASS or FAIL, for tables and the command line."""
        return "PASS" if self.passed else "FAIL"


def new_figure(columns: int = 1, width: float = 6.0, height: float = 3.6) -> tuple[Figure, list]:
    """A figure with `columns` side-by-side axes, built without pyplot."""
    figure = Figure(figsize=(width * columns, height), layout="constrained")
    axes = figure.subplots(1, columns, squeeze=False)[0]
    return figure, list(axes)
