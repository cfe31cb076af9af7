"""Supplier search (`sim.engine.search`): new links on traded routes after qualification, within spare capacity;
dead links dropped; the per-agent reference agrees; the ledger and the steady state hold."""

import numpy as np
import pytest
from test_reference import rel, run_both  # pytest puts tests/ on the path (rootdir-relative imports)

import sim
from sim.engine.core import NEW_LINK_STATUS
from sim.viz.network_view import current_state, view_for

# short qualification and switching times, so that links are formed, enter, and are dropped within the run:
# China stops shipping chips to the US, then Malaysia does too (links formed to Malaysia are dropped again)
SEARCH = {
    "sectors.chips.qualification_days": 15.0, "sectors.materials.qualification_days": 15.0,
    "engine.search_days": 10.0, "engine.switching_days": 8.0,
    "export_controls": [
        {"exporter": "CN", "importers": ["US"], "sectors": ["chips"], "share": 1.0, "start_day": 5, "end_day": 100},
        {"exporter": "MY", "importers": ["US"], "sectors": ["chips"], "share": 1.0, "start_day": 60,
         "end_day": 140},
    ],
    "tariffs.applied": [{"importer": "US", "exporters": ["CN"], "sectors": ["materials"], "rate": 0.6,
                         "start_day": 3}],
}


def counts(model) -> dict[str, int]:
    """Events over the run, and new links dropped (rather than abandoned before entering)."""
    total = dict.fromkeys(("formed", "entered", "abandoned", "dropped"), 0)
    dropped_new = 0
    for c in model.recorder.link_changes:
        for event in total:
            total[event] += c.count(event)
        if "dropped" in c.events:
            dropped_new += int((c.events["dropped"]["new_link"] >= 0).sum())
    return total | {"dropped_new": dropped_new}


@pytest.mark.parametrize("seed", [3, 5, 7])
def test_reference_matches_engine_with_supplier_search(seed):
    model, ref, worst, _ = run_both(SEARCH, rng=seed, steps=160)
    bad = {name: value for name, value in worst.items() if value > 1e-9}
    assert not bad, bad
    seen = counts(model)
    # every rule ran: links formed, entered after qualifying, dropped (of the build and new ones), compacted
    assert seen["formed"] > 0 and seen["entered"] > 0 and seen["dropped"] > seen["dropped_new"] > 0, seen
    st = model.engine.structure
    assert st.n_links < st.n_base_links + seen["formed"]  # closed new links left the arrays
    assert st.n_links == len(ref.links)
    assert [link.supplier.index for link in ref.links] == st.supplier.tolist()


def test_new_links_follow_traded_routes_qualify_and_stay_within_spare_capacity():
    scenario = sim.load_scenario("tiny", overrides=SEARCH | {"engine.check_ledger": True})  # the ledger every step
    model = sim.SupplyChainModel(scenario, rng=3)
    engine = model.engine
    search = engine.revise_suppliers
    spare_seen = []

    handed_over = []

    def observed_search():
        spare = np.maximum(0.0, engine.capacity - engine.output)
        w0, slot_weight = st.w0.copy(), st.segment_sum(st.w0)
        ok = engine.landed <= 1.0 + scenario.engine.search_price_rise
        at_risk_weight = w0 * (1.0 - engine.state.fill_rate * ok)  # the most a link can hand over
        changes = search()
        spare_seen.append((spare, changes))
        if "entered" in changes.events:  # the new link takes over the business at risk, nothing else
            entered = np.isin(st.supplier, changes.events["entered"]["supplier"]) & np.isin(
                st.buyer, changes.events["entered"]["buyer"])
            slots = np.unique(st.slot[entered])
            if "dropped" in changes.events:  # (a drop in the same search takes its weight away)
                d = changes.events["dropped"]
                slots = slots[~np.isin(st.slot_buyer[slots], d["buyer"])]
            # (compaction removes only closed links, which carry no weight)
            handed_over.append(rel(st.segment_sum(st.w0)[slots], slot_weight[slots]))
            mine = np.isin(st.slot[:n0], slots)  # the build's links in those slots (they keep their indices) ...
            if "dropped" in changes.events:  # ... that were not dropped in the same search
                mine[changes.events["dropped"]["build_link"][changes.events["dropped"]["build_link"] >= 0]] = False
            given = w0[:n0][mine] - st.w0[:n0][mine]
            assert (given >= 0).all() and (given <= at_risk_weight[:n0][mine] * (1 + 1e-12)).all()
            assert given.sum() > 0
        return changes

    engine.revise_suppliers = observed_search
    st = engine.structure
    n0 = st.n_base_links
    carried_early = 0.0
    for _ in range(160):
        model.step()
        qualifying = engine.new_status == NEW_LINK_STATUS.index("qualifying")
        carried_early = max(carried_early, float(model.last_flows.shipped[n0:][qualifying].sum(initial=0.0)))
    assert carried_early == 0.0  # a qualifying link carries nothing
    formed = 0
    for spare, changes in spare_seen:
        if "formed" not in changes.events:
            continue
        f = changes.events["formed"]
        formed += len(f["supplier"])
        assert (st.route_flow0[f["route"]] > 0).all()  # only routes the table trades at baseline
        offered = np.bincount(f["supplier"], f["volume"], st.n_firms)
        assert (offered <= spare * (1 + 1e-12)).all()  # never more than the supplier's spare capacity
        assert (f["ready"] - changes.step == np.ceil(st.sector_qualification[f["route"] % st.n_sectors])).all()
    assert formed > 0
    assert handed_over and max(handed_over) < 1e-12  # a slot's total weight is unchanged by an entry
    carrying = n0 + np.flatnonzero(engine.new_status == NEW_LINK_STATUS.index("carrying"))
    assert len(carrying)
    for link in carrying:  # the Mesa agents see their new suppliers and customers
        assert st.supplier[link] in model.firm(int(st.buyer[link])).suppliers
        assert st.buyer[link] in model.firm(int(st.supplier[link])).customers
    view = view_for(model)
    _, _, edge_flow, _ = current_state(model, view)
    drawn = view.link_edges(model)
    assert len(drawn) == st.n_links  # new links are drawn where the build has their edge (firm pairs: rarely)
    on = carrying[drawn[carrying] >= 0]
    assert (view.edge_src[drawn[on]] == view.unit_of_firm[st.supplier[on]]).all()
    assert edge_flow.sum() == pytest.approx(model.last_flows.arrived[drawn >= 0].sum())
    results = model.results()
    table = results.links
    assert set(table["event"]) == {"formed", "entered", "abandoned", "dropped"} & set(table["event"])
    assert (table.loc[table["event"] == "formed", "volume_per_day"] > 0).all()
    new = results.summary()["firm_outcomes"]["new_links"]
    assert new["formed"] == formed and new["by_exporter"]


def test_no_search_without_disruption_and_none_when_switched_off():
    """The calibrated steady state needs no supplier; with search off, a disruption forms no link."""
    calm = sim.SupplyChainModel(sim.load_scenario("tiny", overrides={"engine.search_days": 7.0}).without_shocks(),
                                rng=2)
    calm.run(200)
    assert not calm.recorder.link_changes
    assert calm.engine.structure.n_links == calm.engine.structure.n_base_links
    assert rel(calm.last_flows.output, calm.engine.structure.output0) < 1e-12
    off = sim.SupplyChainModel(sim.load_scenario("tiny", overrides=SEARCH | {"engine.search_days": None}), rng=3)
    off.run(120)
    assert not off.recorder.link_changes and off.engine.structure.n_links == off.engine.structure.n_base_links


def test_faster_qualification_means_more_supply_during_a_cut_off():
    """US firms cut off from Chinese chips get more chips during the cut-off when new suppliers qualify sooner;
    with a qualification longer than the run no new link enters."""
    cut_off = {k: v for k, v in SEARCH.items() if k != "tariffs.applied"} | {
        "export_controls": SEARCH["export_controls"][:1]}  # China's cut-off only, days 5-100
    supplied, entered = {}, {}
    for label, overrides in (("fast", {"sectors.chips.qualification_days": 15.0}),
                             ("slow", {"sectors.chips.qualification_days": 400.0}),
                             ("off", {"engine.search_days": None})):
        model = sim.SupplyChainModel(sim.load_scenario("tiny", overrides=cut_off | overrides), rng=3)
        model.run(100)
        r = model.results()
        g = r.groups
        us_chips = (g["importer"] == r.economies.index("US")) & (g["sector"] == r.sectors.index("chips")) & (
            g["use"] == 0)
        run, ref = r.arrays["delivered"][30:, us_chips].sum(), r.reference("delivered")[30:, us_chips].sum()
        supplied[label], entered[label] = run / ref, counts(model)["entered"]
    assert entered["fast"] > 0 and entered["slow"] == entered["off"] == 0
    assert supplied["fast"] > supplied["slow"] + 0.01, supplied
