"""Instability warnings: output that oscillates without damping, or collapses in a shortage spiral.

ARIO-type models can ring for ever (orders chasing inventories over long lead times) or spiral
down (shortages cut output, which cuts deliveries, which causes shortages). These detectors look
at output *levels* `L = run / reference` (total output and each cell's, the reference being the
baseline run or the calibrated steady state) in the **window**: the rows of the run from the first
step after which no exogenous input changes any more (capacity shocks, policy tensors, policy
events), to the end. When the capacity shocks of the run are not attached to the results, the
window starts no earlier than half the run. Everything is vectorised over series (columns) and
deterministic; the thresholds are module constants and docs/model.md ("Instability warnings")
states the rules.

**Undamped oscillation** of a series over a window of `n >= MIN_WINDOW_STEPS` steps, cut into
thirds W1 (rows < n//3), W2 (n//3 <= row < 2n//3) and W3 (the rest): let `c` be the median of L
over W3 (the level the series ends around) and `x = L - c`; then all of
  * at least `MIN_SIGN_CHANGES` sign changes of `x` over W2 and W3, counting only steps with
    `|x| > BAND` (steps inside the band neither break nor make a change),
  * `A3 >= MIN_AMPLITUDE_RATIO * A2`, with `Ak = max |x|` over Wk,
  * `A3 > BAND`.
W1, which holds the response to the last shock, is left out, so a ringing smaller than the initial
response is still found; a decaying oscillation loses more than 20% of its swing per third.

**Shortage spiral** of a series: it is still falling at the end of the run, i.e. over the run's
last tenth (`max(1, steps // 10)` steps, as the summary's final level; only its steps inside the
window) L never rises (no step up by more than `RISE_TOLERANCE`) and ends more than `BAND` lower
than it began; and either
  * *ends low*: the mean of L over that last tenth is below `COLLAPSE_LEVEL` and L lost at least
    `TAIL_FALL` of its own level across it, or
  * *long fall*: the fall under way at the end, from the last step L stood at its last peak (after
    the last rise, or the window's start), has lasted at least `FALL_DAYS` days, lost at least
    `FALL_DROP` (in shares of the reference), and does not slow down: it lost at least as much over
    its second half as over its first.
A series settling towards a new, lower level (trade diverted by a tariff, demand adjusting with a
time constant) slows down as it goes and is not a spiral; one that stopped falling is a new level,
whatever its cause. The rules see output only, not why it fell.
Capacity is not recorded, so "capacity available" means after the last exogenous change: a shock
still in force at the end counts as a change on its first day only (the capacity then stays put,
and a fall after that is the network's own doing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

BAND = 0.005  # 0.5% of the reference: smaller swings neither count as sign changes nor as amplitude
MIN_SIGN_CHANGES = 3  # over the last two thirds of the window
MIN_AMPLITUDE_RATIO = 0.8  # largest swing in the last third against the middle third
MIN_WINDOW_STEPS = 30  # shorter windows are not tested for oscillation
COLLAPSE_LEVEL = 0.5  # share of the reference below which an ending level counts as collapsed
TAIL_FALL = 0.1  # share of its own level a low series must lose over the last tenth to count as still collapsing
FALL_DAYS = 60.0  # a fall without a rise this long ...
FALL_DROP = 0.2  # ... and this deep (share of the reference) is a spiral
RISE_TOLERANCE = 1e-6  # a step up by at most this much (share of the reference) is no rise
MAX_CELL_WARNINGS = 5  # per kind: the worst cells are reported, with the number flagged

OSCILLATION = "undamped_oscillation"
SPIRAL = "shortage_spiral"


def _columns(levels: np.ndarray) -> np.ndarray:
    levels = np.asarray(levels, dtype=float)
    return levels[:, None] if levels.ndim == 1 else levels


def sign_changes(x: np.ndarray, band: float = BAND) -> np.ndarray:
    """Per column of `x` (steps x series): how often the sign flips between successive steps
    outside `[-band, band]` (steps inside the band are skipped).

    >>> int(sign_changes(np.array([0.01, 0.002, -0.01, -0.004, 0.02]))[0])
    2
    """
    x = _columns(x)
    sign = np.where(x > band, 1, np.where(x < -band, -1, 0)).astype(np.int8)
    rows = np.arange(len(x), dtype=np.int64)[:, None]
    last = np.maximum.accumulate(np.where(sign != 0, rows, -1), axis=0)  # last step outside the band
    held = np.where(last >= 0, np.take_along_axis(sign, np.maximum(last, 0), axis=0), 0)
    return (held[1:] * held[:-1] < 0).sum(axis=0) if len(x) > 1 else np.zeros(x.shape[1], dtype=np.int64)


def oscillation(levels: np.ndarray, band: float = BAND, min_changes: int = MIN_SIGN_CHANGES,
                min_ratio: float = MIN_AMPLITUDE_RATIO, min_steps: int = MIN_WINDOW_STEPS) -> dict[str, np.ndarray]:
    """The undamped-oscillation test on each column of `levels` (window steps x series, run/reference).

    Returns arrays per series: `flagged`, `sign_changes` (over W2 and W3), `centre` (median of W3),
    `amplitude_mid` (A2), `amplitude_late` (A3), `ratio` (A3 / A2, inf if A2 is 0); and the cut
    points `cuts` = (n // 3, 2n // 3).

    >>> t = np.arange(600.0)
    >>> bool(oscillation(1 + 0.03 * np.sin(2 * np.pi * t / 40))["flagged"][0])
    True
    >>> bool(oscillation(1 + 0.03 * np.exp(-t / 100) * np.sin(2 * np.pi * t / 40))["flagged"][0])
    False
    """
    levels = _columns(levels)
    n, k = levels.shape
    i1, i2 = n // 3, 2 * n // 3
    if n < min_steps or k == 0:
        zeros = np.zeros(k)
        return {"flagged": np.zeros(k, dtype=bool), "sign_changes": zeros.astype(np.int64), "centre": zeros + 1.0,
                "amplitude_mid": zeros, "amplitude_late": zeros, "ratio": zeros, "cuts": (i1, i2)}
    centre = np.median(levels[i2:], axis=0)
    x = levels[i1:] - centre
    changes = sign_changes(x, band)
    swing = np.abs(x)
    a2, a3 = swing[: i2 - i1].max(axis=0), swing[i2 - i1:].max(axis=0)
    ratio = np.divide(a3, a2, out=np.full(k, np.inf), where=a2 > 0)
    flagged = (changes >= min_changes) & (a3 >= min_ratio * a2) & (a3 > band)
    return {"flagged": flagged, "sign_changes": changes, "centre": centre, "amplitude_mid": a2,
            "amplitude_late": a3, "ratio": ratio, "cuts": (i1, i2)}


def spiral(levels: np.ndarray, tail_steps: int, fall_steps: int, collapse_level: float = COLLAPSE_LEVEL,
           band: float = BAND, tail_fall: float = TAIL_FALL, fall_drop: float = FALL_DROP,
           rise_tolerance: float = RISE_TOLERANCE) -> dict[str, np.ndarray]:
    """The shortage-spiral test on each column of `levels` (window steps x series, run/reference).

    `tail_steps`: the steps of the run's last tenth that lie in the window (its last rows);
    `fall_steps`: the shortest fall (in steps) that counts. Returns arrays per series: `ends_low`,
    `long_fall`, `flagged` (either), `tail_mean`, `tail_first`, `last` (levels), and for the fall
    under way at the last row `fall_start` (window row where it left its last peak),
    `fall_length` (steps), `fall_drop` (level at its start minus the last level) and
    `fall_halves` (drops over its first and its second half, a (2 x series) array).

    >>> t = np.arange(200.0)
    >>> out = spiral(np.minimum(1.0, 1.4 - t / 150), tail_steps=20, fall_steps=60)
    >>> bool(out["ends_low"][0]), bool(out["long_fall"][0])
    (True, True)
    >>> out = spiral(0.4 + 0.6 * np.exp(-t / 30), tail_steps=20, fall_steps=60)  # settling at a new level
    >>> bool(out["flagged"][0])
    False
    """
    levels = _columns(levels)
    n, k = levels.shape
    cols = np.arange(k)
    last = levels[-1]
    rise = np.diff(levels, axis=0) > rise_tolerance  # rise[t]: row t + 1 is above row t
    rows = np.arange(n, dtype=np.int64)[:, None]
    peak = np.where(rise, rows[1:], 0).max(axis=0) if n > 1 else np.zeros(k, dtype=np.int64)  # after the last rise
    # the fall begins where the level leaves its peak (a plateau at the peak is not part of it)
    plateau = (rows >= peak) & (levels >= levels[peak, cols] - rise_tolerance)
    start = peak + plateau.sum(axis=0) - 1
    tail_len = min(tail_steps, n)
    tail = levels[n - tail_len:]
    if tail_len >= 2:
        tail_mean, tail_first = tail.mean(axis=0), tail[0]
        falling = (peak <= n - tail_len) & (last < tail_first - band)  # no rise in the tail, and down
    else:
        tail_mean = tail_first = np.full(k, np.nan)
        falling = np.zeros(k, dtype=bool)
    ends_low = falling & (tail_mean < collapse_level) & (last <= (1 - tail_fall) * tail_first)
    length = (n - 1) - start
    middle = start + length // 2
    halves = np.vstack((levels[start, cols] - levels[middle, cols], levels[middle, cols] - last))
    drop = halves.sum(axis=0)
    long_fall = falling & (length >= fall_steps) & (drop >= fall_drop) & (halves[1] >= halves[0])
    return {"ends_low": ends_low, "long_fall": long_fall, "flagged": ends_low | long_fall,
            "tail_mean": tail_mean, "tail_first": tail_first, "last": last,
            "fall_start": start, "fall_length": length, "fall_drop": drop, "fall_halves": halves}


# -- the window ------------------------------------------------------------------------------------
def capacity_shocks(scenario) -> list[tuple[float, float, float]]:
    """(start_day, duration_days, recovery_days) of each of a scenario's capacity shocks."""
    return [(s.start_day, s.duration_days, s.recovery_days) for s in scenario.capacity_shocks]


def shock_quiet_row(shock: tuple[float, float, float], steps: int, days_per_step: float) -> int:
    """First row (0-based step) from which a capacity shock no longer changes capacity in a run of `steps`.

    Row i runs on day i * days_per_step (as `CapacityShocks.capacity`). A shock whose full loss lasts
    past the run changes capacity on its first day only; one still recovering at the end, until the end.
    """
    start, duration, recovery = shock
    first = math.ceil(start / days_per_step - 1e-9)
    lifted = math.ceil((start + duration) / days_per_step - 1e-9)
    back = math.ceil((start + duration + recovery) / days_per_step - 1e-9)
    if first >= steps:
        return 0
    if lifted >= steps:
        return first
    return min(back, steps)


def policy_quiet_row(results) -> int:
    """First row from which the recorded tariff and export-control tensors stay the same and no policy
    event is logged; a relocation decided but not completed keeps capacity moving to the end."""
    quiet = 0
    for name in ("tariff", "export_block"):
        rows = results.arrays.get(name)
        if rows is None or len(rows) == 0:
            continue
        previous = np.vstack((results.steady[name][None, :], rows[:-1]))
        changed = np.flatnonzero((rows != previous).any(axis=1))
        if len(changed):
            quiet = max(quiet, int(changed[-1]))
    events = results.events
    if len(events):
        quiet = max(quiet, int(events["step"].max()) - 1)
        relocation = events[events["rule"] == "relocation"]
        for _, plan in relocation.groupby(["actor", "partner", "sectors"], sort=True):
            if (plan["action"] == "decide relocation").any() and not (plan["action"] == "relocation complete").any():
                quiet = results.steps
    return min(quiet, results.steps)


def window_start(results, shocks: Sequence[tuple[float, float, float]] | None) -> tuple[int, str]:
    """The window's first row and how it was chosen."""
    steps, dps = results.steps, results.days_per_step
    start = policy_quiet_row(results)
    if shocks is None:
        start = max(start, steps // 2)
        return start, "second half of the run or later (capacity shocks not attached to the results)"
    for shock in shocks:
        start = max(start, shock_quiet_row(shock, steps, dps))
    return start, "after the last capacity-shock or policy change"


# -- warnings ----------------------------------------------------------------------------------------
def _day(row: int, dps: float) -> float:
    """Day at the end of 0-based step `row`, as in the summary table (step k ends on day k * days_per_step)."""
    return float((row + 1) * dps)


def _pct(value: float) -> float:
    return round(100 * float(value), 3)


def _ratio(value: float) -> float | None:
    """A ratio for JSON: None where it is infinite (no swing in the middle third)."""
    return round(float(value), 3) if np.isfinite(value) else None


def _days(a: float, b: float) -> str:
    return f"days {a:g}-{b:g}"


def find_warnings(results, shocks: Sequence[tuple[float, float, float]] | None = None) -> list[dict]:
    """Warnings of undamped oscillation and shortage spirals in `results` (a `sim.results.Results`).

    Each warning: `kind` ('undamped_oscillation' or 'shortage_spiral'), `series` ('total output' or
    'output <economy>.<sector>'), `window_days` [first, last], `window_rule`, `figures` (the numbers
    that triggered it) and `message` (one line). Cells: at most MAX_CELL_WARNINGS per kind, the worst
    first, with `cells_flagged` in their figures.
    """
    steps, dps = results.steps, results.days_per_step
    if steps == 0:
        return []
    w0, rule = window_start(results, shocks)
    if w0 >= steps:
        return []
    run, ref = results.arrays["output"][w0:], results.reference("output")[w0:]
    labels = [f"{e}.{s}" for e in results.economies for s in results.sectors]
    cells = np.flatnonzero((ref > 0).all(axis=0))
    total_ref = ref.sum(axis=1)
    if not (total_ref > 0).all():
        return []
    levels = np.column_stack((run.sum(axis=1) / total_ref, run[:, cells] / ref[:, cells]))
    names = ["total output"] + [f"output {labels[c]}" for c in cells]
    window = [_day(w0, dps), _day(steps - 1, dps)]
    base = {"window_days": window, "window_rule": rule}
    out: list[dict] = []

    osc = oscillation(levels)
    i1, i2 = osc["cuts"]
    mid_days, late_days = [_day(w0 + i1, dps), _day(w0 + i2 - 1, dps)], [_day(w0 + i2, dps), window[1]]
    mid, late = _days(*mid_days), _days(*late_days)
    n = len(levels)

    def osc_warning(j: int, flagged_cells: int | None) -> dict:
        figures = {"sign_changes": int(osc["sign_changes"][j]), "band_pct": _pct(BAND),
                   "centre_pct": _pct(osc["centre"][j]), "amplitude_mid_pct": _pct(osc["amplitude_mid"][j]),
                   "amplitude_late_pct": _pct(osc["amplitude_late"][j]),
                   "amplitude_ratio": _ratio(osc["ratio"][j]), "min_amplitude_ratio": MIN_AMPLITUDE_RATIO,
                   "mid_days": mid_days, "late_days": late_days}
        if flagged_cells is not None:
            figures["cells_flagged"] = flagged_cells
        message = (f"undamped oscillation in {names[j]}, {_days(*window)}: {figures['sign_changes']} sign changes "
                   f"outside +/-{figures['band_pct']:g}% around its end level ({figures['centre_pct']:.1f}% of "
                   f"reference) in {mid} and {late}; largest deviation from it {figures['amplitude_late_pct']:.2f}% of "
                   f"reference in {late} vs {figures['amplitude_mid_pct']:.2f}% in {mid} (ratio "
                   f"{'inf' if figures['amplitude_ratio'] is None else format(figures['amplitude_ratio'], '.2f')} >= "
                   f"{MIN_AMPLITUDE_RATIO:g})")
        return {"kind": OSCILLATION, "series": names[j], **base, "figures": figures,
                "message": message + _cells_note(flagged_cells)}

    tail_steps = min(max(1, steps // 10), n)
    fall_steps = math.ceil(FALL_DAYS / dps - 1e-9)
    spi = spiral(levels, tail_steps, fall_steps)

    def spiral_warning(j: int, flagged_cells: int | None) -> dict:
        rules, parts = [], []
        figures: dict = {}
        if spi["ends_low"][j]:
            rules.append("ends low and still falling")
            tail_days = [_day(steps - tail_steps, dps), window[1]]
            figures |= {"final_level_pct": _pct(spi["tail_mean"][j]), "collapse_level_pct": _pct(COLLAPSE_LEVEL),
                        "tail_days": tail_days, "tail_start_level_pct": _pct(spi["tail_first"][j]),
                        "end_level_pct": _pct(spi["last"][j]), "min_tail_fall_pct": _pct(TAIL_FALL)}
            parts.append(f"ends at {figures['final_level_pct']:.1f}% of reference (mean of {_days(*tail_days)}, "
                         f"below {figures['collapse_level_pct']:g}%) and still collapsing, from "
                         f"{figures['tail_start_level_pct']:.1f}% to {figures['end_level_pct']:.1f}% in that time")
        if spi["long_fall"][j]:
            rules.append("long fall")
            a, b = int(spi["fall_start"][j]), n - 1
            fall_days = [_day(w0 + a, dps), _day(w0 + b, dps)]
            figures |= {"fall_days": fall_days, "fall_length_days": float((b - a) * dps),
                        "fall_from_pct": _pct(levels[a, j]), "fall_to_pct": _pct(levels[b, j]),
                        "fall_drop_pct": _pct(spi["fall_drop"][j]), "min_fall_days": FALL_DAYS,
                        "min_fall_drop_pct": _pct(FALL_DROP),
                        "fall_first_half_pct": _pct(spi["fall_halves"][0, j]),
                        "fall_second_half_pct": _pct(spi["fall_halves"][1, j])}
            parts.append(f"no rise in the last {figures['fall_length_days']:g} days ({_days(*fall_days)}), down "
                         f"from {figures['fall_from_pct']:.1f}% to {figures['fall_to_pct']:.1f}% of reference, "
                         f"{figures['fall_second_half_pct']:.1f} points in the second half vs "
                         f"{figures['fall_first_half_pct']:.1f} in the first")
        if flagged_cells is not None:
            figures["cells_flagged"] = flagged_cells
        message = f"shortage spiral in {names[j]}, {_days(*window)}: " + "; ".join(parts)
        return {"kind": SPIRAL, "series": names[j], **base, "rules": rules, "figures": figures,
                "message": message + _cells_note(flagged_cells)}

    if osc["flagged"][0]:
        out.append(osc_warning(0, None))
    flagged = np.flatnonzero(osc["flagged"][1:]) + 1
    worst = flagged[np.argsort(-osc["amplitude_late"][flagged], kind="stable")][:MAX_CELL_WARNINGS]
    out += [osc_warning(int(j), len(flagged)) for j in worst]
    if spi["flagged"][0]:
        out.append(spiral_warning(0, None))
    flagged = np.flatnonzero(spi["flagged"][1:]) + 1
    worst = flagged[np.argsort(spi["last"][flagged], kind="stable")][:MAX_CELL_WARNINGS]
    out += [spiral_warning(int(j), len(flagged)) for j in worst]
    return out


def _cells_note(flagged: int | None) -> str:
    if flagged is None or flagged <= MAX_CELL_WARNINGS:
        return ""
    return f" [{flagged} cells flagged, the worst {MAX_CELL_WARNINGS} reported]"
