"""Saving and loading networks, and scenarios from a pymrio IOSystem."""

import numpy as np
import pytest

pymrio = pytest.importorskip("pymrio")

import sim  # noqa: E402
from sim.network import build_network, load_network, save_network  # noqa: E402

RTOL = 1e-9
ARRAYS = ("firm_cell", "firm_owner", "link_supplier", "link_buyer", "link_flow", "link_lead_steps")
META = ("name", "economies", "sectors", "multinationals", "multinational_home")


@pytest.fixture(scope="module")
def network():
    scenario = sim.load_scenario("tiny", overrides={
        "network.firms_per_cell": 8,
        "multinationals": [
            {"name": "USChipCo", "home": "US", "plants": [{"cell": "MY.chips", "share": 0.5}]},
            {"name": "CNMat", "home": "CN", "plants": [{"cell": "CN.materials", "share": 0.3}]},
        ],
    })
    net = build_network(scenario, rng=4)
    assert (net.firm_owner >= 0).any() and (net.firm_owner < 0).any()
    return net


def assert_same_network(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y), name
    for name in META:
        assert getattr(a, name) == getattr(b, name), name


@pytest.mark.parametrize("target", ["folder", "net.graphml"])
def test_save_load_round_trip(network, tmp_path, target):
    path = tmp_path / target
    written = save_network(network, path)
    assert written == path and path.exists()
    if target == "folder":
        assert {p.name for p in path.iterdir()} >= {"firms.parquet", "links.parquet", "network.json"}
    loaded = load_network(path)
    assert_same_network(loaded, network)
    assert np.array_equal(loaded.cell_output(), network.cell_output())


def test_loaded_network_runs_like_the_original(network, tmp_path):
    scenario = sim.load_scenario("tiny", overrides={
        "network.firms_per_cell": 8,
        "multinationals": [
            {"name": "USChipCo", "home": "US", "plants": [{"cell": "MY.chips", "share": 0.5}]},
            {"name": "CNMat", "home": "CN", "plants": [{"cell": "CN.materials", "share": 0.3}]},
        ],
        "tariffs.applied": [{"importer": "US", "exporters": ["MY"], "rate": 0.25, "start_day": 2}],
    })
    save_network(network, tmp_path / "saved")
    runs = []
    for net in (network, load_network(tmp_path / "saved")):
        model = sim.SupplyChainModel(scenario, rng=1, network=net)
        model.run(10)
        runs.append(model.results().arrays)
    for name in ("output", "delivered", "price"):
        assert np.array_equal(runs[0][name], runs[1][name]), name


def test_load_network_from_a_folder_that_is_not_one(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(sim.ScenarioError, match="firms.parquet is missing"):
        load_network(tmp_path / "empty")


# -- pymrio ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mrio():
    return pymrio.load_test()


def expected_cell_output(io, scenario):
    """Annual output per scenario cell: Z row sums plus final demand per region, negatives clipped."""
    y_region = io.Y.T.groupby(level=0, sort=False).sum().T
    x = io.Z.to_numpy().sum(axis=1) + np.clip(y_region.to_numpy(), 0, None).sum(axis=1)
    labels = {e.label: e.name for e in scenario.economies}
    sectors = {s.label: s.name for s in scenario.sectors}
    out = np.zeros(len(scenario.economies) * len(scenario.sectors))
    for (region, sector), value in zip(io.Z.index, x, strict=True):
        out[scenario.cell_index(f"{labels[region]}.{sectors[sector]}")] = value
    return out


def test_scenario_from_mrio_matches_the_table(mrio):
    scenario = sim.scenario_from_mrio(mrio)
    regions = list(dict.fromkeys(mrio.Z.index.get_level_values(0)))
    sectors = list(dict.fromkeys(mrio.Z.index.get_level_values(1)))
    assert [e.label for e in scenario.economies] == [str(r) for r in regions]
    assert [s.label for s in scenario.sectors] == [str(s) for s in sectors]
    assert len(scenario.io.intermediate) == int((mrio.Z.to_numpy() > 0).sum())
    assert "\n" not in scenario.io.units and len(scenario.io.units) < 40  # e.g. 'Mill USD', not a table
    x = scenario.gross_output() * scenario.time.steps_per_year
    np.testing.assert_allclose(x, expected_cell_output(mrio, scenario), rtol=RTOL)


def test_mrio_model_is_a_steady_state(mrio):
    scenario = sim.scenario_from_mrio(mrio)
    model = sim.SupplyChainModel(scenario, rng=1)
    expected = expected_cell_output(mrio, scenario) / scenario.time.steps_per_year
    np.testing.assert_allclose(model.network.cell_output(), expected, rtol=RTOL)
    # one firm per cell and one supplier per buyer: the network is the table itself
    assert model.network.n_firms == int((expected > 0).sum())

    steps = 200
    model.run(steps)
    results = model.results()
    for name in ("output", "delivered", "price"):
        rows, steady = results.arrays[name], results.steady[name]
        assert rows.shape == (steps, steady.shape[0]), name
        np.testing.assert_allclose(rows, np.broadcast_to(steady, rows.shape), rtol=RTOL, atol=0, err_msg=name)
    # the steady state is the table: output per cell at the MRIO's gross output
    np.testing.assert_allclose(results.steady["output"], expected, rtol=RTOL)
    assert np.all(results.steady["price"] == 1.0)


def test_negative_final_demand_is_netted_per_region_then_clipped(mrio):
    io = mrio.copy()
    y = io.Y.copy()
    regions = list(dict.fromkeys(y.columns.get_level_values(0)))
    inventories = [c for c in y.columns.get_level_values(1).unique() if "inventor" in c.lower()][0]
    row_a, row_b = y.index[2], y.index[0]  # reg1 manufacturing, reg1 food
    # a drawdown larger than all other final demand of region 2 for row_a: that region's total clips to 0
    y.loc[row_a, (regions[1], inventories)] = -(y.loc[row_a, regions[1]].sum() + 1000.0)
    # a small drawdown for row_b: netted against the region's other categories, not clipped alone
    y.loc[row_b, (regions[1], inventories)] = -0.5 * y.loc[row_b, regions[1]].drop(inventories).sum()
    io.Y = y
    assert (io.Y.to_numpy() < 0).sum() == 2

    scenario = sim.scenario_from_mrio(io)
    assert all(f.value > 0 for f in scenario.io.final_demand)
    expected = expected_cell_output(io, scenario)
    np.testing.assert_allclose(scenario.gross_output() * scenario.time.steps_per_year, expected, rtol=RTOL)
    net = build_network(scenario, rng=2)
    np.testing.assert_allclose(net.cell_output() * scenario.time.steps_per_year, expected, rtol=RTOL)
    # row_a's region-2 final demand is gone; row_b's is reduced, not dropped
    names = {e.label: e.name for e in scenario.economies}
    sect = {s.label: s.name for s in scenario.sectors}

    def fd(row):
        return [f.value for f in scenario.io.final_demand
                if (f.exporter, f.sector, f.importer) == (names[row[0]], sect[row[1]], names[regions[1]])]

    assert fd(row_a) == []
    assert len(fd(row_b)) == 1 and 0 < fd(row_b)[0] < mrio.Y.loc[row_b, regions[1]].sum()


# -- a scenario file whose io names a pymrio folder -----------------------------------------------
@pytest.fixture(scope="module")
def mrio_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mrio") / "table"
    io = pymrio.load_test()
    io.calc_all()
    io.save_all(folder)
    return folder, io


def mrio_file(folder, tmp_path, mrio: dict, **extra) -> "Path":  # noqa: F821
    import yaml

    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({"name": "mrio_file", "time": {"steps": 40}, "network": {"firms_per_cell": 2},
                                    "io": {"mrio": {"path": str(folder.relative_to(tmp_path, walk_up=True)), **mrio}},
                                    **extra}))
    return path


def test_a_scenario_file_reads_a_pymrio_folder_and_aggregates_regions(mrio_folder, tmp_path):
    folder, io = mrio_folder
    path = mrio_file(folder, tmp_path, {"regions": {"reg1": "A", "reg2": "B", "*": "ROW"},
                                        "sectors": {"food": "food", "*": "other"}})
    scenario = sim.load_scenario(path)
    assert scenario.economy_names == ["A", "B", "ROW"] and scenario.sector_names == ["food", "other"]
    z, y = scenario.io_matrices()
    per_step = scenario.time.steps_per_year
    assert z.sum() * per_step == pytest.approx(io.Z.to_numpy().sum(), rel=1e-12)  # nothing lost in the sums
    regions = io.Z.index.get_level_values(0)
    food = io.Z.index.get_level_values(1) == "food"
    a_food_to_b = io.Z.to_numpy()[np.ix_((regions == "reg1") & food, regions == "reg2")].sum()
    assert z[0, 2:4].sum() * per_step == pytest.approx(a_food_to_b, rel=1e-12)  # A.food -> B (both sectors)
    model = sim.SupplyChainModel(scenario, rng=1)
    model.run_for(40)  # the aggregated table is a steady state too
    assert np.allclose(model.recorder.table("output"), model.recorder.steady["output"], rtol=1e-9, atol=0)


def test_declared_economies_and_bad_mappings(mrio_folder, tmp_path):
    folder, _ = mrio_folder
    declared = {"economies": [{"name": "ROW"}, {"name": "A"}], "sectors": [{"name": "all"}]}
    scenario = sim.load_scenario(mrio_file(folder, tmp_path, {"regions": {"reg1": "A", "*": "ROW"},
                                                              "sectors": {"*": "all"}}, **declared))
    assert scenario.economy_names == ["ROW", "A"] and len(scenario.io.final_demand) == 4  # 2 cells x 2 markets
    cases = [({"regions": {"reg1": "A"}}, "io.mrio.regions", "region 'reg2' of the table is not mapped"),
             ({"regions": {"reg9": "A", "*": "R"}}, "io.mrio.regions.reg9", "'reg9' is not in the table"),
             ({"regions": {"*": "A"}, "colour": 1}, "io.mrio.colour", "unknown key 'colour'")]
    for mrio, field, message in cases:
        with pytest.raises(sim.ScenarioError, match=message) as caught:
            sim.load_scenario(mrio_file(folder, tmp_path, mrio))
        assert caught.value.field == field
    with pytest.raises(sim.ScenarioError, match="no pymrio table") as caught:
        sim.load_scenario(mrio_file(tmp_path / "missing", tmp_path, {}))
    assert caught.value.field == "io.mrio.path"
    with pytest.raises(sim.ScenarioError, match="unknown economy 'B'") as caught:
        sim.load_scenario(mrio_file(folder, tmp_path, {"regions": {"reg1": "B", "*": "ROW"}}, **declared))


def test_sim_run_on_a_scenario_whose_io_is_a_pymrio_folder(mrio_folder, tmp_path):
    import subprocess
    import sys

    folder, _ = mrio_folder
    path = mrio_file(folder, tmp_path, {"regions": {"reg1": "A", "*": "ROW"}})
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "--steps", "10", "--out",
                           str(tmp_path / "out"), "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "summary.json").is_file()


def test_mrio_folder_from_a_mapping_with_y_reordered_and_negative_final_demand_netted(mrio_folder, tmp_path):
    folder, io = mrio_folder
    raw = {"name": "m", "network": {"firms_per_cell": 1},
           "io": {"mrio": {"path": str(folder), "regions": {"reg1": "A", "*": "ROW"}}}}
    base = sim.Scenario.from_dict(raw)  # a mapping reads the folder too (what sweeps' bases do)
    reversed_ = io.copy()
    reversed_.Y = io.Y.iloc[::-1]  # Y's rows in another order than Z's
    reversed_.save_all(tmp_path / "reversed")
    mapping = {"regions": {"reg1": "A", "*": "ROW"}}
    same = sim.Scenario.from_dict(raw | {"io": {"mrio": {"path": str(tmp_path / "reversed"), **mapping}}})
    assert np.array_equal(same.io_matrices()[1], base.io_matrices()[1])
    netted = io.copy()
    y = io.Y.copy()
    food_reg2 = ("reg2", "food")
    y.loc[food_reg2] = 0.0
    y.loc[food_reg2, y.columns[0]] = -100.0  # reg2's food: -100 to reg1's consumers, summed into ROW.food's sales
    netted.Y = y
    netted.save_all(tmp_path / "netted")
    moved = sim.Scenario.from_dict(raw | {"io": {"mrio": {"path": str(tmp_path / "netted"), **mapping}}})
    food_row = base.economy_names.index("ROW") * len(base.sector_names) + base.sector_names.index("food")
    steps = base.time.steps_per_year
    original = io.Y.T.groupby(level=0).sum().T.loc[food_reg2, "reg1"]
    want = base.io_matrices()[1][food_row, 0] * steps - original - 100.0  # netted, then clipped only if below 0
    assert moved.io_matrices()[1][food_row, 0] * steps == pytest.approx(want, rel=1e-9)


def test_scenario_from_mrio_negative_and_missing_flows(mrio):
    bad = mrio.copy()
    z = mrio.Z.copy()
    z.iloc[3, 5] = -7.0
    bad.Z = z
    with pytest.raises(sim.ScenarioError, match=r"negative intermediate flows in 1 cells \(reg1/") as caught:
        sim.scenario_from_mrio(bad)
    assert caught.value.field == "Z"
    dropped = sim.scenario_from_mrio(bad, negative_flows="drop")
    assert len(dropped.io.intermediate) == len(sim.scenario_from_mrio(mrio).io.intermediate) - 1
    z.iloc[3, 5] = np.nan
    with pytest.raises(sim.ScenarioError, match=r"missing or infinite flows in 1 cells \(reg1/") as caught:
        sim.scenario_from_mrio(bad)
    assert caught.value.field == "Z"
