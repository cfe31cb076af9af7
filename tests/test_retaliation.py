"""Retaliation rules on the tiny 3-economy scenario: each rule's behaviour and the event log."""

import numpy as np
import pytest

import sim

US, CN, MY = 0, 1, 2


def run(retaliation, tariffs, steps=80, truces=(), **extra):
    scenario = sim.load_scenario("tiny", overrides={
        "tariffs.applied": tariffs, "retaliation": retaliation, "truces": list(truces), **extra})
    model = sim.SupplyChainModel(scenario, rng=3)
    model.run(steps)
    return model, np.array(model.tariff_history)


def us_on_cn(rate, start=10, end=None):
    return [{"importer": "US", "exporters": ["CN"], "rate": rate, "start_day": start, "end_day": end}]


def test_none_never_changes_tariffs():
    model, history = run([{"economy": "CN", "rule": "none"}], us_on_cn(0.5))
    assert np.all(history[:, CN] == 0)
    assert not [e for e in model.events if e["actor"] == "CN"]


@pytest.mark.parametrize("delay", [1, 7, 20])
def test_tit_for_tat_matches_after_its_delay(delay):
    _, history = run([{"economy": "CN", "rule": "tit_for_tat", "delay_days": delay}], us_on_cn(0.3))
    cn_on_us = history[:, CN, US, :]
    assert np.all(cn_on_us[: 10 + delay] == 0)
    assert np.allclose(cn_on_us[10 + delay:], 0.3)
    assert np.all(history[:, CN, MY] == 0)  # only the partner that raised is answered


@pytest.mark.parametrize("k", [0.5, 2.0])
def test_proportional_scales(k):
    _, history = run([{"economy": "CN", "rule": "proportional", "k": k, "delay_days": 3}], us_on_cn(0.2))
    assert np.allclose(history[-1, CN, US], k * 0.2)


def test_escalation_between_two_governments_stops_at_caps():
    rules = [{"economy": "CN", "rule": "escalate", "step": 0.1, "cap": 0.6, "delay_days": 2},
             {"economy": "US", "rule": "escalate", "step": 0.1, "cap": 0.8, "delay_days": 2}]
    model, history = run(rules, us_on_cn(0.1), steps=120)
    us_level, cn_level = history[:, US, CN].mean(axis=1), history[:, CN, US].mean(axis=1)
    assert np.all(np.diff(cn_level) >= -1e-12) and np.all(np.diff(us_level) >= -1e-12)  # it climbs
    assert cn_level[-1] == pytest.approx(0.6)  # CN stops at its cap...
    assert us_level[-1] == pytest.approx(0.7)  # ...so the US stops one step above it, below its own cap
    assert np.ptp(cn_level[-30:]) == 0 and np.ptp(us_level[-30:]) == 0
    assert len([e for e in model.events if e["rule"] == "escalate"]) >= 6


def test_truce_resets_and_later_increases_count_from_the_truce():
    rules = [{"economy": "CN", "rule": "tit_for_tat", "delay_days": 2}]
    tariffs = us_on_cn(0.3) + [{"importer": "US", "exporters": ["CN"], "rate": 0.4, "start_day": 60}]
    model, history = run(rules, tariffs, steps=90, truces=[{"economies": ["US", "CN"], "day": 40}])
    cn_on_us = history[:, CN, US, 0]
    assert cn_on_us[35] == pytest.approx(0.3)
    assert np.all(cn_on_us[40:62] == 0)  # truce: dropped although the US keeps its 30%
    assert cn_on_us[-1] == pytest.approx(0.1)  # then answers only the new 10 points
    assert any(e["action"] == "truce" for e in model.events)


def test_trigger_holds_fire_below_the_threshold():
    rule = {"economy": "CN", "rule": "tit_for_tat", "delay_days": 1,
            "trigger": {"export_drop_pct": 90, "window_days": 10}}
    _, history = run([rule], us_on_cn(0.3))
    assert np.all(history[:, CN, US] == 0)  # a 30% tariff does not cut CN's exports to the US by 90%
    rule["trigger"]["export_drop_pct"] = 0.5
    _, history = run([rule], us_on_cn(0.3))
    assert history[-1, CN, US].max() == pytest.approx(0.3)


def test_targeted_export_control_on_named_sectors():
    rule = {"economy": "CN", "rule": "targeted", "sectors": ["materials"], "instrument": "export_control",
            "share": 0.7, "delay_days": 5}
    model, _ = run([rule], us_on_cn(0.3), steps=30)
    block = model.policy.export_block
    assert block[CN, US, 0] == pytest.approx(0.7)
    assert block.sum() == pytest.approx(0.7)


def test_event_log_tells_who_when_what_why():
    model, _ = run([{"economy": "CN", "rule": "tit_for_tat", "delay_days": 7}], us_on_cn(0.3, start=5, end=40))
    events = model.results().events
    assert list(events["action"]) == ["set tariff", "retaliate (tariff)", "set tariff ends", "retaliate (tariff)"]
    assert list(events["day"]) == [5, 12, 40, 47]
    assert events.loc[1, "actor"] == "CN" and events.loc[1, "partner"] == "US"
    assert "30.0 points" in events.loc[1, "reason"]


@pytest.mark.parametrize(("rule", "message"), [
    ({"economy": "CN", "rule": "retaliate_hard"}, "retaliation[0].rule"),
    ({"economy": "CN", "rule": "tit_for_tat", "against": ["XX"]}, "unknown economy 'XX'"),
    ({"economy": "CN", "rule": "targeted"}, "needs its 'sectors'"),
    ({"economy": "CN", "rule": "proportional", "k": -1}, "retaliation[0].k"),
])
def test_bad_retaliation_config_is_a_clear_error(rule, message):
    with pytest.raises(sim.ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        sim.load_scenario("tiny", overrides={"retaliation": [rule]})


def test_observed_increases_are_the_trade_weighted_rise_of_each_applied_tariff():
    """The history's increases (worked out once per distinct tariff tensor) are, step by step and at every lag
    it keeps, the rise over the calibration year weighted by each route's baseline trade over sectors (a
    simple mean on a route without trade)."""
    tariffs = us_on_cn(0.3, start=5, end=25) + [{"importer": "MY", "exporters": ["CN"], "sectors": ["chips"],
                                                  "rate": 0.2, "start_day": 12}]
    scenario = sim.load_scenario("tiny", overrides={"tariffs.applied": tariffs, "retaliation": [
        {"economy": "CN", "rule": "tit_for_tat", "delay_days": 4}]})
    model = sim.SupplyChainModel(scenario, rng=3)
    history = model.history
    base, trade = model.baseline_tariff, history.baseline_trade
    seen = set()
    for _ in range(40):
        model.step()
        for lag in range(history.depth):
            tariff = history.tariff(lag)
            seen.add(tariff.tobytes())
            for exporter in (US, CN, MY):
                importers = [i for i in (US, CN, MY) if i != exporter]
                rise = [tariff[i, exporter] - base[i, exporter] for i in importers]
                weights = [trade[exporter, i] for i in importers]
                expected = [float(r @ w / w.sum()) if w.sum() > 0 else float(r.mean())  # untraded: a simple mean
                            for r, w in zip(rise, weights, strict=True)]
                assert history.tariff_increases(importers, exporter, lag) == pytest.approx(expected, abs=1e-15)
    assert len(seen) >= 3  # the tariffs changed: several tensors were worked out
