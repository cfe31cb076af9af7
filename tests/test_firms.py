"""Firm-level outcomes (sim/firms.py): per-firm losses add up to the cell record, single-origin firms, qualified
suppliers, and the summary, files and printout that carry them."""

import json

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.firms import single_origin

SHOCKED = {"network.firms_per_cell": 12,
           "sectors.materials.qualification_days": 20.0,
           "capacity_shocks": [{"cells": ["CN.materials"], "share": 0.7, "start_day": 5, "duration_days": 40}],
           "export_controls": [{"exporter": "CN", "importers": ["US"], "sectors": ["chips"], "share": 1.0,
                                "start_day": 5, "end_day": 60}]}


@pytest.fixture(scope="module")
def shocked():
    model = sim.SupplyChainModel(sim.load_scenario("tiny", overrides=SHOCKED), rng=3)
    levels = []
    for _ in range(150):
        model.step()
        levels.append(model.last_flows.output / model.engine.structure.output0)
    return model, model.results(), np.array(levels)


def test_firm_losses_add_up_to_the_cell_record(shocked):
    model, results, levels = shocked
    firms = results.firms
    assert len(firms) == model.network.n_firms
    np.testing.assert_allclose(firms["worst_loss_pct"], 100 * (1 - levels.min(axis=0)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(firms["loss_days"], (1 - levels).sum(axis=0), rtol=1e-9, atol=1e-9)
    # output-weighted firm losses are the cell's lost output
    lost = firms["loss_days"] * firms["baseline_output"]
    by_cell = np.bincount(model.network.firm_cell, lost, model.network.n_cells)
    cell_lost = (results.steady["output"] - results.arrays["output"]).sum(axis=0)
    np.testing.assert_allclose(by_cell, cell_lost, rtol=1e-9, atol=1e-9 * cell_lost.max())
    assert firms["worst_loss_pct"].max() > 10  # the shock did hit some firms hard


def test_single_origin_flags_match_the_links():
    net = sim.SupplyChainModel(sim.load_scenario("tiny", overrides={"network.firms_per_cell": 12}), rng=1).network
    flags = single_origin(net)
    expected = np.zeros(net.n_firms, dtype=bool)
    firm = ~net.link_is_final
    buyer, supplier = net.link_buyer[firm], net.link_supplier[firm]
    for f in range(net.n_firms):
        mine = buyer == f
        for sector in np.unique(net.firm_sector[supplier[mine]]):
            cell_buyers = net.firm_cell[buyer] == net.firm_cell[f]
            of_sector = net.firm_sector[supplier] == sector
            cell_origins = np.unique(net.firm_economy[supplier[cell_buyers & of_sector]])
            my_origins = np.unique(net.firm_economy[supplier[mine & of_sector]])
            expected[f] |= len(cell_origins) > 1 and len(my_origins) == 1
    assert np.array_equal(flags, expected) and flags.any() and not flags.all()


def test_qualified_suppliers_are_listed_by_day_and_origin(shocked):
    model, results, _ = shocked
    qualified = results.qualified
    st = model.engine.structure
    lifted = np.flatnonzero(np.isinf(model.engine.state.limit) & np.isfinite(st.limit0))
    assert len(qualified) == len(lifted) > 0
    assert (qualified["day"] >= 20).all()  # not before the qualification time
    assert set(qualified["sector"].astype(str)) <= {"materials", "chips", "electronics"}
    pairs = set(zip(qualified["supplier"], qualified["buyer"], strict=True))
    assert pairs == set(zip(model.network.link_supplier[lifted], model.network.link_buyer[lifted], strict=True))


def test_single_origin_buyers_fare_worse_under_a_rare_earth_cutoff():
    outcomes = sim.run("rare_earth_cutoff", steps=200).summary()["firm_outcomes"]
    single, diversified = outcomes["single_origin"], outcomes["diversified"]
    assert single["firms"] > 0 and diversified["firms"] > 0
    assert single["mean_loss_days"] > diversified["mean_loss_days"]
    assert single["share_losing_over_50pct"] > diversified["share_losing_over_50pct"]
    assert outcomes["worst_cells"][0]["share_losing_over_10pct"] == 1.0


def test_run_writes_and_prints_firm_outcomes(tmp_path, capsys):
    assert main(["run", "tiny", "--steps", "60", "--quiet", "--out", str(tmp_path),
                 "--set", "capacity_shocks=[{cells: [MY.chips], share: 0.5, start_day: 5, duration_days: 20}]"]) == 0
    printed = capsys.readouterr().out
    assert "Firms, output lost at their worst step" in printed and "single-origin" in printed
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"worst_loss_pct_quantiles", "single_origin", "diversified", "worst_cells"} <= set(summary["firm_outcomes"])
    import pandas as pd

    firms = pd.read_parquet(tmp_path / "firms.parquet")
    assert len(firms) == summary["firms"] and {"single_origin", "worst_loss_pct", "loss_days"} <= set(firms)
