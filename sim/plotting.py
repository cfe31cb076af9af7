"""What every figure shares: distinct line styles for many series and a time axis in dates when the scenario has them.

`colours` gives each name its own (colour, line style): the ten colours of matplotlib's tab10, solid, then
the same ten dashed, then dotted, so twelve sectors or thirteen economies never share a look; a total
comes first, in black. `day_axis` gives the x values of a run's steps as calendar dates (from the
scenario's `time.start_date`) or as days, with the axis label to match.
"""

from __future__ import annotations

import datetime

import numpy as np
from matplotlib import colormaps

STYLES = ("-", "--", ":", "-.")


def colours(names: list, total: bool = False) -> list[tuple[str | tuple, str]]:
    """(colour, line style) for each name, in order; with `total`, a black solid line first."""
    palette = colormaps["tab10"].colors
    looks = [(palette[i % len(palette)], STYLES[(i // len(palette)) % len(STYLES)]) for i in range(len(names))]
    return [("black", "-"), *looks] if total else looks


def day_axis(steps: int, days_per_step: float, start_date: datetime.date | None) -> tuple[np.ndarray, str]:
    """(x values, label) for steps 1..steps: dates from `start_date` if given, else days."""
    days = np.arange(1, steps + 1) * days_per_step
    if start_date is None:
        return days, "day"
    return np.datetime64(start_date) + days.astype("timedelta64[D]"), "date"
