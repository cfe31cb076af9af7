"""Instability warnings (sim/stability.py, docs/model.md 'Instability warnings'): the detectors on
synthetic series, the window, and real runs on `tiny` through `Results` and `sim run`."""

import json

import numpy as np
import pytest

import sim
from sim import stability
from sim.cli import main
from sim.stability import capacity_shocks, oscillation, shock_quiet_row, sign_changes, spiral

T = np.arange(600.0)
SHOCK = [{"cells": ["MY.chips"], "share": 0.5, "start_day": 5, "duration_days": 20}]
# Sterman's classic cause of oscillation: orders that ignore goods in transit (supply-line weight 0),
# with a quick restoration of the stock gap; on `tiny` this rings for good after the shock
# (with no limit on a supplier's volume: qualified volumes damp restocking bursts on their own)
RINGING = {"capacity_shocks": SHOCK, "engine.order_rule": "supply_line", "engine.supply_line_weight": 0,
           "engine.restoration_days": 3, "engine.volume_flexibility": None}
RINGING_SET = ["engine.order_rule=supply_line", "engine.supply_line_weight=0", "engine.restoration_days=3",
               "engine.volume_flexibility=null",
               "capacity_shocks=[{cells: [MY.chips], share: 0.5, start_day: 5, duration_days: 20}]"]


def sine(amplitude, period=40.0, decay=None, level=1.0):
    envelope = np.ones_like(T) if decay is None else np.exp(-T / decay)
    return level + amplitude * envelope * np.sin(2 * np.pi * T / period)


# -- detectors on numpy arrays ----------------------------------------------------------------------
def test_sign_changes_skip_the_band():
    x = np.array([0.01, 0.004, -0.004, 0.02, -0.001, -0.02, 0.0, -0.03, 0.03])
    assert sign_changes(x)[0] == 2  # outside the band: + + - - +
    assert sign_changes(x, band=0.0)[0] == 4  # + + - + - - (0 skipped) - +
    assert sign_changes(np.column_stack([x, -x, np.zeros_like(x)])).tolist() == [2, 2, 0]


def test_undamped_sine_is_flagged_with_its_figures():
    out = oscillation(sine(0.03))
    assert out["flagged"][0]
    assert out["cuts"] == (200, 400)
    assert 19 <= out["sign_changes"][0] <= 20  # 10 periods of 40 steps over W2 and W3
    assert out["amplitude_late"][0] == pytest.approx(0.03, abs=1e-3)
    assert out["ratio"][0] == pytest.approx(1.0, abs=0.02)
    assert out["centre"][0] == pytest.approx(1.0, abs=1e-3)


def test_oscillation_around_a_new_level_and_a_growing_one_are_flagged():
    assert oscillation(sine(0.02, level=0.85))["flagged"][0]  # e.g. a permanent tariff, still ringing
    assert oscillation(1 + 0.01 * np.exp(T / 400) * np.sin(2 * np.pi * T / 40))["flagged"][0]


def test_damped_oscillation_is_not_flagged():
    damped = oscillation(sine(0.05, decay=150.0))  # the swing shrinks by e^(-200/150) = 0.26 per third
    assert not damped["flagged"][0] and damped["ratio"][0] < 0.3
    assert damped["sign_changes"][0] >= 3  # it does ring: the amplitude rule is what clears it


def test_amplitude_threshold_is_0_8_per_third():
    # decay per third = exp(-200 / tau): 0.9 stays flagged, 0.7 does not
    slow, fast = sine(0.05, decay=-200 / np.log(0.9)), sine(0.05, decay=-200 / np.log(0.7))
    out = oscillation(np.column_stack([slow, fast]))
    assert out["flagged"].tolist() == [True, False]
    assert out["ratio"][0] == pytest.approx(0.9, abs=0.02) and out["ratio"][1] == pytest.approx(0.7, abs=0.02)


def test_small_swings_short_windows_and_monotone_recoveries_are_not_flagged():
    assert not oscillation(sine(0.004))["flagged"][0]  # inside the 0.5% band
    assert not oscillation(sine(0.03)[:29])["flagged"][0]  # window shorter than 30 steps
    assert oscillation(sine(0.03, period=8)[:30])["flagged"][0]
    recovery = 1 - 0.1 * np.exp(-T / 100) + 0.003 * np.sin(2 * np.pi * T / 40)
    assert not oscillation(recovery)["flagged"][0]
    late_step = oscillation(np.where(T < 500, 1.0, 1.05))  # as large late as in the middle, but one crossing
    assert late_step["ratio"][0] >= 0.8 and late_step["sign_changes"][0] == 1 and not late_step["flagged"][0]


def test_collapsing_series_is_a_spiral():
    collapsing = np.minimum(1.0, 1.3 - (T / 400) ** 2)  # an accelerating fall that crosses 50%
    out = spiral(collapsing, tail_steps=60, fall_steps=60)
    assert out["ends_low"][0] and out["long_fall"][0] and out["flagged"][0]
    assert out["tail_mean"][0] < 0.5 and out["last"][0] < out["tail_first"][0]
    assert out["fall_halves"][1, 0] >= out["fall_halves"][0, 0]
    assert out["fall_start"][0] == np.flatnonzero(collapsing < 1.0)[0] - 1  # where it left its plateau


def test_long_fall_that_keeps_its_pace_is_a_spiral_even_above_half():
    steady_fall = 1.0 - 0.3 * T / 600  # 30 points in 600 steps, not slowing down, ends at 70%
    out = spiral(steady_fall, tail_steps=60, fall_steps=60)
    assert out["long_fall"][0] and not out["ends_low"][0]
    assert out["fall_drop"][0] == pytest.approx(0.3 * 599 / 600)


def test_settling_levels_recoveries_and_stuck_levels_are_not_spirals():
    settling = 0.4 + 0.6 * np.exp(-T / 60)  # trade diverted by a tariff: slows down as it goes
    stuck = np.where(T < 100, 1.0 - T / 100, 0.0)  # fell to zero and stopped: a new level
    v_shape = np.minimum(1.0, 0.3 + np.abs(T - 300) / 300)  # spiral that turned around
    oscillating = sine(0.3, period=100, level=0.45)  # dips below 50% but rises again within the tail
    levels = np.column_stack([settling, stuck, v_shape, oscillating])
    out = spiral(levels, tail_steps=60, fall_steps=60)
    assert not out["flagged"].any(), out
    # the slow-settling series fails only the not-slowing-down rule of a long fall
    looser = spiral(settling, tail_steps=60, fall_steps=60, band=1e-9, tail_fall=0.0, collapse_level=1.0)
    assert looser["fall_halves"][1, 0] < looser["fall_halves"][0, 0] and not looser["long_fall"][0]


def test_shock_quiet_row():
    assert shock_quiet_row((5, 20, 0), 120, 1.0) == 25
    assert shock_quiet_row((5, 20, 10), 120, 1.0) == 35
    assert shock_quiet_row((5, 20, 200), 120, 1.0) == 120  # still recovering at the end
    assert shock_quiet_row((5, 1000, 0), 120, 1.0) == 5  # in force to the end: a change on day 5 only
    assert shock_quiet_row((500, 20, 0), 120, 1.0) == 0  # after the run
    assert shock_quiet_row((5, 20, 0), 120, 2.0) == 13


def test_detectors_are_cheap_on_thousands_of_steps_and_cells():
    import time

    rng = np.random.default_rng(0)
    levels = 1 + 0.01 * rng.standard_normal((2000, 2000))
    started = time.perf_counter()
    oscillation(levels), spiral(levels, 200, 60)
    assert time.perf_counter() - started < 10


# -- real runs ------------------------------------------------------------------------------------
def run_tiny(overrides, steps):
    scenario = sim.load_scenario("tiny", overrides=overrides)
    results = sim.run(scenario, steps=steps)
    return results, capacity_shocks(scenario)


def test_damped_shock_on_tiny_gives_no_warning():
    results, shocks = run_tiny({"capacity_shocks": SHOCK, "engine.volume_flexibility": None}, steps=365)
    level = results.arrays["output"].sum(axis=1) / results.reference("output").sum(axis=1)
    assert level.min() < 0.96 and level.max() > 1.02  # a real shock, with an overshoot that dies out
    assert results.warnings() == [] and results.summary()["warnings"] == []
    results.capacity_shocks = shocks
    assert results.warnings() == [] and results.summary()["warnings"] == []
    # the ringing configuration on the same network does warn, so the check above can fail
    ringing, shocks = run_tiny(RINGING, steps=365)
    ringing.capacity_shocks = shocks
    assert ringing.warnings()


def test_ringing_run_warns_of_undamped_oscillation_in_results():
    results, shocks = run_tiny(RINGING, steps=365)
    assert results.capacity_shocks == shocks  # sim.run's results know the scenario's shocks
    results.capacity_shocks = None
    fallback = results.warnings()  # no capacity shocks known: second half of the run
    results.capacity_shocks = shocks
    warnings = results.warnings()
    for found, first_day in ((fallback, 183.0), (warnings, 26.0)):
        total = [w for w in found if w["series"] == "total output"]
        assert len(total) == 1
        w = total[0]
        assert w["kind"] == "undamped_oscillation" and w["window_days"] == [first_day, 365.0]
        f = w["figures"]
        assert f["sign_changes"] >= 3 and f["amplitude_ratio"] >= 0.8 and f["amplitude_late_pct"] > 2
        assert w["message"].startswith("undamped oscillation in total output, days ")
    assert results.summary()["warnings"] == warnings
    cells = [w for w in warnings if w["series"].startswith("output ")]
    assert cells and all(w["kind"] == "undamped_oscillation" for w in cells)
    assert all(w["figures"]["cells_flagged"] == len(cells) for w in cells)
    late = [w["figures"]["amplitude_late_pct"] for w in cells]
    assert late == sorted(late, reverse=True)  # worst first
    assert not [w for w in warnings if w["kind"] == "shortage_spiral"]


def test_policy_changes_move_the_window():
    tariff = [{"importer": "US", "exporters": ["CN"], "rate": 0.3, "start_day": 100}]
    results, shocks = run_tiny(RINGING | {"tariffs.applied": tariff}, steps=365)
    assert stability.policy_quiet_row(results) == 100
    assert stability.window_start(results, shocks)[0] == 100
    assert stability.window_start(results, None)[0] == 182
    results.capacity_shocks = shocks
    assert all(w["window_days"][0] == 101.0 for w in results.warnings())


def test_sim_run_writes_and_prints_the_warnings(tmp_path, capsys):
    args = ["run", "tiny", "--steps", "365", "--quiet", "--out", str(tmp_path)]
    for text in RINGING_SET:
        args += ["--set", text]
    assert main(args) == 0
    printed = capsys.readouterr().err  # warnings go to stderr, even with --quiet
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["warnings"], "the ringing run must warn"
    total = summary["warnings"][0]
    assert total["kind"] == "undamped_oscillation" and total["series"] == "total output"
    assert total["window_days"] == [26.0, 365.0]
    lines = [line for line in printed.splitlines() if line.startswith("warning:")]
    assert lines == [f"warning: {w['message']}" for w in summary["warnings"]]


def test_sim_run_without_instability_writes_an_empty_list(tmp_path, capsys):
    shock = "capacity_shocks=[{cells: [MY.chips], share: 0.5, start_day: 5, duration_days: 20}]"
    assert main(["run", "tiny", "--steps", "200", "--quiet", "--out", str(tmp_path), "--set", shock]) == 0
    assert json.loads((tmp_path / "summary.json").read_text())["warnings"] == []
    assert "warning:" not in capsys.readouterr().out
