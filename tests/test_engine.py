"""Invariants and behaviour of the vectorised step: stationarity, ledger, shocks, substitution."""

import numpy as np
import pytest

import sim
from sim.engine import LedgerError, check_ledger

SHOCK_MY_CHIPS = {"cells": ["MY.chips"], "start_day": 10, "duration_days": 30, "recovery_days": 10}


def tiny(**overrides):
    return sim.load_scenario("tiny", overrides=overrides)


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)) if a.size else 0.0


DENSER_WITH_BASELINE_TARIFF = {"network.firms_per_cell": 30, "network.suppliers_per_buyer": 3,
                               "tariffs.baseline": [{"importer": "US", "exporters": ["CN"], "rate": 0.25}]}


@pytest.mark.parametrize(("name", "overrides"), [("tiny", {}), ("tiny", DENSER_WITH_BASELINE_TARIFF),
                                                 ("baseline_2024", {})])
def test_stationarity_730_steps(name, overrides):
    """No shock: every output, price, inventory, order and flow stays at baseline to 1e-9."""
    scenario = sim.load_scenario(name, overrides=overrides).without_shocks()
    model = sim.SupplyChainModel(scenario, rng=11)
    engine = model.engine
    st = engine.structure
    worst = 0.0
    for _ in range(730):
        model.step()
        s, f = engine.state, model.last_flows
        worst = max(worst, rel(f.output, st.output0), rel(f.shipped, st.flow0), rel(f.arrived, st.flow0),
                    rel(s.price, 1.0), rel(s.inventory, st.inventory0), rel(s.orders, st.flow0),
                    rel(s.share, st.w0))
    assert worst < 1e-9
    in_transit = engine.state.pipeline.in_transit()
    assert rel(in_transit, st.flow0 * st.lead) < 1e-9
    res = model.results()
    for table in ("output", "delivered", "price", "inventory", "consumer_price"):
        assert rel(res.arrays[table], np.tile(res.steady[table], (730, 1))) < 1e-9, table


def test_ledger_holds_under_shocks_and_policies():
    """produced = shipped, inventory change = arrivals - use, nothing negative, every step."""
    scenario = tiny(**{
        "engine.check_ledger": True,
        "capacity_shocks": [SHOCK_MY_CHIPS | {"share": 0.7}],
        "tariffs.applied": [{"importer": "US", "exporters": ["CN"], "rate": 0.5, "start_day": 5}],
        "export_controls": [{"exporter": "CN", "importers": ["MY"], "sectors": ["materials"], "share": 0.6,
                             "start_day": 20, "end_day": 60}],
    })
    model = sim.SupplyChainModel(scenario, rng=2)
    model.run(150)  # check_ledger raises LedgerError on any violation
    assert model.results().summary()["throughput"]["peak_loss_pct"] > 1.0


def test_ledger_check_detects_a_broken_identity():
    model = sim.SupplyChainModel(tiny(), rng=2)
    before = model.engine.state.copy()
    flows = model.engine.step(model.policy)
    check_ledger(model.engine.structure, before, model.engine.state, flows)
    model.engine.state.inventory[0] += 1e-3  # goods out of nowhere
    with pytest.raises(LedgerError, match="inventory change"):
        check_ledger(model.engine.structure, before, model.engine.state, flows)


def test_determinism_by_seed():
    scenario = tiny(**{"network.firms_per_cell": 12, "capacity_shocks": [SHOCK_MY_CHIPS | {"share": 0.4}]})
    a = sim.SupplyChainModel(scenario, rng=5)
    b = sim.SupplyChainModel(scenario, rng=5)
    c = sim.SupplyChainModel(scenario, rng=6)
    for model in (a, b, c):
        model.run(80)
    ra, rb, rc = a.results(), b.results(), c.results()
    for table in ra.arrays:
        assert np.array_equal(ra.arrays[table], rb.arrays[table]), table
    assert not np.array_equal(a.network.link_flow, c.network.link_flow) or not np.array_equal(
        a.network.link_supplier, c.network.link_supplier)
    assert rel(c.network.cell_output(), a.network.cell_output()) < 1e-9
    assert not np.array_equal(ra.arrays["delivered"], rc.arrays["delivered"])


def _cell_output(results, cell):
    n_sec = len(results.sectors)
    index = results.economies.index(cell.split(".")[0]) * n_sec + results.sectors.index(cell.split(".")[1])
    return results.arrays["output"][:, index], results.reference("output")[:, index]


def _shock_run(share, inventory_days=10, steps=500):
    return sim.run("tiny", steps=steps, overrides={
        "capacity_shocks": [SHOCK_MY_CHIPS | {"share": share}],
        "sectors.chips.inventory_days": inventory_days,
    })


def test_capacity_shock_propagates_and_recovers():
    res = _shock_run(0.6)
    # downstream: MY electronics makers buy only MY chips; upstream: CN materials sell to MY chipmakers
    for cell in ("MY.chips", "MY.electronics", "CN.materials"):
        run, ref = _cell_output(res, cell)
        assert run.min() < ref.min() * 0.995, f"{cell} output did not fall"
        assert rel(run[-20:], ref[-20:]) < 0.01, f"{cell} did not recover to baseline"
    total = res.summary()["throughput"]
    assert total["peak_loss_pct"] > 1.0
    assert total["recovery_days"] is not None


def test_deeper_shock_loses_more_and_inventories_cushion():
    shallow, deep = _shock_run(0.3, steps=250), _shock_run(0.7, steps=250)
    loss = lambda r: r.summary()["throughput"]["cumulative_loss_days"]  # noqa: E731
    assert loss(deep) > loss(shallow) > 0
    lean, stocked = _shock_run(0.7, inventory_days=3, steps=250), _shock_run(0.7, inventory_days=40, steps=250)
    served = lambda r: r.summary()["final_demand_served"]["cumulative_loss_days"]  # noqa: E731
    assert served(lean) > served(stocked)
    downstream = lambda r: -np.sum(np.subtract(*_cell_output(r, "MY.electronics")))  # noqa: E731
    assert downstream(lean) > downstream(stocked)


def _import_shares(results, importer, sector, use=0):
    g = results.groups
    mask = (g["importer"] == results.economies.index(importer)) & (g["sector"] == results.sectors.index(sector))
    mask &= g["use"] == use
    last = results.arrays["delivered"][-1]
    by_origin = np.bincount(g["exporter"][mask], last[mask], len(results.economies))
    return by_origin / by_origin.sum()


def test_tariff_shifts_purchases_to_other_origins():
    res = sim.run("tiny", steps=300, overrides={
        "tariffs.applied": [{"importer": "US", "exporters": ["CN"], "sectors": ["chips"], "rate": 0.25}]})
    base = _import_shares(res.baseline, "US", "chips")
    after = _import_shares(res, "US", "chips")
    cn, others = res.economies.index("CN"), [res.economies.index(e) for e in ("US", "MY")]
    assert after[cn] < base[cn] - 0.05
    assert all(after[i] > base[i] for i in others)


@pytest.mark.parametrize(("sigma", "rate"), [(2.0, 0.25), (4.0, 0.25), (4.0, 0.10), (8.0, 0.5)])
def test_armington_shares_follow_ces(sigma, rate):
    """With capacity slack, long-run shares = share0 (1+tau)^-sigma, renormalised, within 1% (CES over the
    suppliers there are: no supplier search)."""
    res = sim.run("tiny", steps=700, overrides={
        "network.sourcing": "homogeneous", "engine.volume_flexibility": None, "engine.spare_capacity": 3.0,
        "engine.search_days": None,
        "sectors.chips.armington_sigma": sigma,
        "tariffs.applied": [{"importer": "US", "exporters": ["CN"], "sectors": ["chips"], "rate": rate}]})
    share0 = _import_shares(res.baseline, "US", "chips")
    wedge = np.ones(3)
    wedge[res.economies.index("CN")] = 1 + rate
    expected = share0 * wedge**-sigma
    expected /= expected.sum()
    assert np.allclose(_import_shares(res, "US", "chips"), expected, rtol=0.01)


def test_armington_holds_buyer_by_buyer_under_heterogeneous_sourcing():
    """Each buyer's own origin shares move by its CES law: share0_j (1+tau)^-sigma, renormalised per buyer."""
    sigma, rate = 4.0, 0.25
    scenario = tiny(**{"network.firms_per_cell": 20, "engine.spare_capacity": 3.0, "engine.volume_flexibility": None,
                       "engine.search_days": None, "sectors.chips.armington_sigma": sigma,
                       "tariffs.applied": [{"importer": "US", "exporters": ["CN"], "sectors": ["chips"],
                                            "rate": rate}]})
    model = sim.SupplyChainModel(scenario, rng=4)
    model.run_for(700)
    st, net = model.engine.structure, model.network
    chips, us, cn = net.sectors.index("chips"), net.economies.index("US"), net.economies.index("CN")
    buyers = st.slot_buyer[: st.n_firm_slots]
    slots = np.flatnonzero((st.slot_sector[: st.n_firm_slots] == chips) & (net.firm_economy[buyers] == us))
    link = np.isin(st.slot, slots)
    wedge = np.where(net.firm_economy[st.supplier] == cn, 1 + rate, 1.0)
    expected = st.w0 * wedge**-sigma * model.engine.state.price[st.supplier] ** -sigma
    expected /= np.bincount(st.slot, expected, st.n_slots)[st.slot]
    origins = np.array([len(np.unique(net.firm_economy[st.supplier[st.slot == s]])) for s in slots])
    assert (origins == 1).any() and (origins > 1).any()  # single-origin and diversified buyers both present
    assert np.allclose(model.engine.state.share[link], expected[link], rtol=1e-3, atol=1e-6)


def test_export_control_blocks_its_share():
    share = 0.4
    model = sim.SupplyChainModel(tiny(**{"export_controls": [
        {"exporter": "CN", "importers": ["MY"], "sectors": ["materials"], "share": share, "start_day": 3,
         "end_day": 40}]}), rng=1)
    st = model.engine.structure
    for _ in range(60):
        day = model.day
        model.step()
        f = model.last_flows
        # the links of this step (supplier search may have added some)
        controlled = (st.firm_economy[st.supplier] == 1) & (st.buyer_economy == 2) & (st.firm_sector[st.supplier] == 0)
        assert controlled.any()
        expected = share if 3 <= day < 40 else 0.0
        assert np.allclose(f.blocked[controlled], expected)
        assert np.all(f.shipped[controlled] <= (1 - expected) * f.ordered[controlled] * (1 + 1e-12))
        assert np.all(f.blocked[~controlled] == 0)


def test_capacity_shock_profile_by_firm():
    """A shock on named firms: full loss for its duration, linear recovery, untouched firms intact."""
    model = sim.SupplyChainModel(tiny(**{"capacity_shocks": [
        {"firms": [0, 3], "share": 0.5, "start_day": 2, "duration_days": 4, "recovery_days": 4}]}), rng=1)
    seen = []
    for _ in range(12):
        model.step()
        seen.append(model.policy.capacity.copy())
    seen = np.array(seen)
    assert np.allclose(seen[:, [0, 3]].T, [[1, 1, .5, .5, .5, .5, .5, .625, .75, .875, 1, 1]] * 2)
    assert np.all(np.delete(seen, [0, 3], axis=1) == 1)


def test_unmet_demand_counts_blocked_orders():
    """A full block of CN materials to MY leaves MY chipmakers' whole materials order unfilled at once."""
    res = sim.run("tiny", steps=3, overrides={"export_controls": [
        {"exporter": "CN", "importers": ["MY"], "sectors": ["materials"], "share": 1.0}]})
    unmet = res.unmet_demand.set_index(["step", "country", "sector", "use"])["value"]
    assert unmet[(1, "MY", "materials", "intermediate")] == pytest.approx(200 / 365, rel=1e-9)
    assert unmet.drop((1, "MY", "materials", "intermediate")).loc[1].abs().max() < 1e-12
    assert res.baseline.unmet_demand["value"].abs().max() < 1e-12


def test_licensing_delays_its_share_and_loses_nothing():
    """A licensing lag holds `share` of the controlled shipments for its lag, then releases them."""
    model = sim.SupplyChainModel(tiny(**{"engine.check_ledger": True, "export_controls": [
        {"exporter": "CN", "importers": ["MY"], "sectors": ["materials"], "share": 0.5, "licensing_days": 10,
         "start_day": 5, "end_day": 30}]}), rng=1)
    net = model.network
    controlled = (net.firm_economy[net.link_supplier] == 1) & (net.link_buyer_economy == 2) & (
        net.firm_sector[net.link_supplier] == 0)
    shipped = []
    for _ in range(60):
        model.step()  # the ledger (shipments, licences, transit, inventories) is checked every step
        shipped.append(model.last_flows.shipped[controlled].sum())
        waiting = model.engine.state.licensing.waiting()
        assert np.all(waiting[~controlled] == 0)
        if model.day == 20:  # held on days 10..19: half of what was shipped then
            assert waiting[controlled].sum() == pytest.approx(0.5 * sum(shipped[10:20]), rel=1e-9)
    assert model.engine.state.licensing.waiting().sum() == 0  # all released after the control ended
    events = model.results().events
    assert list(events["action"]) == ["export licensing", "export licensing ends"]
    assert model.results().arrays["unfilled"].sum() == pytest.approx(0, abs=1e-9)  # delayed, not blocked


def test_transit_pipeline_delivers_each_shipment_after_its_lead_time():
    """Ring buffers by lead time: what is sent at step t on a link with lead L arrives at t + L, nothing else."""
    from sim.engine.pipeline import TransitPipeline

    leads = np.array([3, 1, 2, 3, 1, 5])
    baseline = np.arange(1.0, 7.0)
    pipe = TransitPipeline(leads, baseline)
    assert rel(pipe.in_transit(), baseline * leads) < 1e-15
    sent = [np.full(6, 100.0 * (t + 1)) + np.arange(6) for t in range(12)]
    slot = np.array([0, 0, 1, 1, 1, 2], dtype=np.uint32)
    for t in range(12):
        arrived_slot = np.empty(3)
        arrived = pipe.advance(sent[t], slot=slot, arrived_slot=arrived_slot)
        expected = np.where(t - leads >= 0, [sent[max(t - lead, 0)][i] for i, lead in enumerate(leads)], baseline)
        assert np.array_equal(arrived, expected)
        assert np.array_equal(arrived_slot, np.bincount(slot, expected, 3))
        if t == 6:
            snapshot = pipe.copy()
    pending = [sum(sent[t][i] for t in range(12 - lead, 12)) for i, lead in enumerate(leads)]
    assert np.array_equal(pipe.in_transit(), pending)
    assert not np.array_equal(snapshot.in_transit(), pending)  # a copy does not move with the original


def test_compiled_sweeps_add_in_link_order_like_bincount():
    """The compiled sums are bit-identical to np.bincount's (same order of additions)."""
    from sim.engine import kernels

    rng = np.random.default_rng(5)
    index = rng.integers(0, 50, 10_000).astype(np.uint32)
    values = rng.lognormal(0.0, 3.0, 10_000)
    assert np.array_equal(kernels.group_sums(index, values, 60), np.bincount(index, values, 60))
    slot, supplier = np.sort(rng.integers(0, 900, 10_000)).astype(np.uint32), index
    price, share, slot_orders = rng.random(50), rng.random(10_000), rng.random(900)
    route, route_wedge, route_open = rng.integers(0, 7, 10_000).astype(np.uint16), rng.random(7), rng.random(7)
    landed, slot_price, demand = np.empty(10_000), np.empty(900), np.empty(50)
    limit = np.where(rng.random(10_000) < 0.3, 0.5 * slot_orders[slot] * share, np.inf)  # some orders held back
    kernels.prices_and_demand(slot, supplier, route, price, route_wedge, share, slot_orders, limit, route_open,
                              landed, slot_price, demand)
    assert np.array_equal(landed, price[supplier] * route_wedge[route])
    assert np.array_equal(slot_price, np.bincount(slot, share * landed, 900))
    wanted = slot_orders[slot] * share
    orders = np.minimum(wanted, limit)
    assert (orders < wanted).any()
    assert np.array_equal(demand, np.bincount(supplier, orders * route_open[route], 50))


def test_kernels_with_many_arguments_are_called_by_name():
    """Every call of a compiled kernel with more than four arguments names them (no silent swap)."""
    import ast
    import inspect
    from pathlib import Path

    import sim.engine.kernels as kernels

    compiled = {name for name, f in vars(kernels).items() if hasattr(f, "py_func")}
    root = Path(kernels.__file__).parent.parent
    calls = 0
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in compiled and len(node.args) + len(node.keywords) > 4:
                calls += 1
                assert not node.args, f"{path.name}:{node.lineno} calls {name} with positional arguments"
                expected = list(inspect.signature(getattr(kernels, name).py_func).parameters)
                assert [k.arg for k in node.keywords] == expected, f"{path.name}:{node.lineno} {name}"
    assert calls >= 9


@pytest.mark.parametrize("name, seed", [("us_tariffs_2025", 2), ("us_tariffs_2025", 9), ("rare_earth_cutoff", 4),
                                        ("asean_sectoral_deals", 5)])
def test_duties_are_summed_by_trade_group_and_by_paying_multinational_in_the_delivery_sweep(name, seed):
    """Each step's duties (shipped x supplier price x tariff) by trade group and by the multinational that ships
    from its plant abroad into its home economy, against the per-link formula, through supplier searches."""
    model = sim.SupplyChainModel(name, rng=seed, **{"engine.search_days": 30})
    net, paid_steps = model.network, 0
    for _ in range(120):
        model.step()
        engine, flows = model.engine, model.last_flows
        st, groups = engine.structure, engine.groups
        duty = flows.shipped * engine.state.price[st.supplier] * flows.tariff_rate
        assert np.allclose(flows.duty_group, np.bincount(groups.link, duty, groups.n), rtol=1e-12, atol=0)
        owner = net.firm_owner[st.supplier]
        home = np.array([net.economies.index(h) for h in net.multinational_home])[np.maximum(owner, 0)]
        importer = st.tariff_index // (st.n_economies * st.n_sectors)
        pays = (owner >= 0) & (importer == home) & (st.firm_economy[st.supplier] != importer)
        assert np.array_equal(groups.owner, np.where(pays, owner, -1))
        assert np.allclose(flows.owner_duty, np.bincount(owner[pays], duty[pays], groups.n_owners), rtol=1e-12, atol=0)
        paid_steps += flows.owner_duty.sum() > 0
    assert st.n_links > st.n_base_links and paid_steps > 50  # searches formed links; multinationals paid
