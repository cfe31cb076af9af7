"""Tariffs both ways: the sourced 2024 table, duties added to it, offers that cut by sector, and the
US-Malaysia agreement changing US exports to Malaysia."""

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.library import without_concessions
from sim.model import Names, tariff_tensor
from sim.scenario import FLAGS, resolve_path

DATA = Path(__file__).parent.parent / "configs" / "data"
US, CN, MY = 0, 1, 2
MATERIALS, CHIPS, ELECTRONICS = 0, 1, 2


def builder():
    spec = importlib.util.spec_from_file_location("build_tariffs_2024", DATA / "build_tariffs_2024.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_is_up_to_date_and_covers_every_cross_border_line_once():
    with open(DATA / "tariffs_2024.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == builder().table(), "configs/data/tariffs_2024.csv is stale: run configs/data/build_tariffs_2024.py"
    scenario = sim.load_scenario("baseline_2024")
    n_econ, n_sec = len(scenario.economies), len(scenario.sectors)
    lines = {(r["importer"], r["exporter"], r["sector"]) for r in rows}
    assert len(rows) == len(lines) == n_econ * (n_econ - 1) * n_sec
    assert all(i != e for i, e, _ in lines)
    assert all(r["flag"] in FLAGS and r["source"] for r in rows)


def test_baseline_tensor_is_the_table_and_untaxed_at_home():
    scenario = sim.load_scenario("baseline_2024")
    names = Names(scenario.economy_names, scenario.sector_names)
    tensor = tariff_tensor(scenario, scenario.tariffs.baseline, names)
    assert np.all(np.diagonal(tensor, axis1=0, axis2=1) == 0)
    with open(DATA / "tariffs_2024.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            i, e = names.economy(row["importer"]), names.economy(row["exporter"])
            assert tensor[i, e, scenario.sector_names.index(row["sector"])] == float(row["rate"])
    # both sides carry duties: Malaysia taxes US cars, China keeps its 2018-19 retaliation
    e = scenario.economy_names.index
    autos = scenario.sector_names.index("autos")
    assert tensor[e("MY"), e("US"), autos] > 0.2 and tensor[e("CN"), e("US")].max() > 0.2


@pytest.mark.parametrize(("header", "row", "message"), [
    ("importer,exporter,sector,rate,source", "US,CN,chips,0.1,x", "missing column(s) flag"),
    ("importer,exporter,sector,rate,flag,source", "US,CN,chips,a lot,V,x", "row 2: rate 'a lot' is not a number"),
    ("importer,exporter,sector,rate,flag,source", "US,CN,chips,0.1,maybe,x", "row 2: flag 'maybe'; allowed: V"),
    ("importer,exporter,sector,rate,flag,source", "US,XX,chips,0.1,V,x", "unknown economy 'XX'"),
    ("importer,exporter,sector,rate,flag,source", "US,CN,chips,-0.1,V,x", "rate -0.1; allowed: a finite number"),
    ("importer,exporter,sector,rate,flag,source", "US,CN,chips,inf,V,x", "rate inf; allowed: a finite number"),
    ("importer,exporter,sector,rate,flag,source", "US,US,chips,0.1,V,x", "US on its own goods"),
    ("importer,exporter,sector,rate,flag,source", "US,CN,chips,0.1,V,x\nUS,CN,chips,0.2,V,y",
     "US/CN/chips is also on row 2"),
    ("importer,exporter,sector,rate,rate,flag,source", "US,CN,chips,0.1,0.2,V,x", "rate appear twice in the header"),
    ("importer,exporter,sector,rate,flag,source", "US,CN,chips,0.1,V,x,extra", "row 2 has more fields"),
    ("importer,exporter,sector,rate,flag,source", "US,CN,chips,0.1", "row 2 has fewer fields"),
])
def test_bad_tariff_table_names_file_and_field(tmp_path, header, row, message):
    (tmp_path / "tariffs.csv").write_text(f"{header}\n{row}\n".replace("\\n", "\n"))
    tiny = resolve_path("tiny")
    (tmp_path / "s.yaml").write_text(f"extends: {tiny}\ntariffs:\n  baseline: tariffs.csv\n")
    with pytest.raises(ScenarioError) as error:
        sim.load_scenario(tmp_path / "s.yaml")
    assert message in str(error.value)
    if "unknown economy" not in message:  # names come from the parent file, so that error names this one
        assert "tariffs.csv" in str(error.value) and ("row " in str(error.value) or "column" in str(error.value))


BASELINE = [{"importer": "US", "exporters": ["CN"], "rate": 0.25},
            {"importer": "US", "exporters": ["CN"], "sectors": ["chips"], "rate": 0.05}]


def tariff_path(applied, steps=20):
    scenario = sim.load_scenario("tiny", overrides={"tariffs.baseline": BASELINE, "tariffs.applied": applied})
    model = sim.SupplyChainModel(scenario, rng=1)
    model.run(steps)
    return np.array(model.tariff_history)


def test_an_increase_adds_to_each_lines_calibration_year_rate_and_a_rate_sets_it():
    path = tariff_path([{"importer": "US", "exporters": ["CN"], "increase": 0.1, "start_day": 5},
                        {"importer": "US", "exporters": ["CN"], "sectors": ["electronics"], "rate": 0.6,
                         "start_day": 10}])
    assert np.allclose(path[:5, US, CN], [0.25, 0.05, 0.25])
    assert np.allclose(path[5:10, US, CN], [0.35, 0.15, 0.35])
    assert np.allclose(path[10:, US, CN], [0.35, 0.15, 0.6])
    assert np.all(path[:, US, MY] == 0)


def test_retaliation_counts_only_the_increase_over_the_calibration_year():
    scenario = sim.load_scenario("tiny", overrides={
        "tariffs.baseline": BASELINE + [{"importer": "CN", "exporters": ["US"], "rate": 0.2}],
        "tariffs.applied": [{"importer": "US", "exporters": ["CN"], "increase": 0.1, "start_day": 5}],
        "retaliation": [{"economy": "CN", "rule": "tit_for_tat", "delay_days": 1}]})
    model = sim.SupplyChainModel(scenario, rng=1)
    model.run(20)
    path = np.array(model.tariff_history)
    assert np.allclose(path[:5, CN, US], 0.2)  # a 2024 base is not a provocation
    assert np.allclose(path[-1, CN, US], 0.3)  # the 10-point US increase is answered on top of it


@pytest.mark.parametrize(("entry", "where", "message"), [
    ({"importer": "US", "rate": 0.1, "increase": 0.1}, "applied", "exactly one of rate"),
    ({"importer": "US"}, "applied", "exactly one of rate"),
    ({"importer": "US", "rate": float("inf")}, "applied", "tariffs.applied[0].rate"),
    ({"importer": "US", "increase": 0.1}, "baseline", "tariffs.baseline[0].increase"),
])
def test_bad_tariff_entries_are_refused(entry, where, message):
    with pytest.raises(ScenarioError) as error:
        sim.load_scenario("tiny", overrides={f"tariffs.{where}": [entry]})
    assert message in str(error.value)


def offer_path(concessions, cut_share=0.984):
    scenario = sim.load_scenario("tiny", overrides={
        "tariffs.baseline": [{"importer": "MY", "exporters": ["US"], "rate": 0.1},
                             {"importer": "MY", "exporters": ["US"], "sectors": ["electronics"], "rate": 0.3}],
        "negotiation": {"offers": [{"offerer": "MY", "partner": "US", "day": 10, "cut_share": cut_share,
                                    "exemption_sectors": ["chips"], "concessions": concessions}]}})
    model = sim.SupplyChainModel(scenario, rng=1)
    model.run(20)
    return np.array(model.tariff_history), model


def test_concessions_cut_the_offerers_tariffs_sector_by_sector():
    path, model = offer_path([{"sectors": "*", "cut": 0.6}, {"sectors": ["electronics"], "cut": 0.5},
                              {"sectors": ["chips"], "cut": 1.0}])
    assert np.allclose(path[:10, MY, US], [0.1, 0.1, 0.3])
    assert np.allclose(path[10:, MY, US], [0.04, 0.0, 0.15])  # later concessions win on their sectors
    reason = model.results().events.query("action == 'offer'")["reason"].iloc[0]
    assert "electronics -50%" in reason and "materials -60%" in reason


def test_an_offer_without_concessions_cuts_every_sector_by_its_share_of_lines():
    path, _ = offer_path([], cut_share=0.5)
    assert np.allclose(path[10:, MY, US], [0.05, 0.05, 0.15])
    path, _ = offer_path([{"sectors": ["electronics"], "cut": 0.2}], cut_share=0.5)  # the others keep cut_share
    assert np.allclose(path[10:, MY, US], [0.05, 0.05, 0.24])


def test_an_entry_for_every_exporter_leaves_the_importers_own_goods_untaxed():
    path = tariff_path([{"importer": "US", "increase": 0.1, "start_day": 2}])
    assert np.all(path[:, US, US] == 0) and np.allclose(path[2:, US, MY], 0.1)


def test_bad_concession_sector_is_named():
    with pytest.raises(ScenarioError) as error:
        offer_path([{"sectors": ["chipz"], "cut": 0.5}])
    assert "negotiation.offers[0].concessions[0].sectors" in str(error.value) and "chips" in str(error.value)


def test_the_us_malaysia_agreement_cuts_malaysias_tariff_and_us_exports_respond():
    scenario = sim.load_scenario("us_tariffs_2025")
    deal = next(o for o in scenario.negotiation.offers if (o.offerer, o.partner) == ("MY", "US"))
    day = int(deal.day)
    runs = {}
    for label, overrides in (("deal", {}), ("no cuts", without_concessions("us_tariffs_2025"))):
        runs[label] = sim.run("us_tariffs_2025", overrides=overrides, rng=scenario.seed)
    results = runs["deal"]
    path = results.average_tariff("MY", "US")
    baseline = results.average_tariff("MY", "US", reference=True).iloc[0]
    assert baseline > 0.02  # Malaysia taxes US goods in 2024
    assert path.iloc[day - 1] == pytest.approx(baseline) and path.iloc[day] < 0.6 * baseline
    # China's 2024 base is its 2018-19 retaliation, about 21%; its 2025 counter-tariffs come on top
    assert results.average_tariff("CN", "US", reference=True).iloc[0] == pytest.approx(0.211, abs=0.01)
    deal, no_cuts = (r.route_deliveries("US", "MY").sum(axis=1).to_numpy() for r in (results, runs["no cuts"]))
    with_cuts, without = deal[day:].sum(), no_cuts[day:].sum()
    before = deal[:day].sum() / no_cuts[:day].sum()
    assert before == pytest.approx(1.0, abs=1e-12)  # identical until the deal
    assert with_cuts > 1.004 * without  # US exports to Malaysia rise with its concessions


def test_a_child_scenario_overrides_one_line_of_the_table(tmp_path):
    base = resolve_path("baseline_2024")
    (tmp_path / "s.yaml").write_text(f"extends: {base}\ntariffs:\n  baseline+:\n"
                                     "    - {importer: MY, exporters: [US], sectors: [autos], rate: 0.15}\n")
    scenario = sim.load_scenario(tmp_path / "s.yaml")
    names = Names(scenario.economy_names, scenario.sector_names)
    tensor = tariff_tensor(scenario, scenario.tariffs.baseline, names)
    e, s = scenario.economy_names.index, scenario.sector_names.index
    assert tensor[e("MY"), e("US"), s("autos")] == 0.15 and tensor[e("MY"), e("US"), s("other")] > 0


def test_tariff_tensor_applies_entries_in_order_later_ones_overriding():
    """Batched rates and interleaved increases give what applying each entry in turn gives."""
    scenario = sim.load_scenario("tiny_trade_war")
    names = Names(scenario.economy_names, scenario.sector_names)
    entries = [sim.scenario.TariffEntry.model_validate(e) for e in (
        {"importer": "US", "exporters": "*", "sectors": "*", "rate": 0.05},
        {"importer": "US", "exporters": ["CN"], "sectors": ["chips"], "rate": 0.25},
        {"importer": "US", "exporters": ["CN", "MY"], "sectors": "*", "increase": 0.1},
        {"importer": "US", "exporters": ["MY"], "sectors": ["chips"], "rate": 0.0},
        {"importer": "CN", "exporters": ["US"], "sectors": "*", "rate": 0.3},
        {"importer": "CN", "exporters": ["US"], "sectors": ["chips"], "rate": 0.2},
    )]
    expected = np.zeros((3, 3, 3))
    for entry in entries:
        lines = names.lines(entry.importer, entry.exporters, entry.sectors)
        expected[lines] = entry.on(expected[lines])
    tensor = tariff_tensor(scenario, entries, names)
    assert np.array_equal(tensor, expected)
    us, cn, my, chips = 0, 1, 2, scenario.sector_names.index("chips")
    assert tensor[us, cn, chips] == pytest.approx(0.35) and tensor[us, my, chips] == 0.0
    assert tensor[cn, us, chips] == 0.2 and tensor[us, us].sum() == 0.0  # never on an economy's own goods


@pytest.mark.parametrize("seed", range(8))
def test_tariff_tensor_equals_entry_by_entry_application_on_random_entry_lists(seed):
    """Random lists over the default scenario's names: rates and increases mixed, '*' partners and sectors,
    repeated lines, the importer among its own partners; every list gives the entry-by-entry tensor."""
    scenario = sim.load_scenario("us_tariffs_2025")
    names = Names(scenario.economy_names, scenario.sector_names)
    rng = np.random.default_rng(seed)
    economies, sectors = scenario.economy_names, scenario.sector_names

    def some(pool):
        return "*" if rng.random() < 0.2 else list(rng.choice(pool, size=rng.integers(1, 4), replace=True))

    entries = []
    for _ in range(60):
        amount = ({"rate": float(rng.uniform(0, 0.5))} if rng.random() < 0.7
                  else {"increase": float(rng.uniform(0, 0.3))})
        entries.append(sim.scenario.TariffEntry.model_validate(
            {"importer": str(rng.choice(economies)), "exporters": some(economies), "sectors": some(sectors),
             **amount}))
    expected = np.zeros((len(economies), len(economies), len(sectors)))
    for entry in entries:
        lines = names.lines(entry.importer, entry.exporters, entry.sectors)
        expected[lines] = entry.on(expected[lines])
    assert np.array_equal(tariff_tensor(scenario, entries, names), expected)
