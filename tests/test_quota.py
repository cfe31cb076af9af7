"""Tariff-rate quotas (sim.policies.quota): the rate follows the count of the period's imports."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.model import SupplyChainModel
from sim.scenario import load_scenario

US, CN, MY = 0, 1, 2
CHIPS = 1
PERIOD_DAYS = 60


def quota(**fields) -> dict:
    return {"importer": "US", "exporters": ["CN"], "sectors": ["chips"], "in_quota_rate": 0.05,
            "over_quota_rate": 0.6, "quota_share": 0.5, "period_days": PERIOD_DAYS, "start_day": 10} | fields


def chip_links(model: SupplyChainModel) -> np.ndarray:
    """The links carrying Chinese chips into the US (of the build: this test's runs search no suppliers)."""
    st, n_econ, n_sec = model.engine.structure, model.network.n_economies, model.network.n_sectors
    return np.flatnonzero(st.tariff_index == (US * n_econ + CN) * n_sec + CHIPS)


def run_model(steps: int = 150, rng: int | None = None, **fields) -> SupplyChainModel:
    """A run of tiny with the quota, keeping US imports of Chinese chips shipped per step (`model.shipped`), read
    from each step's flows (not from the policy history)."""
    model = SupplyChainModel("tiny", rng=rng, **{"tariffs.quotas": [quota(**fields)], "time.steps": steps,
                                                 "engine.search_days": None})
    links = chip_links(model)
    model.shipped = np.array([(model.step(), model.last_flows.shipped[links].sum())[1] for _ in range(steps)])
    return model


def chip_imports(model: SupplyChainModel) -> np.ndarray:
    return model.shipped


def expected_rates(model: SupplyChainModel, imports: np.ndarray, start_step: int, quota_value: float) -> np.ndarray:
    """The rate each step should pay, recomputed from recorded imports: in-quota until the period's imports
    before that step reach the quota."""
    rates = np.zeros(len(imports))
    period_steps = round(model.config.steps(PERIOD_DAYS))
    for step in range(start_step, len(imports)):
        period_start = start_step + (step - start_step) // period_steps * period_steps
        rates[step] = 0.6 if imports[period_start:step].sum() >= quota_value else 0.05
    return rates


@pytest.mark.parametrize("seed", [1, 2, 3, 4])  # four network draws
def test_rate_switches_when_the_period_quota_is_filled_and_reopens_each_period(seed):
    model = run_model(rng=seed)
    imports = chip_imports(model)
    per_step = model.engine.structure.flow0[chip_links(model)].sum()
    quota_value = 0.5 * per_step * PERIOD_DAYS
    applied = model.tariff_history[:, US, CN, CHIPS]
    want = expected_rates(model, imports, 10, quota_value)
    assert np.array_equal(applied[10:], want[10:]), np.flatnonzero(applied[10:] != want[10:])[:5]
    assert np.all(applied[:10] == 0.0)  # not in force before its start day
    assert {0.05, 0.6} <= set(applied[10:])  # it filled, and each period it opened again
    assert np.sum(np.diff(applied[10:]) < 0) >= 1
    # the quota's lines only: Malaysian chips keep their rate
    assert np.all(model.tariff_history[:, US, MY, CHIPS] == 0.0)
    actions = [e["action"] for e in model.events if e["rule"] == "tariff_quota"]
    assert actions[0] == "tariff quota" and "quota filled" in actions and "quota reopens" in actions


def test_the_higher_rate_cuts_imports_against_a_quota_that_never_fills():
    filled, open_ = run_model(), run_model(quota_share=100.0)
    assert np.all(open_.tariff_history[10:, US, CN, CHIPS] == 0.05)
    over = filled.tariff_history[:, US, CN, CHIPS] == 0.6
    assert over.sum() > 20
    assert chip_imports(filled)[over].sum() < 0.98 * chip_imports(open_)[over].sum()


def test_a_quota_as_a_value_equals_the_same_quota_as_a_share():
    share = run_model(steps=80)
    per_step = share.engine.structure.flow0[chip_links(share)].sum()
    value = run_model(steps=80, quota_share=None, quota=0.5 * per_step * PERIOD_DAYS)
    assert np.array_equal(share.tariff_history, value.tariff_history)


def test_the_baseline_run_has_no_quota():
    results = sim.run("tiny", steps=40, overrides={"tariffs.quotas": [quota(start_day=0)]})
    assert np.all(results.baseline.arrays["tariff"] == 0.0)
    assert results.arrays["tariff"].max() == pytest.approx(0.6)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"quota": 5.0}, "tariffs.quotas[0]", "exactly one of quota"),
    ({"quota_share": None}, "tariffs.quotas[0]", "exactly one of quota"),
    ({"in_quota_rate": 0.7}, "tariffs.quotas[0]", "in_quota_rate 0.7 is above over_quota_rate 0.6"),
    ({"exporters": ["CNN"]}, "tariffs.quotas[0].exporters[0]", r"unknown economy 'CNN' \(did you mean 'CN'\?\)"),
    ({"exporters": ["US"]}, "tariffs.quotas[0].exporters", "among its own exporters"),
    ({"sectors": ["chip"]}, "tariffs.quotas[0].sectors[0]", "did you mean 'chips'"),
    ({"start_date": "2024-01-01"}, "tariffs.quotas[0].start_date", "needs time.start_date"),
])
def test_bad_quotas_are_named(fields, field, message):
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario("tiny", {"tariffs.quotas": [quota(**fields)]})
    assert caught.value.field == field


def test_a_dated_quota_is_resolved_like_every_dated_block():
    dated = {k: v for k, v in quota(start_date="2025-02-01", end_date="2025-03-03").items() if k != "start_day"}
    scenario = load_scenario("tiny_trade_war", {"tariffs.quotas": [dated]})
    entry = scenario.tariffs.quotas[0]
    assert (entry.start_day, entry.end_day) == (31.0, 61.0)


def test_quotas_that_could_not_work_are_refused():
    with pytest.raises(ScenarioError, match="shorter than one step") as caught:
        load_scenario("tiny", {"tariffs.quotas": [quota(period_days=0.5)]})
    assert caught.value.field == "tariffs.quotas[0].period_days"
    with pytest.raises(ScenarioError, match="carry no imports") as caught:  # the US buys no materials abroad
        load_scenario("tiny", {"tariffs.quotas": [quota(sectors=["materials"])]})
    assert caught.value.field == "tariffs.quotas[0].quota_share"
    load_scenario("tiny", {"tariffs.quotas": [quota(sectors=["materials"], quota_share=None, quota=1.0)]})
    with pytest.raises(ScenarioError, match="one quota per line") as caught:
        load_scenario("tiny", {"tariffs.quotas": [quota(), quota(exporters="*", end_day=300, start_day=200)]})
    assert caught.value.field == "tariffs.quotas[1]"
    load_scenario("tiny", {"tariffs.quotas": [quota(end_day=100), quota(exporters="*", start_day=100)]})  # one after
