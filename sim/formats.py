"""How figures read in printed tables and event logs, the same in every report.

Days become dates where the scenario has a `time.start_date` (day 0), rates and shares are printed
as percentages, a negative zero prints as 0, an undefined figure prints as one marker per meaning
(`NOT_RECOVERED`, `NO_LOSS`, `NA`), and an event prints a value only where its action has one (a tariff,
a blocked share, an offer's cut), never "= 0" on an action that carries none.
"""

from __future__ import annotations

import datetime
import math
import textwrap

NOT_RECOVERED = "not recovered"  # the series was still (or again) below the band too close to the end of the run
NO_LOSS = "-"  # the series never fell below the band: no peak day, no recovery needed
NA = "n/a"  # any other figure that is undefined

# event action -> how its value reads ({} is the value in %); actions not listed carry no value
EVENT_VALUES = {
    "add tariff": "+{}% duty",
    "set tariff": "{}% duty",
    "retaliate (tariff)": "+{}% duty",
    "retaliate (export_control)": "{}% blocked",
    "export control": "{}% blocked",
    "export licensing": "{}% delayed",
    "offer": "cuts {}% of tariff lines",
    "decide relocation": "{}% of capacity",
    "relocation complete": "{}% of capacity",
}


def number(value: float | None, digits: int = 2, missing: str = NA) -> str:
    """A figure with thousands separators; `missing` for None or NaN; never '-0.00'.

    >>> number(-0.001), number(1234.5, 1), number(None)
    ('0.00', '1,234.5', 'n/a')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def percent(share: float, digits: int = 1) -> str:
    """A share as a percentage: 0.425 -> '42.5' (trailing zeros dropped: 0.1 -> '10')."""
    text = f"{100 * share:.{digits}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def day_text(day: float | None, start_date: datetime.date | None, missing: str = NO_LOSS) -> str:
    """A day of the run (counted from day 0) as a date when the scenario has one ('2025-06-15'), else 'day 151'."""
    if day is None or (isinstance(day, float) and math.isnan(day)):
        return missing
    if start_date is None:
        return f"day {day:g}"
    return (start_date + datetime.timedelta(days=math.floor(day))).isoformat()


def step_date(step: float, days_per_step: float, start_date: datetime.date) -> datetime.date:
    """The date step `step` (1, 2, ...) starts on, as its events are dated; step 0, the calibrated steady state
    before the run, gets the start date too."""
    return start_date + datetime.timedelta(days=math.floor(max(step - 1, 0) * days_per_step))


def step_day_text(end_day: float | None, days_per_step: float, start_date: datetime.date | None) -> str:
    """A step given by the day it ends (as metrics count: the first step ends on day `days_per_step`) as the
    date it starts on (`step_date`), the date its events carry; 'day N' (its end day) without dates."""
    if start_date is None or end_day is None or (isinstance(end_day, float) and math.isnan(end_day)):
        return day_text(end_day, start_date)
    return step_date(end_day / days_per_step, days_per_step, start_date).isoformat()


def event_value(action: str, value: float) -> str:
    """What an event's value means, in words; '' for actions without one.

    >>> event_value("add tariff", 0.25), event_value("export control", 0.45), event_value("truce", 0.0)
    ('+25% duty', '45% blocked', '')
    """
    form = EVENT_VALUES.get(action)
    return form.format(percent(value)) if form else ""


DISRUPTION_COLUMNS = ("peak loss %", "peak", "cum. loss (days)", "recovery (days)", "final level %")


def disruption_cells(metrics: dict, start_date: datetime.date | None, days_per_step: float = 1.0) -> list[str]:
    """One series' disruption figures (sim.metrics.disruption) as the cells of a printed row."""
    recovery = metrics.get("recovery_days")
    return [number(metrics.get("peak_loss_pct")),
            step_day_text(metrics.get("peak_day"), days_per_step, start_date),
            number(metrics.get("cumulative_loss_days")),
            NO_LOSS if recovery == 0 else number(recovery, 0, missing=NOT_RECOVERED),
            number(metrics.get("final_level_pct"))]


def table_lines(header: list[str], rows: list[tuple[str, list[str]]]) -> list[str]:
    """An aligned text table: labels left, cells right, a rule under the header."""
    width = max([len(label) for label, _ in rows] + [0])
    widths = [max([len(h)] + [len(cells[i]) for _, cells in rows]) for i, h in enumerate(header)]
    line = f"{'':<{width}}" + "".join(f"  {h:>{w}}" for h, w in zip(header, widths, strict=True))
    out = [line, "-" * len(line)]
    out += [f"{label:<{width}}" + "".join(f"  {c:>{w}}" for c, w in zip(cells, widths, strict=True))
            for label, cells in rows]
    return out


def reference_text(reference: str) -> str:
    """What the run is compared with, in words."""
    if reference == "baseline run":
        return ("the baseline run: the same scenario, network and seed without its applied tariffs, export controls, "
                "rules and capacity shocks (calibration-year tariffs stay)")
    return "the calibrated steady state"


def disruption_legend(reference: str, band: float, persistence_days: float) -> list[str]:
    """The lines under a disruption table: reference, sign, units, the recovery band and the markers."""
    band_pct = percent(band)
    return legend(
        f"Against {reference_text(reference)}. Loss = 1 - run / reference, in % of the reference; negative losses "
        "are gains.",
        "peak: the day of the largest loss. cum. loss: days of reference flow lost over the run (gains subtract). "
        f"recovery: days from the first day more than {band_pct}% below the reference to the day after which it "
        f"stays within {band_pct}% (for at least {persistence_days:g} days, to the end of the run); "
        f"'{NOT_RECOVERED}': not so by the end; '{NO_LOSS}': never more than {band_pct}% below. "
        "final level: the run as % of the reference over the last tenth of the run.")


def legend(*paragraphs: str, width: int = 110) -> list[str]:
    """Notes under a printed table, wrapped to `width`."""
    return [line for text in paragraphs for line in textwrap.wrap(text, width)]
