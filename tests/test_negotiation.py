"""Negotiation rules: the own-plants exemption and offers with their acceptance rule."""

import numpy as np
import pytest

import sim
from sim.policies import OwnPlantsRule

US, CN, MY = 0, 1, 2
MATERIALS, CHIPS, ELECTRONICS = 0, 1, 2
US_TARIFFS = [{"importer": "US", "exporters": ["MY", "CN"], "rate": 0.19, "start_day": 0}]


def model_with(owned_share, threshold=0.5, retaliation=(), steps=40):
    scenario = sim.load_scenario("tiny", overrides={
        "tariffs.applied": US_TARIFFS,
        "multinationals": [{"name": "USChipCo", "home": "US", "plants": [{"cell": "MY.chips", "share": owned_share}]}],
        "negotiation": {"own_plants_exemptions": [{"economy": "US", "sectors": ["chips"], "threshold": threshold,
                                                   "review_days": 10, "start_day": 5}]},
        "retaliation": list(retaliation),
    })
    model = sim.SupplyChainModel(scenario, rng=4)
    model.run(steps)
    return model


def test_own_plants_exemption_fires_above_threshold_without_retaliation():
    model = model_with(owned_share=0.65)
    rule = model.governments["US"].rules_of(OwnPlantsRule)[0]
    assert rule.owned_share[MY, CHIPS] >= 0.65
    history = model.tariff_history
    assert np.all(history[:5, US, MY, CHIPS] == 0.19) and np.all(history[5:, US, MY, CHIPS] == 0)
    assert np.all(history[:, US, MY, ELECTRONICS] == 0.19)  # only the named sector
    assert np.all(history[:, US, CN, CHIPS] == 0.19)  # CN's chips are not US-owned
    events = model.results().events
    assert list(events.query("action == 'exempt'")["partner"]) == ["MY"]


def test_own_plants_exemption_not_below_threshold():
    model = model_with(owned_share=0.3, threshold=0.9)
    assert model.governments["US"].rules_of(OwnPlantsRule)[0].owned_share[MY, CHIPS] < 0.9
    assert np.all(model.tariff_history[:, US, MY, CHIPS] == 0.19)


def test_own_plants_exemption_not_for_a_retaliating_partner():
    model = model_with(owned_share=0.65, retaliation=[{"economy": "MY", "rule": "tit_for_tat", "delay_days": 1}])
    assert np.all(model.tariff_history[3:, MY, US] > 0)  # Malaysia answers
    assert np.all(model.tariff_history[:, US, MY, CHIPS] == 0.19)  # so no exemption


def offer_model(cut_share, min_cut_share, retaliation=()):
    scenario = sim.load_scenario("tiny", overrides={
        "tariffs.baseline": [{"importer": "MY", "exporters": ["US"], "rate": 0.05}],
        "tariffs.applied": US_TARIFFS,
        "negotiation": {"offers": [{"offerer": "MY", "partner": "US", "day": 10, "cut_share": cut_share,
                                    "exemption_sectors": ["chips", "electronics"], "exemption_rate": 0.0,
                                    "acceptance": {"min_cut_share": min_cut_share}}]},
        "retaliation": list(retaliation),
    })
    model = sim.SupplyChainModel(scenario, rng=4)
    model.run(30)
    return model


def test_accepted_offer_cuts_and_exempts():
    model = offer_model(cut_share=0.984, min_cut_share=0.9)
    history = model.tariff_history
    assert np.allclose(history[:10, MY, US], 0.05) and np.allclose(history[10:, MY, US], 0.05 * (1 - 0.984))
    assert np.all(history[10:, US, MY, [CHIPS, ELECTRONICS]] == 0)
    assert np.all(history[10:, US, MY, MATERIALS] == 0.19)
    actions = list(model.results().events.query("rule in ['offer', 'acceptance']")["action"])
    assert actions == ["offer", "accept"]


@pytest.mark.parametrize(("cut", "retaliation", "why"), [
    (0.5, (), "below"),
    (0.99, ({"economy": "MY", "rule": "tit_for_tat", "delay_days": 1},), "retaliates"),
])
def test_rejected_offer_changes_nothing(cut, retaliation, why):
    model = offer_model(cut_share=cut, min_cut_share=0.9, retaliation=retaliation)
    assert np.all(model.tariff_history[10:, US, MY, CHIPS] == 0.19)
    reject = model.results().events.query("action == 'reject'")
    assert len(reject) == 1 and why in reject["reason"].iloc[0]
