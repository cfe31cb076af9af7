"""Governments' dated schedules: dates, precedence of overlapping entries, exemptions, bad events."""

import datetime

import numpy as np
import pytest

import sim

US, CN, MY = 0, 1, 2
MATERIALS, CHIPS, ELECTRONICS = 0, 1, 2


def tariff_path(tariffs, steps=40, **extra):
    model = sim.SupplyChainModel(sim.load_scenario("tiny", overrides={"tariffs.applied": tariffs, **extra}), rng=1)
    model.run(steps)
    return np.array(model.tariff_history), model


def test_dates_count_from_the_start_date():
    start = {"time.start_date": "2025-04-01"}
    path, _ = tariff_path([{"importer": "US", "exporters": ["CN"], "rate": 0.34, "start_date": "2025-04-09",
                            "end_date": "2025-05-14"}], steps=60, **start)
    day = (datetime.date(2025, 4, 9) - datetime.date(2025, 4, 1)).days
    end = (datetime.date(2025, 5, 14) - datetime.date(2025, 4, 1)).days
    assert np.all(path[:day, US, CN] == 0) and np.all(path[day:end, US, CN] == 0.34) and np.all(path[end:] == 0)


def test_pause_then_exemption_then_later_rate():
    """A 90-day-pause-like path: 24% -> 10% floor -> 19%; chips exempt from day 7 to 30 throughout."""
    tariffs = [
        {"importer": "US", "exporters": ["MY"], "rate": 0.24, "start_day": 5},
        {"importer": "US", "exporters": ["MY"], "rate": 0.10, "start_day": 10},   # pause
        {"importer": "US", "exporters": ["MY"], "sectors": ["electronics"], "rate": 0.05, "start_day": 10},
        {"importer": "US", "exporters": ["MY"], "rate": 0.19, "start_day": 25},
    ]
    exemptions = [{"importer": "US", "exporters": ["MY"], "sectors": ["chips"], "start_day": 7, "end_day": 30}]
    path, model = tariff_path(tariffs, **{"tariffs.exemptions": exemptions})
    my = path[:, US, MY]
    assert np.all(my[:5] == 0)
    assert np.all(my[5:10, MATERIALS] == 0.24) and np.all(my[10:25, MATERIALS] == 0.10)
    assert np.all(my[10:25, ELECTRONICS] == 0.05)  # at the same start, the narrower entry wins
    assert np.all(my[25:, ELECTRONICS] == 0.19)  # a later entry wins over an earlier one
    assert np.all(my[5:7, CHIPS] == 0.24) and np.all(my[7:30, CHIPS] == 0) and np.all(my[30:, CHIPS] == 0.19)
    actions = list(model.results().events["action"])
    assert actions.count("exempt") == 1 and actions.count("exempt ends") == 1


@pytest.mark.parametrize(("entries", "extra", "message"), [
    ([{"importer": "US", "rate": 0.1, "start_date": "2024-12-31"}], {"time.start_date": "2025-01-01"},
     "before the scenario's start date"),
    ([{"importer": "US", "rate": 0.1, "start_date": "2025-03-01"}], {}, "needs time.start_date"),
    ([{"importer": "US", "exporters": ["CN", "MY"], "sectors": ["chips"], "rate": 0.1, "start_day": 5},
      {"importer": "US", "exporters": ["MY"], "sectors": ["chips", "electronics"], "rate": 0.2, "start_day": 5}],
     {}, "contradictory events"),
    ([{"importer": "US", "exporters": ["MY", "US"], "rate": 0.2}], {}, "US is among its own exporters"),
    ([{"importer": "US", "exporters": ["CN"], "rate": -0.1}], {}, r"tariffs.applied\[0\].rate"),
    ([{"importer": "XX", "rate": 0.1}], {}, "unknown economy 'XX'"),
    ([{"importer": "US", "rate": 0.1, "start_day": 9, "end_day": 4}], {}, "not after start_day"),
])
def test_bad_events_are_clear_errors(entries, extra, message):
    with pytest.raises(sim.ScenarioError, match=message):
        sim.load_scenario("tiny", overrides={"tariffs.applied": entries, **extra})


def test_export_controls_take_dates_too():
    scenario = sim.load_scenario("tiny", overrides={"time.start_date": "2025-04-01", "export_controls": [
        {"exporter": "CN", "importers": ["US"], "sectors": ["materials"], "share": 0.5,
         "start_date": "2025-04-04", "end_date": "2025-11-07"}]})
    control = scenario.export_controls[0]
    assert (control.start_day, control.end_day) == (3, 220)
    with pytest.raises(sim.ScenarioError, match=r"export_controls\[0\].importers\[0\]"):
        sim.load_scenario("tiny", overrides={"export_controls": [{"exporter": "CN", "importers": ["XX"], "share": 1}]})


def test_baseline_entries_cover_every_partner_sector_combination():
    scenario = sim.load_scenario("tiny", overrides={"tariffs.baseline": [
        {"importer": "US", "exporters": ["CN", "MY"], "sectors": ["materials", "chips", "electronics"], "rate": 0.1}]})
    model = sim.SupplyChainModel(scenario, rng=1)
    assert np.all(model.baseline_tariff[US, [CN, MY]] == 0.1) and model.baseline_tariff.sum() == pytest.approx(0.6)
