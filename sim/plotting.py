"""What every figure shares: distinct line styles for many series and a time axis in dates when the scenario has them.

`colours` gives each name its own (colour, line style): the ten colours of matplotlib's tab10, solid, then
the same ten dashed, then dotted, so twelve sectors or thirteen economies never share a look; a total
comes first, in black. `step_times` and `day_times` give the x values of a run's steps or of days as
calendar dates (from the scenario's `time.start_date`, with concise date ticks) or as days, and label
the axis to match.
"""

from __future__ import annotations

import datetime

import matplotlib.dates as mdates
import numpy as np
from matplotlib import colormaps

STYLES = ("-", "--", ":", "-.")


def colours(names: list, total: bool = False) -> list[tuple[str | tuple, str]]:
    """(colour, line style) for each name, in order; with `total`, a black solid line first."""
    palette = colormaps["tab10"].colors
    looks = [(palette[i % len(palette)], STYLES[(i // len(palette)) % len(STYLES)]) for i in range(len(names))]
    return [("black", "-"), *looks] if total else looks


def day_times(ax, days: np.ndarray, start_date: datetime.date | None, what: str = "") -> np.ndarray:
    """x values on `ax` for days counted from day 0 (the event log's days): dates from `start_date`, with
    concise date ticks, or the days themselves; the axis label says which (`what` adds to it)."""
    days = np.asarray(days, float)
    if start_date is None:
        ax.set_xlabel(f"day{what}")
        return days
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel(f"date{what}")
    return np.datetime64(start_date, "h") + np.rint(days * 24).astype("timedelta64[h]")


def step_times(ax, steps: int, days_per_step: float, start_date: datetime.date | None) -> np.ndarray:
    """x values on `ax` for steps 1..steps: the date each step starts on (as its events are dated), or without
    dates the day each step ends on (day 1 for the first daily step, as the metrics count)."""
    if start_date is None:
        return day_times(ax, np.arange(1, steps + 1) * days_per_step, None)
    return day_times(ax, np.arange(steps) * days_per_step, start_date)
