"""Scenario configs: loading, inheritance, overrides and the error messages for bad input."""

import copy
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.errors import ScenarioError
from sim.scenario import Scenario, load_scenario, parse_override, resolve_path

TINY = resolve_path("tiny")


@pytest.fixture
def tiny_raw() -> dict:
    return yaml.safe_load(TINY.read_text())


def write(tmp_path: Path, raw: dict, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def load_error(path: Path, overrides=None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides=overrides)
    return info.value


# -- loading and overrides -------------------------------------------------------------------


def test_load_by_name_and_by_path_agree(tiny_raw):
    by_name = load_scenario("tiny")
    by_path = load_scenario(str(TINY))
    assert isinstance(by_name, Scenario)
    assert Path(by_name.file).resolve() == TINY.resolve()
    assert by_name.model_dump() == by_path.model_dump()
    assert by_name.name == tiny_raw["name"]
    assert by_name.economy_names == [e["name"] for e in tiny_raw["economies"]]
    assert by_name.sector_names == [s["name"] for s in tiny_raw["sectors"]]
    assert len(by_name.io.intermediate) == len(tiny_raw["io"]["intermediate"])


def test_unknown_scenario_name_lists_known_ones():
    with pytest.raises(ScenarioError, match=r"no scenario named 'tinyy'.*tiny"):
        load_scenario("tinyy")


def test_parse_override_reads_value_as_yaml():
    assert parse_override("engine.restoration_days=30") == ("engine.restoration_days", 30)
    assert parse_override(" sectors.chips.essential = false") == ("sectors.chips.essential", False)
    with pytest.raises(ScenarioError, match="not of the form"):
        parse_override("engine.restoration_days")


def test_override_by_dotted_path():
    default = load_scenario("tiny")
    assert default.engine.restoration_days != 30
    scenario = load_scenario("tiny", overrides=dict([parse_override("engine.restoration_days=30")]))
    assert scenario.engine.restoration_days == 30
    # nothing else moved
    assert scenario.engine.model_dump(exclude={"restoration_days"}) == default.engine.model_dump(
        exclude={"restoration_days"}
    )


def test_override_list_item_by_name_and_by_index(tiny_raw):
    chips = tiny_raw["sectors"].index(next(s for s in tiny_raw["sectors"] if s["name"] == "chips"))
    by_name = load_scenario("tiny", overrides=dict([parse_override("sectors.chips.inventory_days=42")]))
    assert by_name.sectors[chips].inventory_days == 42
    others = [s.inventory_days for i, s in enumerate(by_name.sectors) if i != chips]
    assert others == [s["inventory_days"] for i, s in enumerate(tiny_raw["sectors"]) if i != chips]

    by_index = load_scenario("tiny", overrides={f"sectors.{chips}.inventory_days": 42})
    assert by_index.model_dump() == by_name.model_dump()

    flow = load_scenario("tiny", overrides={"io.final_demand.0.value": 1234})
    assert flow.io.final_demand[0].value == 1234
    assert flow.io.final_demand[1].value == tiny_raw["io"]["final_demand"][1]["value"]


def test_override_unknown_list_item_lists_names():
    err = load_error(TINY, overrides={"sectors.chipz.inventory_days": 5})
    assert "chipz" in str(err) and "chips" in str(err)
    assert err.field == "sectors.chipz.inventory_days"


def test_override_unknown_key_suggests_the_right_one():
    err = load_error(TINY, overrides=dict([parse_override("engine.restoratoin_days=30")]))
    message = str(err)
    assert err.field == "engine.restoratoin_days"
    assert "engine.restoratoin_days" in message
    assert "unknown key 'restoratoin_days'" in message
    assert "did you mean 'restoration_days'" in message


def test_override_unknown_block_is_rejected():
    err = load_error(TINY, overrides={"enigne.restoration_days": 30})
    assert "enigne" in str(err)
    assert "unknown key" in str(err)


# -- extends -----------------------------------------------------------------------------------


def test_extends_merges_dicts_and_replaces_lists(tmp_path, tiny_raw):
    child = {
        "extends": str(TINY.resolve()),
        "name": "child",
        "network": {"firms_per_cell": 3},  # dict: merged, suppliers_per_buyer kept
        "sectors": [  # list: replaced as a whole, so materials loses its armington_sigma of 3
            {"name": "materials", "inventory_days": 25},
            {"name": "chips", "inventory_days": 10},
            {"name": "electronics", "inventory_days": 15},
        ],
    }
    path = write(tmp_path, child, "child.yaml")
    scenario = load_scenario(path)
    parent = load_scenario("tiny")
    assert scenario.name == "child"
    assert scenario.file == str(path)
    assert scenario.network.firms_per_cell == 3
    assert scenario.network.suppliers_per_buyer == parent.network.suppliers_per_buyer
    assert scenario.sectors[0].inventory_days == 25
    default_sigma = type(parent.sectors[0]).model_fields["armington_sigma"].default
    assert parent.sectors[0].armington_sigma != default_sigma
    assert scenario.sectors[0].armington_sigma == default_sigma
    # untouched parts come from the parent
    assert scenario.io.model_dump() == parent.io.model_dump()
    assert scenario.lead_times.model_dump() == parent.lead_times.model_dump()
    assert scenario.extends is None  # consumed by the loader


def test_extends_relative_path_and_overrides_on_top(tmp_path, tiny_raw):
    (tmp_path / "base.yaml").write_text(TINY.read_text())
    sub = tmp_path / "sub"
    sub.mkdir()
    path = write(sub, {"extends": "../base.yaml", "engine": {"pass_through": 0.5}}, "child.yaml")
    scenario = load_scenario(path, overrides={"engine.switching_days": 90})
    assert scenario.engine.pass_through == 0.5
    assert scenario.engine.switching_days == 90
    assert scenario.name == tiny_raw["name"]


def test_extends_missing_parent_and_cycle(tmp_path):
    path = write(tmp_path, {"extends": "nowhere.yaml", "name": "x"}, "child.yaml")
    err = load_error(path)
    assert "nowhere.yaml" in str(err) and err.field == "extends"

    write(tmp_path, {"extends": "b.yaml"}, "a.yaml")
    write(tmp_path, {"extends": "a.yaml"}, "b.yaml")
    err = load_error(tmp_path / "a.yaml")
    assert "cycle" in str(err)


# -- bad input: one clear message each ---------------------------------------------------------


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nseed: 1\neconomies:\n\t- {name: US}\n")  # a tab on line 4
    err = load_error(path)
    message = str(err)
    assert str(path) in message
    assert "malformed YAML" in message
    assert re.search(r"\bline 4\b", message)
    assert err.file == str(path)


def test_file_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    err = load_error(path)
    assert str(path) in str(err) and "mapping" in str(err) and "list" in str(err)


def test_unknown_country_in_flow(tmp_path, tiny_raw):
    tiny_raw["io"]["intermediate"][0]["importer"] = "XX"
    path = write(tmp_path, tiny_raw)
    err = load_error(path)
    message = str(err)
    assert err.field == "io.intermediate[0].importer"
    assert str(path) in message
    assert "io.intermediate[0].importer" in message
    assert "'XX'" in message
    assert "declared economies" in message
    for economy in tiny_raw["economies"]:
        assert economy["name"] in message


def test_unknown_sector_suggests_close_name(tmp_path, tiny_raw):
    tiny_raw["io"]["final_demand"][1]["sector"] = "electronic"
    err = load_error(write(tmp_path, tiny_raw))
    assert err.field == "io.final_demand[1].sector"
    assert "did you mean 'electronics'" in str(err)


def test_negative_flow_value(tmp_path, tiny_raw):
    tiny_raw["io"]["final_demand"][2]["value"] = -125.5
    path = write(tmp_path, tiny_raw)
    err = load_error(path)
    message = str(err)
    assert err.field == "io.final_demand[2].value"
    assert str(path) in message
    assert "io.final_demand[2].value" in message
    assert "-125.5" in message
    assert "greater than or equal to 0" in message


def test_flow_without_sector(tmp_path, tiny_raw):
    del tiny_raw["io"]["intermediate"][3]["sector"]
    path = write(tmp_path, tiny_raw)
    err = load_error(path)
    assert err.field == "io.intermediate[3].sector"
    assert "required field is missing" in str(err)
    assert str(path) in str(err)


def test_flow_with_undeclared_sector(tmp_path, tiny_raw):
    tiny_raw["io"]["intermediate"][1]["buyer_sector"] = "widgets"
    path = write(tmp_path, tiny_raw)
    err = load_error(path)
    message = str(err)
    assert err.field == "io.intermediate[1].buyer_sector"
    assert "unknown sector 'widgets'" in message
    assert str(path) in message
    for sector in tiny_raw["sectors"]:
        assert sector["name"] in message


def test_zero_firms_in_a_cell_that_sells(tmp_path, tiny_raw):
    sales = sum(f["value"] for f in tiny_raw["io"]["intermediate"] + tiny_raw["io"]["final_demand"]
                if (f["exporter"], f["sector"]) == ("US", "materials"))
    assert sales > 0
    tiny_raw["network"]["cells"] = {"US.materials": 0}
    path = write(tmp_path, tiny_raw)
    err = load_error(path)
    message = str(err)
    assert err.field == "network.cells.US.materials"
    assert str(path) in message
    assert "0 firms" in message
    assert f"output {sales:g}" in message
    assert "at least 1 firm" in message


def test_firms_in_a_cell_without_output(tmp_path, tiny_raw):
    tiny_raw["network"]["cells"] = {"MY.materials": 5}  # MY sells no materials in tiny
    err = load_error(write(tmp_path, tiny_raw))
    assert err.field == "network.cells.MY.materials"
    assert "no output" in str(err)


def test_zero_output_cell_that_buys_inputs(tmp_path, tiny_raw):
    # MY.materials sells nothing in tiny; let it buy chips
    tiny_raw["io"]["intermediate"].append(
        {"exporter": "US", "sector": "chips", "importer": "MY", "buyer_sector": "materials", "value": 10}
    )
    path = write(tmp_path, tiny_raw)
    err = load_error(path)
    message = str(err)
    assert "zero-output cell MY.materials" in message
    assert str(path) in message
    assert err.field == "io.intermediate"


def test_unknown_top_level_key(tmp_path, tiny_raw):
    tiny_raw["enigne"] = {"restoration_days": 5}
    path = write(tmp_path, tiny_raw)
    err = load_error(path)
    message = str(err)
    assert err.field == "enigne"
    assert "unknown key 'enigne'" in message
    assert "did you mean 'engine'" in message
    assert str(path) in message


def test_unknown_nested_key(tmp_path, tiny_raw):
    tiny_raw["engine"] = {"restoraton_days": 5}
    err = load_error(write(tmp_path, tiny_raw))
    message = str(err)
    assert err.field == "engine.restoraton_days"
    assert "unknown key 'restoraton_days'" in message
    assert "did you mean 'restoration_days'" in message
    assert "allowed keys here" in message and "switching_days" in message


def test_unknown_key_in_list_item(tmp_path, tiny_raw):
    tiny_raw["io"]["intermediate"][2]["valeu"] = tiny_raw["io"]["intermediate"][2].pop("value")
    err = load_error(write(tmp_path, tiny_raw))
    # the misspelt key is reported, not just the missing one
    assert err.field == "io.intermediate[2].valeu"
    assert "unknown key 'valeu'" in str(err)
    assert "did you mean 'value'" in str(err)


def test_negative_value_added_is_a_warning_and_the_steady_state_holds(tmp_path, tiny_raw, caplog):
    # US.materials sells 150 in tiny; make it buy 500 of chips (real tables: taxes less subsidies)
    tiny_raw["io"]["intermediate"].append(
        {"exporter": "US", "sector": "chips", "importer": "US", "buyer_sector": "materials", "value": 500}
    )
    path = write(tmp_path, tiny_raw)
    with caplog.at_level("WARNING", logger="sim.scenario"):
        scenario = load_scenario(path)
    message = caplog.text
    assert "negative value added in 1 cell(s): US.materials (inputs 500, output 150)" in message
    assert str(path) in message and "price" in message
    model = sim.SupplyChainModel(scenario, rng=1)
    model.run_for(60)  # no shock: the calibrated steady state, negative value added included
    output = model.recorder.table("output")
    assert np.allclose(output, model.recorder.steady["output"], rtol=1e-9, atol=0)
    assert model.engine.structure.value_added.min() < 0


def test_negative_and_negligible_flows(tmp_path, tiny_raw):
    tiny_raw["io"]["intermediate"][1]["value"] = -20.0
    err = load_error(write(tmp_path, tiny_raw))
    assert err.field == "io.intermediate[1].value"
    assert "CN.materials -> MY.chips" in str(err) and "io.negative_flows: drop" in str(err)
    tiny_raw["io"]["negative_flows"] = "drop"
    dropped = load_scenario(write(tmp_path, tiny_raw))
    assert len(dropped.io.intermediate) == len(tiny_raw["io"]["intermediate"]) - 1
    tiny_raw["io"]["negligible_flows"] = 150.0  # leaves out the flows of 100 (two of them)
    small = load_scenario(write(tmp_path, tiny_raw))
    assert len(small.io.intermediate) == len(tiny_raw["io"]["intermediate"]) - 3
    assert small.io.intermediate.value.min() >= 150.0
    tiny_raw["io"]["intermediate"][0]["value"] = float("nan")
    err = load_error(write(tmp_path, tiny_raw))
    assert err.field == "io.intermediate[0].value" and "CN.materials -> CN.chips" in str(err)


def test_value_added_boundary_is_allowed(tmp_path, tiny_raw):
    """A cell whose inputs equal its output exactly (zero value added) is valid."""
    raw = copy.deepcopy(tiny_raw)
    scenario = Scenario.from_dict(raw)
    output = scenario.gross_output() * scenario.time.steps_per_year
    us_materials = scenario.cell_index("US.materials")
    raw["io"]["intermediate"].append(
        {"exporter": "CN", "sector": "chips", "importer": "US", "buyer_sector": "materials",
         "value": float(output[us_materials])}
    )
    loaded = load_scenario(write(tmp_path, raw))
    assert np.isclose(loaded.gross_output()[us_materials] * loaded.time.steps_per_year, output[us_materials])


def test_bad_value_in_setting_names_allowed_range(tmp_path, tiny_raw):
    tiny_raw["engine"] = {"pass_through": 1.5}
    err = load_error(write(tmp_path, tiny_raw))
    assert err.field == "engine.pass_through"
    assert "1.5" in str(err) and "less than or equal to 1" in str(err)


def test_extends_takes_a_scenario_name_as_a_sweep_base_does(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("extends: tiny_trade_war\nname: mine\nseed: 11\n")
    scenario = load_scenario(path)
    assert (scenario.name, scenario.seed) == ("mine", 11)
    assert scenario.tariffs.applied == load_scenario("tiny_trade_war").tariffs.applied
    path.write_text("extends: tiny_trade_wars\n")
    with pytest.raises(ScenarioError, match="at 'extends': no scenario named 'tiny_trade_wars'; known scenarios:"):
        load_scenario(path)


def test_the_io_table_is_held_as_columns_and_reads_as_records(tiny_raw):
    from sim.scenario.flows import FlowTable

    scenario = load_scenario("tiny")
    table = scenario.io.intermediate
    assert isinstance(table, FlowTable) and len(table) == len(tiny_raw["io"]["intermediate"])
    first = tiny_raw["io"]["intermediate"][0]
    assert (table[0].exporter, table[0].buyer_sector, table[0].value) == (first["exporter"], first["buyer_sector"],
                                                                          first["value"])
    dumped = scenario.model_dump()["io"]
    assert dumped["intermediate"] == tiny_raw["io"]["intermediate"]
    again = Scenario.from_dict(scenario.model_dump(exclude_none=True))  # records again, validated again
    assert np.array_equal(again.io_matrices()[0], scenario.io_matrices()[0])
    with pytest.raises(ScenarioError, match="code 7 is not a declared economy") as caught:
        FlowTable.from_codes("final_demand", {"exporter": [0, 7], "sector": [0, 0], "importer": [0, 0]}, [1.0, 2.0],
                             scenario.economy_names, scenario.sector_names)
    assert caught.value.field == "io.final_demand[1].exporter"


def test_flow_values_read_as_pydantic_read_them_and_tables_compare_equal(tmp_path, tiny_raw):
    tiny_raw["io"]["intermediate"][0]["value"] = "300"  # a number written as a string
    scenario = load_scenario(write(tmp_path, tiny_raw))
    assert scenario.io.intermediate[0].value == 300.0
    assert load_scenario("tiny") == load_scenario("tiny") and scenario != load_scenario("tiny")
    with pytest.raises(ValueError):
        scenario.io.intermediate.value[0] = 1.0  # shared by copies of the scenario: read-only
    for bad in (10**400, True, None, [1, 2]):
        tiny_raw["io"]["intermediate"][0]["value"] = bad
        err = load_error(write(tmp_path, tiny_raw))
        assert err.field == "io.intermediate[0].value" and "valid number" in str(err)
    tiny_raw["io"]["intermediate"][0]["value"] = 300
    tiny_raw["io"]["negligible_flows"] = 1e9
    err = load_error(write(tmp_path, tiny_raw))
    assert err.field == "io.final_demand" and "no final demand is left" in str(err)
