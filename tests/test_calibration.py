"""The calibrated 2024 baseline: its data table, its targets, and the scenario library built on it."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.calibration import check_targets, target_value
from sim.headline import import_price_index, indicator_series
from sim.scenario import CalibrationTarget, Indicator

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ["us_tariffs_2025", "malaysia_retaliates", "no_chip_exemption", "rare_earth_cutoff", "asean_sectoral_deals",
           "ieepa_struck_down_2026", "rare_earth_suspension_lapses", "friendshoring"]


@pytest.fixture(scope="module")
def baseline():
    return sim.load_scenario("baseline_2024")


def test_data_table_is_what_its_build_script_writes(tmp_path):
    """configs/data/*.csv are generated: regenerating them from build_io_2024.py changes nothing."""
    spec = importlib.util.spec_from_file_location("build_io_2024", ROOT / "configs/data/build_io_2024.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(*module.build(), folder=tmp_path)
    for name in ("io_2024_intermediate.csv", "io_2024_final_demand.csv"):
        assert (tmp_path / name).read_text() == (ROOT / "configs/data" / name).read_text(), name


def test_every_flow_has_a_source(baseline):
    records = [*baseline.io.intermediate, *baseline.io.final_demand]
    assert len(records) > 1000
    assert all(r.source and r.source.strip() for r in records)
    assert all(r.source.split(":")[0].split()[0] in {"V", "S", "D", "U"} for r in records)


def test_baseline_reproduces_its_targets(baseline):
    table = check_targets(baseline)
    assert len(table) >= 12
    assert table["ok"].all(), table[~table["ok"]].to_string()
    by_name = table.set_index("name")["model"]
    assert by_name["Malaysia's share of US chip imports"] == pytest.approx(0.26, abs=0.02)
    assert by_name["US import reliance on China for rare-earth compounds and metals"] == pytest.approx(0.70, abs=0.05)
    assert by_name["Malaysia's share of the world glove market"] == pytest.approx(0.45, abs=0.02)


def test_a_target_detects_a_wrong_table(baseline):
    """Doubling Taiwan's chip sales to the US moves Malaysia's share out of its tolerance."""
    raw = baseline.model_dump()
    for flow in raw["io"]["intermediate"] + raw["io"]["final_demand"]:
        if (flow["exporter"], flow["sector"], flow["importer"]) == ("TW", "chips", "US"):
            flow["value"] *= 2
    changed = sim.Scenario.from_dict(raw)
    table = check_targets(changed).set_index("name")
    assert not table.loc["Malaysia's share of US chip imports", "ok"]


def test_target_kinds_compute_shares():
    s = sim.load_scenario("tiny")
    out = CalibrationTarget(name="t", kind="output_share", economy="MY", sectors=["chips"], value=0.5, tolerance=0.5)
    exports = CalibrationTarget(name="t", kind="export_share", economy="MY", sectors=["chips"], value=0.5,
                                tolerance=0.5)
    assert 0 < target_value(s, out) < 1
    assert 0 < target_value(s, exports) <= 1
    with pytest.raises(sim.ScenarioError, match="needs exporter and importer"):
        bad = {"name": "x", "kind": "import_share", "sectors": ["chips"], "value": 0.1, "tolerance": 0.1}
        sim.Scenario.from_dict({**s.model_dump(), "targets": [bad]})


def test_baseline_2024_is_stationary_on_its_headline_indicators(baseline):
    model = sim.SupplyChainModel(baseline, rng=3)
    model.run_for(120)
    res = model.results()
    for indicator in baseline.report.indicators:
        for label, (run, ref) in indicator_series(res, indicator).items():
            np.testing.assert_allclose(run, ref, rtol=1e-9, err_msg=label)


@pytest.mark.parametrize("name", LIBRARY)
def test_library_scenario_runs_with_the_ledger(name):
    """Each scenario loads, runs a short horizon with the conservation ledger checked every step."""
    scenario = sim.load_scenario(name, overrides={"engine.check_ledger": True})
    res = sim.run(scenario, steps=40)
    summary = res.summary()
    assert summary["steps"] == 40 and "headline" in summary and "diversion" in summary
    assert all(math.isfinite(v["final_level_pct"]) for v in summary["headline"].values())


def test_default_is_the_2025_timeline():
    assert sim.DEFAULT_SCENARIO == "us_tariffs_2025"
    s = sim.load_scenario(None)
    assert s.name == "us_tariffs_2025" and len(s.economies) == 13 and len(s.sectors) >= 12


def _level(res, indicator: Indicator) -> float:
    """Cumulative run over reference of an indicator (1 = undisturbed)."""
    ((run, ref),) = indicator_series(res, indicator).values()
    return float(run.sum() / ref.sum())


MY_EXPORTS = Indicator(name="MY exports", exporters=["MY"], cross_border=True)


def test_non_retaliation_disrupts_malaysia_less():
    quiet = sim.run("us_tariffs_2025", steps=330)
    answers = sim.run("malaysia_retaliates", steps=330)
    assert _level(answers, MY_EXPORTS) < _level(quiet, MY_EXPORTS)
    assert (answers.events["rule"] == "tit_for_tat").any() and (answers.events["actor"] == "MY").any()


def test_chip_exemption_lowers_us_chip_prices_and_keeps_malaysian_chips_flowing():
    exempt = sim.run("us_tariffs_2025", steps=200)
    taxed = sim.run("no_chip_exemption", steps=200)
    price_exempt = import_price_index(exempt, "US", ["chips"])
    price_taxed = import_price_index(taxed, "US", ["chips"])
    assert price_taxed[150] > price_exempt[150] + 0.05
    my_us = Indicator(name="MY->US chips", exporters=["MY"], importers=["US"], sectors=["chips"])
    assert _level(taxed, my_us) < _level(exempt, my_us)


def test_rare_earth_cutoff_starves_us_auto_makers_and_lifts_malaysian_refining():
    """Magnets reaching US makers and US auto/EV output fall; Malaysia's refiners ship more to the US, but within
    the volume its US buyers have qualified (1 + volume_flexibility of the baseline) until a year has passed."""
    licensed = sim.run("us_tariffs_2025", steps=250)
    cut = sim.run("rare_earth_cutoff", steps=250)
    magnets_in = Indicator(name="magnets to US", importers=["US"], sectors=["magnets"])
    us_autos = Indicator(name="US autos", measure="output", exporters=["US"], sectors=["autos"])
    my_refining = Indicator(name="MY RE to US", exporters=["MY"], importers=["US"], sectors=["rare_earth_processing"])
    assert _level(cut, magnets_in) < _level(licensed, magnets_in) - 0.05
    assert _level(cut, us_autos) < _level(licensed, us_autos) - 0.02
    flexibility = sim.load_scenario("rare_earth_cutoff").engine.volume_flexibility
    # both the licensing squeeze and the cut-off send US buyers to Malaysia, up to the volume they have qualified
    assert 1.05 < _level(licensed, my_refining) <= _level(cut, my_refining) <= 1 + flexibility + 1e-9
    # in the 60 days after the cut-off no origin delivers more than the qualified volume on any day
    from sim.library import resourcing

    table = resourcing(cut)
    assert set(table["sector"]) == {"rare_earth_processing", "magnets"} and "MY" in set(table["origin"])
    assert table["largest day"].max() <= 1 + flexibility + 1e-9 < 1.3


def test_library_page_is_generated(tmp_path):
    from sim.library import write_library

    page = write_library(tmp_path / "scenarios.md", names=("us_tariffs_2025", "malaysia_retaliates"), steps=120)
    text = page.read_text()
    assert "| chips to US final demand: cum. loss (days) |" in text
    assert "us_tariffs_2025 | malaysia_retaliates" in text
    assert "## The story of the default run" in text and "**2025-04-05** US add tariff" in text
    assert (tmp_path / "figures" / "scenario_malaysia_retaliates.png").stat().st_size > 10_000


def test_io_table_from_csv_reports_the_bad_row(tmp_path):
    (tmp_path / "flows.csv").write_text("exporter,sector,importer,value\nUS,chips,US,lots\n")
    (tmp_path / "s.yaml").write_text("extends: " + str(ROOT / "configs/scenarios/tiny.yaml") +
                                     "\nio: {final_demand: flows.csv}\n")
    with pytest.raises(sim.ScenarioError, match=r"flows.csv.*row 2: value 'lots' is not a number"):
        sim.load_scenario(tmp_path / "s.yaml")
    (tmp_path / "flows.csv").write_text("exporter,sector,value\nUS,chips,1\n")
    with pytest.raises(sim.ScenarioError, match="missing column"):
        sim.load_scenario(tmp_path / "s.yaml")


def test_extending_file_appends_with_plus(tmp_path):
    (tmp_path / "s.yaml").write_text("extends: " + str(ROOT / "configs/scenarios/tiny_trade_war.yaml") +
                                     "\ntariffs:\n  applied+:\n    - {importer: US, exporters: [MY], rate: 0.5,"
                                     " start_day: 150}\n")
    base = sim.load_scenario("tiny_trade_war")
    extended = sim.load_scenario(tmp_path / "s.yaml")
    assert len(extended.tariffs.applied) == len(base.tariffs.applied) + 1
    assert extended.tariffs.applied[-1].rate == 0.5


def test_an_output_indicator_rejects_trade_fields():
    raw = sim.load_scenario("tiny").model_dump()
    raw["report"] = {"indicators": [{"name": "x", "measure": "output", "importers": ["US"]}]}
    with pytest.raises(sim.ScenarioError, match="output indicator selects cells"):
        sim.Scenario.from_dict(raw)
    raw["report"] = {"indicators": [{"name": "x", "exporters": ["XX"]}]}
    with pytest.raises(sim.ScenarioError, match="XX"):
        sim.Scenario.from_dict(raw)
