"""The Mesa face: agents, stepping, results tables and the summary."""

import ast
import subprocess
import sys

import mesa
import numpy as np
import pytest

import sim
from sim.agents import Economy, Firm, Government, Multinational


@pytest.fixture(scope="module")
def model():
    scenario = sim.load_scenario("tiny", overrides={
        "multinationals": [{"name": "USChipCo", "home": "US", "plants": [{"cell": "MY.chips", "share": 0.65}]}],
        "tariffs.applied": [{"importer": "US", "exporters": ["MY"], "rate": 0.19, "start_day": 5}],
    })
    m = sim.SupplyChainModel(scenario, rng=42)
    m.run_for(20)
    return m


def test_is_a_mesa_model_with_all_agent_types(model):
    assert isinstance(model, mesa.Model)
    assert model.steps == 20
    counts = {cls: len(model.agents_by_type[cls]) for cls in (Firm, Economy, Government, Multinational)}
    assert counts[Firm] == model.network.n_firms
    assert counts[Economy] == counts[Government] == 3
    assert counts[Multinational] == 1


def test_firm_reads_the_engine_arrays(model):
    firm = model.firm(int(np.argmax(model.engine.structure.output0)))
    assert firm.output == pytest.approx(model.last_flows.output[firm.index])
    assert firm.price == model.engine.state.price[firm.index]
    assert all(model.network.firm_cell[s] // 3 >= 0 for s in firm.suppliers)
    with pytest.raises(IndexError):
        model.firm(model.network.n_firms)


def test_multinational_owns_its_share_and_pays_its_tariff_bill(model):
    mnc = model.multinationals["USChipCo"]
    net = model.network
    cell = net.economies.index("MY") * net.n_sectors + net.sectors.index("chips")
    cell_output = net.firm_output[net.firm_cell == cell].sum()
    assert net.firm_output[mnc.plants].sum() / cell_output >= 0.65
    assert mnc.tariff_bill > 0  # 19% on what its Malaysian plants ship to the US


def test_economy_aggregates(model):
    us = model.economies["US"]
    assert us.imports > 0 and us.tariff_revenue > 0
    assert us.output == pytest.approx(model.recorder.latest("output")[:3].sum())


def test_results_tables_have_the_promised_columns(model):
    res = model.results()
    assert list(res.output.columns) == ["step", "country", "sector", "output"]
    assert list(res.flows.columns) == ["step", "exporter", "importer", "sector", "use", "value"]
    assert {"step", "country", "sector", "price"} <= set(res.prices.columns)
    assert {"step", "country", "sector", "use", "value"} <= set(res.unmet_demand.columns)
    assert {"step", "importer", "exporter", "sector", "value"} <= set(res.tariff_revenue.columns)
    assert res.output["step"].max() == 20
    revenue = res.tariff_revenue
    assert revenue[(revenue.importer == "US") & (revenue.exporter == "MY")]["value"].sum() > 0
    assert revenue[revenue.importer != "US"]["value"].sum() == 0
    summary = res.summary()
    assert summary["reference"] == "calibrated steady state"
    assert set(summary["by_economy"]) == {"US", "CN", "MY"}


def test_datacollector_collects_each_step(model):
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 20
    assert frame["tariff_revenue"].iloc[-1] > 0 == frame["tariff_revenue"].iloc[0]
    recorded = model.results()  # the collector's totals are the recorder's
    assert np.allclose(frame["throughput"], recorded.arrays["delivered"].sum(axis=1), rtol=1e-12)


def test_a_model_without_the_datacollector_records_the_same_run():
    collecting = sim.SupplyChainModel("tiny_trade_war", rng=5)
    quiet = sim.SupplyChainModel("tiny_trade_war", rng=5, data_collector=False)
    collecting.run_for(30)
    quiet.run_for(30)
    assert len(collecting.datacollector.get_model_vars_dataframe()) == 30
    assert not quiet.datacollector.model_reporters and not quiet.datacollector.model_vars
    assert all(np.array_equal(collecting.results().arrays[name], quiet.results().arrays[name])
               for name in collecting.results().arrays)


def test_firm_agents_on_demand_for_large_networks():
    m = sim.SupplyChainModel(sim.load_scenario("tiny"), rng=1, firm_agents=False)
    assert len(m.agents_by_type.get(Firm, [])) == 0
    assert m.firm(3).sector in m.network.sectors
    assert len(m.agents_by_type[Firm]) == 1


def test_schedule_entries_cover_every_partner_sector_combination():
    """An entry with several exporters and several sectors sets all their combinations, nothing else."""
    scenario = sim.load_scenario("tiny", overrides={
        "tariffs.applied": [{"importer": "US", "exporters": ["CN", "MY"], "sectors": "*", "rate": 0.3}],
        "export_controls": [{"exporter": "CN", "importers": ["US", "MY"], "sectors": ["chips", "materials"],
                             "share": 0.2}],
    })
    m = sim.SupplyChainModel(scenario, rng=1)
    m.step()
    tariff, block = m.policy.tariff, m.policy.export_block
    assert np.all(tariff[0, 1:, :] == 0.3) and np.all(tariff[0, 0, :] == 0) and np.all(tariff[1:] == 0)
    assert np.all(block[1, [0, 2]][:, [0, 1]] == 0.2) and np.all(block[1, :, 2] == 0) and block.sum() == 0.2 * 4


def test_policy_paths_diversion_and_incidence(model):
    res = model.results()
    us_my = res.tariffs.query("importer == 'US' and exporter == 'MY'")
    assert set(us_my.loc[us_my.step <= 5, "rate"]) == {0.0} and set(us_my.loc[us_my.step > 6, "rate"]) == {0.19}
    assert np.array_equal(res.arrays["tariff"].reshape(-1, 3, 3, 3), model.tariff_history)
    shares = res.import_shares("US", "chips")
    assert np.allclose(shares.sum(axis=1), 1.0)
    incidence = res.tariff_incidence().set_index("payer")["value"]
    total = res.arrays["tariff_revenue"].sum()
    assert incidence[["consumers", "firms"]].sum() == pytest.approx(total, rel=1e-12)
    bill = incidence["multinational USChipCo"]
    assert 0 < bill < incidence["firms"].sum()  # its plants ship chips to US firms, a part of what firms paid
    assert res.export_controls["share"].max() == 0


def test_economy_value_added_and_bilateral_trade(model):
    my, us = model.economies["MY"], model.economies["US"]
    assert my.trade_with("US", "chips") == pytest.approx(us.trade_with("MY", "chips", exports=False))
    assert my.trade_with("US", "chips") < my.trade_with("US")
    assert my.exports == pytest.approx(sum(my.trade_with(p) for p in ("US", "CN")))
    fresh = sim.SupplyChainModel(model.config.without_shocks(), network=model.network, rng=42)
    scenario = model.config
    sup, buy, val, *_ = scenario.io_blocks()
    cells = np.arange(3) + 3 * 2  # MY's cells
    expected = scenario.gross_output()[cells].sum() - val[np.isin(buy, cells)].sum()
    assert fresh.economies["MY"].value_added == pytest.approx(expected, rel=1e-9)


def test_mesa_batch_run_sweeps_dotted_scenario_parameters():
    """`mesa.batch_run` builds the model with dotted scenario overrides and stops at the scenario's end (in a
    process of its own: batch_run sets the process-wide start method of multiprocessing)."""
    script = """
import mesa, sim
rows = mesa.batch_run(sim.SupplyChainModel, {"scenario": "tiny_trade_war", "engine.switching_days": [5, 60],
                                             "time.steps": 60}, max_steps=1000,
                      number_processes=1, data_collection_period=-1, display_progress=False)
print(sorted((r["engine.switching_days"], r["Step"], r["output"]) for r in rows))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert [(days, step) for days, step, _ in rows] == [(5, 60), (60, 60)]  # stopped at time.steps, not 1000
    for days, _, output in rows:  # what the same model built directly records
        model = sim.SupplyChainModel("tiny_trade_war", **{"engine.switching_days": days, "time.steps": 60})
        model.run_for(60)
        assert output == pytest.approx(float(model.recorder.latest("output").sum()), rel=1e-12)
    assert rows[0][2] != pytest.approx(rows[1][2], rel=1e-9)  # the override changes the run
    with pytest.raises(ValueError, match="engine.switching_days.*not with a loaded Scenario"):
        sim.SupplyChainModel(sim.load_scenario("tiny"), **{"engine.switching_days": 5})


def test_removing_a_firm_closes_its_plant():
    model = sim.SupplyChainModel("tiny", rng=3, **{"engine.check_ledger": True})
    model.run_for(5)
    firm = model.firm(0)
    assert firm.output > 0
    firm.remove()
    assert firm not in model.agents
    model.run_for(20)  # the conservation ledger is checked every step
    assert model.last_flows.output[0] == 0.0 and model.policy.capacity[0] == 0.0
    assert np.all(model.last_flows.shipped[model.engine.structure.supplier == 0] == 0.0)
    assert model.last_flows.output[1:].sum() > 0


def test_the_record_keeps_a_policy_tensor_once_while_it_does_not_change():
    model = sim.SupplyChainModel("tiny_trade_war")
    model.run_for(200)
    rows = model.recorder.rows["tariff"]
    distinct = {id(r) for r in rows}
    changes = 1 + sum(not np.array_equal(a, b) for a, b in zip(rows, rows[1:], strict=False))
    assert len(distinct) == changes < len(rows) / 5  # a few policy days in 200 steps
    assert np.array_equal(model.recorder.table("tariff"), np.vstack([r.copy() for r in rows]))
    per_step = model.recorder.bytes_per_step()
    full = sum(rows_[-1].nbytes for rows_ in model.recorder.rows.values())
    assert 0 < per_step < full


def test_results_taken_mid_run_keep_their_steps_while_the_model_goes_on():
    model = sim.SupplyChainModel("tiny_trade_war", rng=1)
    model.run_for(40)
    results = model.results()
    loss_days = model.recorder.firm_loss_days.copy()
    model.run_for(40)
    assert {len(results.arrays[name]) for name in results.arrays} == {40} and results.steps == 40
    # the firm table is made when first read, from the record as it was when the results were taken
    assert not np.array_equal(model.recorder.firm_loss_days, loss_days)
    assert np.array_equal(results.firms["loss_days"].to_numpy(), loss_days)


def test_release_frees_the_run_arrays_at_once_and_keeps_the_results():
    """A Mesa model sits in reference cycles: without `release` its engine waits for the cycle collector."""
    import gc
    import weakref

    from sim.engine.core import Engine

    gc.collect()
    gc.disable()
    try:
        model = sim.SupplyChainModel("us_tariffs_2025", rng=3)  # retaliation, negotiation and quota rules
        model.run_for(30)
        results = model.results()
        output = results.arrays["output"].copy()
        held = [weakref.ref(x) for x in (model.engine, model.engine.state, model.recorder, model.history)]
        model.release()
        assert [ref() for ref in held] == [None] * 4
        for after_release in (model.step, model.results):
            with pytest.raises(RuntimeError, match="released"):
                after_release()
        before = sum(isinstance(x, Engine) for x in gc.get_objects())
        sim.run("tiny_trade_war", steps=20)  # a run and its baseline run: both released
        assert sum(isinstance(x, Engine) for x in gc.get_objects()) == before
    finally:
        gc.enable()
    assert np.array_equal(results.arrays["output"], output) and len(results.firms) == results.n_firms
