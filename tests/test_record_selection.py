"""What a run records (`report.record`, sim/recorder.py): a table left out holds only its latest row (the dynamics
never read the record: rules read the policy history), so the run is the same; its results lack the table and
say how to record it; the summary gives its figures as null; the record's memory per step shrinks."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.recorder import NotRecorded
from sim.scenario.schema import ALWAYS_RECORDED, RECORDED_TABLES

NARROW = {"report.record": ["price"]}


@pytest.fixture(scope="module")
def runs():
    full = sim.SupplyChainModel("us_tariffs_2025", rng=4)  # retaliation, quotas, negotiation
    narrow = sim.SupplyChainModel("us_tariffs_2025", rng=4, **NARROW)
    full.run_for(150)
    narrow.run_for(150)
    return full, narrow


def test_the_recorder_offers_the_tables_the_schema_names():
    model = sim.SupplyChainModel("tiny", rng=1)
    assert tuple(model.recorder.steady) == RECORDED_TABLES
    assert model.recorder.recorded == RECORDED_TABLES  # 'all' by default
    assert set(ALWAYS_RECORDED) <= set(RECORDED_TABLES)


def test_tables_left_out_change_nothing_in_the_run_and_keep_their_latest_row(runs):
    full, narrow = runs
    assert narrow.recorder.recorded == ("output", "delivered", "price")
    assert sorted(narrow.results().arrays) == ["delivered", "output", "price"]
    for name in ("output", "delivered", "price"):
        assert np.array_equal(narrow.results().arrays[name], full.results().arrays[name]), name
    for name in RECORDED_TABLES:  # what the Economy agents read: the last step's row of every table
        assert np.array_equal(narrow.recorder.latest(name), full.recorder.latest(name)), name
    assert full.events == narrow.events  # the rules acted alike
    assert narrow.recorder.bytes_per_step() < full.recorder.bytes_per_step() / 2


def test_a_table_not_recorded_says_how_to_record_it(runs):
    _, narrow = runs
    results = narrow.results()
    with pytest.raises(NotRecorded, match=r"table 'tariff_revenue' was not recorded.*report\.record.*add"):
        results.arrays["tariff_revenue"]
    with pytest.raises(NotRecorded):
        results.tariff_incidence()
    summary = results.summary()
    assert summary["tariff_revenue"] is None and summary["unmet_final_demand"] is None
    assert summary["tariff_incidence"] is None and summary["throughput"]["peak_loss_pct"] > 0
    assert set(results.tables()) == {"output", "flows", "prices", "events", "firms", "qualified", "links"}


def test_the_cli_runs_a_narrow_record_and_reports_what_was_left_out(tmp_path, capsys):
    assert main(["run", "tiny_trade_war", "--steps", "40", "--set", "report.record=[inventory]",
                 "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "Tariff revenue over the run: not recorded (report.record)" in printed
    written = {p.name for p in tmp_path.rglob("*.parquet")}
    assert "inventories.parquet" in written and "prices.parquet" not in written


def test_unknown_tables_are_refused_with_the_allowed_names():
    with pytest.raises(sim.ScenarioError) as refused:
        sim.load_scenario("tiny", {"report.record": ["output", "prices"]})
    assert refused.value.field.startswith("report.record") and "consumer_price" in str(refused.value)


def test_a_latest_row_stays_as_it_was_until_the_step_after_next():
    model = sim.SupplyChainModel("tiny_trade_war", rng=2, **NARROW)
    model.run_for(60)
    held = model.recorder.latest("tariff_revenue")
    kept = held.copy()
    model.step()  # the new row is written beside it
    assert np.array_equal(held, kept) and not np.array_equal(model.recorder.latest("tariff_revenue"), kept)
    assert len(model.recorder.rows["tariff_revenue"]) == 1


def test_the_recorder_always_keeps_output_and_deliveries():
    model = sim.SupplyChainModel("tiny", rng=1)
    with pytest.raises(ValueError, match="always recorded"):
        sim.recorder.Recorder(model.network, model.engine, recorded=("price",))


@pytest.mark.parametrize("name", ["tiny_trade_war", "rare_earth_cutoff", "malaysia_retaliates", "asean_sectoral_deals"])
@pytest.mark.parametrize("seed", [1, 7])
def test_a_narrow_record_leaves_every_run_the_same(name, seed):
    """On several shipped scenarios and seeds (controls, licensing, retaliation, negotiation): the kept tables,
    every latest row and the event log equal those of a full record."""
    full = sim.SupplyChainModel(name, rng=seed)
    narrow = sim.SupplyChainModel(name, rng=seed, **{"report.record": ["inventory"]})
    full.run_for(120)
    narrow.run_for(120)
    for table in ("output", "delivered", "inventory"):
        assert np.array_equal(narrow.results().arrays[table], full.results().arrays[table]), table
    for table in RECORDED_TABLES:
        assert np.array_equal(narrow.recorder.latest(table), full.recorder.latest(table)), table
    assert narrow.events == full.events
