"""The per-agent reference (`sim.engine.reference`) and the vectorised engine give the same step to 1e-9."""

import numpy as np
import pytest

import sim
from sim.engine import check_ledger
from sim.engine.reference import ReferenceConsumer, ReferenceEngine, ReferenceFirm

STEPS = 120
FLOWS = ("output", "demand", "shipped", "arrived", "used", "ordered", "ordered_slot", "shipped_slot", "landed",
         "tariff_rate", "blocked")
STATE = ("price", "expected_demand", "target_output", "share", "fill_rate", "orders", "slot_orders", "inventory",
         "in_transit")

SHOCKS_AND_POLICIES = {
    # short qualification times, so that order limits bind and suppliers get qualified within the run
    "sectors.materials.qualification_days": 12.0, "sectors.chips.qualification_days": 25.0,
    "capacity_shocks": [{"cells": ["MY.chips"], "share": 0.5, "start_day": 5, "duration_days": 20,
                         "recovery_days": 5}],
    "tariffs.applied": [{"importer": "US", "exporters": ["CN"], "sectors": ["chips"], "rate": 0.3, "start_day": 3},
                        {"importer": "US", "exporters": ["MY"], "rate": 0.1, "start_day": 40, "end_day": 90}],
    "export_controls": [
        {"exporter": "CN", "importers": ["MY"], "sectors": ["materials"], "share": 0.6, "start_day": 10,
         "end_day": 60},
        {"exporter": "CN", "importers": ["US"], "sectors": ["chips"], "share": 0.5, "licensing_days": 7,
         "start_day": 15, "end_day": 50},
    ],
}
OWN_PLANTS = {
    "tariffs.applied": [{"importer": "US", "exporters": ["MY"], "sectors": ["chips"], "rate": 0.3, "start_day": 2}],
    "capacity_shocks": [{"cells": ["CN.chips"], "share": 0.4, "start_day": 20, "duration_days": 15,
                         "recovery_days": 10}],
    "multinationals": [{"name": "USChipCo", "home": "US", "sourcing_sigma": 0.5,
                        "plants": [{"cell": "MY.chips", "share": 0.5}, {"cell": "US.electronics", "share": 0.5}]}],
}


def rel(a, b, floor=1e-12):
    """Largest relative difference of a from b (relative to |b|, or to `floor` where |b| is below it)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert b.ndim == 0 or a.shape == b.shape
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor))) if a.size else 0.0


def run_both(overrides, rng, steps=STEPS, ledger=False):
    """Step the model (which runs the vectorised engine) and the reference on the model's policy each step."""
    model = sim.SupplyChainModel(sim.load_scenario("tiny", overrides=overrides), rng=rng)
    ref = ReferenceEngine(model.network, model.engine.params, model.baseline_tariff)
    st = model.engine.structure
    # goods in transit per slot are a running sum (+ shipped - arrived) that cancels to rounding noise
    # (~1e-16) when a slot stops receiving, so they are compared relative to their baseline level there
    floors = {"in_transit": st.segment_sum(st.flow0 * st.lead)}
    worst = dict.fromkeys((*FLOWS, *STATE, "in_transit_by_link"), 0.0)
    seen = {"blocked": 0.0, "licensed": 0.0, "capacity_lost": 0.0, "tariff": 0.0, "held_back": 0.0}
    for _ in range(steps):
        model.step()
        if ref.search_due():
            ref.revise_suppliers()
        before = ref.state if ledger else None
        flows = ref.step(model.policy)
        if before is not None:
            check_ledger(ref.structure, before, ref.state, flows)
        engine_flows, engine_state, ref_state = model.last_flows, model.engine.state, ref.state
        for name in FLOWS:
            worst[name] = max(worst[name], rel(getattr(flows, name), getattr(engine_flows, name)))
        for name in STATE:
            worst[name] = max(worst[name], rel(getattr(ref_state, name), getattr(engine_state, name),
                                               floors.get(name, 1e-12)))
        worst["in_transit_by_link"] = max(worst["in_transit_by_link"], rel(ref_state.in_transit_by_link(),
                                                                           engine_state.in_transit_by_link()))
        assert ref_state.step == engine_state.step
        seen["blocked"] = max(seen["blocked"], flows.blocked.max())
        seen["licensed"] = max(seen["licensed"], engine_state.licensing.waiting().sum())
        seen["capacity_lost"] = max(seen["capacity_lost"], 1 - model.policy.capacity.min())
        seen["tariff"] = max(seen["tariff"], flows.tariff_rate.max())
        wanted = engine_state.slot_orders[engine_state.link_slot] * engine_state.share
        seen["held_back"] = max(seen["held_back"], float(np.max(wanted - engine_state.orders)))
    return model, ref, worst, seen


@pytest.mark.parametrize("rule", ["supply_line", "signed_gap", "ario"])
def test_reference_matches_engine_under_shocks_tariffs_and_controls(rule):
    overrides = {**SHOCKS_AND_POLICIES, "engine.order_rule": rule}
    if rule == "supply_line":  # a short target memory and a partial supply-line weight exercise both terms
        overrides |= {"engine.target_smoothing_days": 20.0, "engine.supply_line_weight": 0.6}
    model, ref, worst, seen = run_both(overrides, rng=3)
    bad = {name: value for name, value in worst.items() if value > 1e-9}
    assert not bad, bad
    # every path was exercised: capacity shock, tariffs, a block and a licensing lag
    assert seen["capacity_lost"] == pytest.approx(0.5)
    assert seen["tariff"] == pytest.approx(0.3)
    assert seen["blocked"] == pytest.approx(0.6)
    assert seen["licensed"] > 0
    # order limits held orders back, and some suppliers were qualified (their limit lifted) during the run
    st = model.engine.structure
    assert seen["held_back"] > 0
    assert (np.isinf(model.engine.state.limit) & np.isfinite(st.limit0)).any()
    assert np.array_equal(np.isinf(model.engine.state.limit), np.isinf([link.limit for link in ref.links]))
    assert rel(model.engine.state.price, 1.0) > 1e-3  # and the run moved well away from the steady state
    # the reference's dynamic part lives in Mesa agents: one per firm and one per final-demand economy
    assert len(ref.model.agents_by_type[ReferenceFirm]) == model.network.n_firms
    assert len(ref.model.agents_by_type[ReferenceConsumer]) == model.network.n_economies
    links = sum(len(firm.customers) for firm in ref.firms)
    assert links == model.engine.structure.n_links


def test_reference_matches_engine_with_own_plant_sourcing():
    model, ref, worst, _ = run_both(OWN_PLANTS, rng=8)
    intra = [link.index for link in ref.links if link.intra_sigma is not None]
    assert intra and np.array_equal(intra, model.engine.structure.intra_links)
    assert all(link.intra_sigma == 0.5 for link in ref.links if link.intra_sigma is not None)
    bad = {name: value for name, value in worst.items() if value > 1e-9}
    assert not bad, bad
    share = ref.state.share[intra] / model.engine.structure.reference_weight[intra]  # against the baseline weights
    assert abs(share - 1).max() > 1e-3  # the intra-firm shares did move


def test_reference_keeps_the_ledger_and_the_steady_state():
    """The conservation ledger holds on the reference's own flows; without shocks nothing moves."""
    # (the reference's ledger reads the build's link arrays: without supplier search, which adds links)
    run_both(SHOCKS_AND_POLICIES | {"engine.search_days": None}, rng=5, steps=60, ledger=True)
    model = sim.SupplyChainModel(sim.load_scenario("tiny").without_shocks(), rng=1)
    ref = ReferenceEngine(model.network, model.engine.params, model.baseline_tariff)
    st = ref.structure
    for _ in range(30):
        flows = ref.step(model.policy)
    state = ref.state
    assert rel(flows.output, st.output0) < 1e-12
    assert rel(flows.arrived, st.flow0) < 1e-12
    assert rel(state.inventory, st.inventory0) < 1e-12
    assert rel(state.share, st.w0) < 1e-12
    assert rel(state.price, 1.0) < 1e-12
