"""A scenario derived from a validated base by overrides (sim.scenario.derive) is the scenario that
validating everything gives, with the same errors, and shares the blocks the overrides do not reach."""

from __future__ import annotations

import datetime

import pytest

from sim.errors import ScenarioError
from sim.scenario import Scenario, apply_overrides, load_raw, resolve_path, scenario_dirs
from sim.scenario.derive import Base, anchors

SCENARIOS = sorted(p.stem for p in scenario_dirs()[0].glob("*.yaml"))


def _overrides(raw: dict) -> list[dict]:
    """Overrides of several kinds for a scenario: a policy entry, an engine setting, a sector's setting (not its
    name), a whole policy list, and a name (which validates everything)."""
    sector = raw["sectors"][0]["name"]
    cases = [{"engine.switching_days": 77}, {f"sectors.{sector}.inventory_days": 9.5},
             {"export_controls": [{"exporter": raw["economies"][0]["name"], "share": 0.5}]},
             {f"sectors.{sector}.name": "renamed"}]
    if raw.get("tariffs", {}).get("applied"):
        entry = raw["tariffs"]["applied"][0]
        key = "increase" if "increase" in entry else "rate"
        cases.append({f"tariffs.applied.0.{key}": 0.37, "engine.switching_days": 61})
    return cases


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_derived_scenario_is_the_scenario_validated_in_full(name):
    path = resolve_path(name)
    raw = load_raw(path)
    base = Base(raw, str(path))
    for overrides in _overrides(raw):
        full = apply_overrides(raw, overrides, file=str(path))
        try:
            expected = Scenario.from_dict(full, file=str(path))
        except ScenarioError as exc:  # a renamed sector some block still names
            with pytest.raises(ScenarioError) as derived_error:
                base.derive(overrides)
            assert (str(derived_error.value), derived_error.value.field) == (str(exc), exc.field)
            continue
        derived = base.derive(overrides)
        assert derived == expected, overrides
        assert derived != base.scenario
        if not any(anchors(path) for path in overrides):
            assert derived.io is base.scenario.io  # the IO table, never reached here, is shared
            baseline = base.scenario.tariffs.baseline
            assert all(a is b for a, b in zip(derived.tariffs.baseline, baseline, strict=True))


def test_errors_of_a_derived_scenario_are_those_of_a_full_validation():
    path = resolve_path("us_tariffs_2025")
    raw = load_raw(path)
    base = Base(raw, str(path))
    bad = [{"tariffs.applied.0.increase": -1}, {"export_controls": [{"exporter": "XX", "share": 0.5}]},
           {"tariffs.applied.0.exporters": ["US"]}, {"engine.switching_days": "soon"},
           {"tariffs.applied.0.end_day": 1, "tariffs.applied.0.start_day": 5}, {"tariffs.applied.0.colour": "red"}]
    for overrides in bad:
        with pytest.raises(ScenarioError) as full:
            Scenario.from_dict(apply_overrides(raw, overrides, file=str(path)), file=str(path))
        with pytest.raises(ScenarioError) as derived:
            base.derive(overrides)
        assert (str(derived.value), derived.value.field) == (str(full.value), full.value.field), overrides


def test_dates_in_a_derived_block_are_resolved_and_shared_ones_are_not_resolved_again():
    path = resolve_path("us_tariffs_2025")
    raw = load_raw(path)
    base = Base(raw, str(path))
    assert raw["tariffs"]["applied"][0]["start_date"] != datetime.date(2025, 6, 1)
    derived = base.derive({"tariffs.applied.0.start_date": "2025-06-01"})
    assert derived.tariffs.applied[0].start_day == (datetime.date(2025, 6, 1) - derived.time.start_date).days
    again = base.derive({"engine.switching_days": 50})  # the dated blocks shared with the base pass unchanged
    assert again.tariffs.applied == base.scenario.tariffs.applied
