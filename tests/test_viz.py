"""The browser view without a browser: controls mapped to scenarios, plotted series, the network
picture, and the page's widget tree (controls present, Step advances, Reset applies parameters)."""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import ipyvuetify as v  # noqa: E402
import ipywidgets as widgets  # noqa: E402
import solara  # noqa: E402

from sim import ScenarioError, load_scenario  # noqa: E402
from sim.cli import main  # noqa: E402
from sim.formats import step_date  # noqa: E402
from sim.viz import series  # noqa: E402
from sim.viz.app import Page  # noqa: E402
from sim.viz.charts import BASELINE, LineChart, panels_option, rounded, spec, value_limits, x_values  # noqa: E402
from sim.viz.components import NETWORK_ECONOMY, NETWORK_FIRM, RESET_NOTE, events_frame, events_shown  # noqa: E402
from sim.viz.inspection import NOBODY, describe_firm, economy_frame, economy_table  # noqa: E402
from sim.viz.network_view import FIRM_VIEW_LIMIT, build_view, current_state, network_png  # noqa: E402
from sim.viz.params import (  # noqa: E402
    KEEP_RULE,
    SCENARIO_ENV,
    PageModel,
    model_params,
    parse_seed,
    scenario_names,
    scenario_overrides,
)

WAR = "tiny_trade_war"


# -- controls -> scenario ------------------------------------------------------------------------
def test_scenario_picker_lists_the_scenario_files():
    names = scenario_names()
    assert {"tiny", WAR}.issubset(names)
    assert names == sorted(names)


def test_overrides_scale_tariffs_elasticities_inventories_and_set_rules():
    plain = load_scenario(WAR)
    overrides = scenario_overrides(plain, tariff_scale=2.0, elasticity_scale=0.5, inventory_scale=3.0,
                                   retaliation={"CN": "proportional", "US": "escalate", "MY": KEEP_RULE})
    scenario = load_scenario(WAR, overrides)
    assert [e.rate for e in scenario.tariffs.applied] == pytest.approx([2 * e.rate for e in plain.tariffs.applied])
    for before, after in zip(plain.sectors, scenario.sectors, strict=True):
        assert after.armington_sigma == pytest.approx(before.armington_sigma * 0.5)
        assert after.inventory_days == pytest.approx(before.inventory_days * 3.0)
    rules = {r.economy: r for r in scenario.retaliation}
    assert rules["CN"].rule == "proportional"
    assert rules["CN"].delay_days == plain.retaliation[0].delay_days  # other settings kept
    assert rules["US"].rule == "escalate"
    assert rules["MY"].rule == "none"
    assert scenario_overrides(plain) == {}


@pytest.mark.parametrize("kwargs, field", [
    ({"tariff_scale": -1.0}, "tariff_scale"),
    ({"retaliation": {"CN": "nuke"}}, "retaliation.CN"),
])
def test_bad_control_values_raise_scenario_errors(kwargs, field):
    with pytest.raises(ScenarioError) as info:
        scenario_overrides(load_scenario(WAR), **kwargs)
    assert info.value.field == field


def test_page_model_reports_bad_control_values_and_rejects_unknown_controls(monkeypatch):
    monkeypatch.setenv(SCENARIO_ENV, "tiny")
    model = PageModel(WAR, seed="abc")  # what a user can type: reported on the page, not a traceback
    assert "bad seed 'abc'" in model.problem and "'seed'" in model.problem
    assert model.config.name == "tiny" and model.page_params["seed"] == "abc"
    assert PageModel(WAR, seed="12").problem is None
    with pytest.raises(ScenarioError, match="seed"):
        parse_seed("abc")
    with pytest.raises(ScenarioError, match="unknown control"):
        PageModel(WAR, tariff_level=2)


def test_model_params_offer_one_rule_per_government():
    model = PageModel(WAR, tariff_scale=1.5)
    params = model_params(model)
    assert params["tariff_scale"]["value"] == 1.5
    assert params["scenario_name"]["value"] == WAR
    assert {k for k in params if k.startswith("retaliation_")} == {f"retaliation_{e}" for e in ("US", "CN", "MY")}
    assert "now: tit_for_tat" in params["retaliation_CN"]["label"]
    assert "targeted" not in params["retaliation_CN"]["values"]  # it needs sectors to target
    for rule in params["retaliation_CN"]["values"]:
        assert PageModel(WAR, retaliation_CN=rule).problem is None


# -- series and the network picture ---------------------------------------------------------------
def test_series_start_at_the_steady_state_and_track_the_tariff_path():
    model = PageModel(WAR)
    assert series.throughput(model, "exporter").values[:, 0] == pytest.approx(100.0)
    assert series.disruption(model, "sector").values[:, 0] == pytest.approx(0.0)
    model.run_for(40)  # US tariff of 30% on China from day 34 (4 Feb), chips not yet exempt
    tariffs = series.tariffs(model)
    assert tariffs.values.shape == (3, 41)
    us, cn = model.index.economy("US"), model.index.economy("CN")
    imports = model.baseline_trade[:, us, :].sum(axis=1)
    imports[us] = 0.0
    expected = 100 * 0.30 * imports[cn] / imports.sum()
    assert tariffs.values[us, -1] == pytest.approx(expected)
    assert tariffs.values[us, 1] == pytest.approx(0.0)
    assert series.throughput(model, "sector").values.shape == (len(model.network.sectors), 41)


def test_network_view_is_firm_level_when_small_and_aggregated_when_large():
    small = PageModel(WAR)
    view = build_view(small)
    assert not view.aggregated and small.network.n_firms <= FIRM_VIEW_LIMIT
    assert len(view.positions) == small.network.n_firms + small.network.n_economies
    large = PageModel("baseline_2024")
    assert large.network.n_firms > FIRM_VIEW_LIMIT
    agg = build_view(large)
    assert agg.aggregated and len(agg.positions) == large.network.n_cells + large.network.n_economies
    output, lost, edge_flow, _ = current_state(large, agg)
    assert edge_flow == pytest.approx(agg.edge_flow0)  # before any step: the calibrated flows
    assert lost == pytest.approx(0.0)
    assert output[: large.network.n_cells].sum() == pytest.approx(large.engine.structure.output0.sum())


def _body(png: bytes) -> np.ndarray:
    """The picture's pixels without the caption and title bands (what the network itself looks like)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    band = pixels.shape[0] // 12
    return pixels[band:-band]


def test_network_picture_shows_tariffs_and_losses():
    model = PageModel(WAR)
    start = network_png(model)
    model.step()
    assert np.array_equal(_body(network_png(model)), _body(start))  # still the calibrated steady state
    model.run_for(59)  # the US tariff on China (day 34) and China's answer recolour the edges
    assert not np.array_equal(_body(network_png(model)), _body(start))
    assert network_png(model) is network_png(model)  # drawn once per step


def test_chart_options_carry_every_line_dated_with_the_baseline_and_json_numbers():
    model = PageModel(WAR)
    model.run_for(10)
    time = model.config.time
    panels = [(series.throughput(model, "exporter"), "by origin", "% of baseline"),
              (series.disruption(model, "sector"), "by sector", "output lost, %")]
    option = panels_option(panels, time.start_date, model.days_per_step, time.steps)
    assert json.loads(spec(option)) == option  # what the widget sends: plain JSON, no NaN
    assert len(option["grid"]) == len(option["dataset"]) == 2
    first = option["dataset"][0]
    assert first["dimensions"] == ["x", "US", "CN", "MY"]
    assert [row[0] for row in first["source"]][:2] == ["2025-01-01", "2025-01-02"]  # steps dated as the event log
    assert len(first["source"]) == 10  # the completed steps, not the steady state before them
    throughput = panels[0][0].values[:, 1:]
    assert np.allclose([row[1:] for row in first["source"]], throughput.T, rtol=1e-6)
    assert option["xAxis"][0]["type"] == "time" and option["xAxis"][0]["max"] == "2025-07-19"  # the whole run
    baselines = [s for s in option["series"] if s["name"] == BASELINE]
    assert [b["data"][0][1] for b in baselines] == [100.0, 0.0]
    assert option["legend"][0]["data"] == ["US", "CN", "MY", BASELINE]
    for i, (data, _, _) in enumerate(panels):  # every line of a panel looks different
        lines = [s for s in option["series"] if s["name"] != BASELINE and s["xAxisIndex"] == i]
        assert len({(s["color"], s["lineStyle"]["type"]) for s in lines}) == len(data.labels)


def test_chart_value_axes_hug_the_data_and_the_baseline():
    low, high, step = value_limits(np.full((3, 5), 100.0), 100.0)  # a flat line at the baseline: a narrow band
    assert 99.0 <= low < 100.0 < high <= 101.0 and step == pytest.approx(0.25)
    noisy = value_limits(np.array([[100 + 1e-11, 100 - 1.2e-11]]), 100.0)  # rounding noise is not data
    assert noisy == (low, high, step)
    assert value_limits(np.array([[-3.2e-14, 8e-15]]), 0.0) == value_limits(np.zeros((1, 2)), 0.0)
    low, high, step = value_limits(np.array([[0.0, 0.06, np.nan]]), 0.0)  # a loss of 0.06%: still readable
    assert low <= 0.0 and 0.06 <= high <= 0.1
    low, high, step = value_limits(np.array([[1.0, 1.0023, 0.9987]]), 1.0)  # prices near 1: round ticks
    assert (low, high, step) == (0.997, 1.003, 0.0015)
    low, high, step = value_limits(np.array([[100.0, 40.0]]), 100.0)
    assert low <= 40.0 and high >= 100.0 and high - low <= 100.0
    assert ((high - low) / step) == pytest.approx(round((high - low) / step))  # ticks land on both limits


def test_chart_values_keep_six_significant_digits_and_send_gaps_as_null():
    assert rounded(np.array([99.123456789, np.nan, 0.5])) == [99.1235, None, 0.5]
    assert rounded(np.array([[0.00123456789, 1.0000012]])) == [[0.00123, 1.0]]
    assert rounded(np.array([np.inf, -2.2e-14, 100 + 1e-13])) == [None, 0.0, 100.0]
    assert str(rounded(np.array([-2.2e-14]))[0]) == "0.0"  # no -0 on the page


# -- the page's widget tree ------------------------------------------------------------------------
@pytest.fixture
def page():
    """The page rendered around a reactive model the test can inspect."""
    model = solara.reactive(PageModel(WAR))
    box, rc = solara.render(solara.AppLayout(children=[Page(model)]), handle_error=False)
    yield model, rc
    rc.close()
    for choice in (NETWORK_ECONOMY, NETWORK_FIRM):  # what a test inspected is not the next test's start
        choice.set(NOBODY)


def _button(rc, label: str):
    return rc.find(v.Btn, children=[label]).widget


def _control(rc, cls, label: str):
    return rc.find(cls, label=label).widget


def _images(rc) -> list[bytes]:
    return [image.value for image in rc.find(widgets.Image).widgets]


def _charts(rc) -> list[dict]:
    return [json.loads(chart.spec) for chart in rc.find(LineChart).widgets]


def test_page_shows_controls_plots_and_the_reset_note(page):
    model, rc = page
    for label in ("Reset", "▶", "Step"):
        _button(rc, label)
    picker = _control(rc, v.Select, "Scenario")
    assert picker.v_model == WAR and {"tiny", WAR}.issubset(picker.items)
    for economy, now in (("US", "none"), ("CN", "tit_for_tat"), ("MY", "none")):
        assert _control(rc, v.Select, f"Retaliation by {economy} (now: {now})").v_model == KEEP_RULE
    for label in ("Applied tariffs (x scenario rates)", "Elasticity of substitution (x scenario)",
                  "Inventory days (x scenario)"):
        assert _control(rc, v.Slider, label).v_model == 1.0
    _control(rc, v.TextField, "Seed (blank: the scenario's)")
    assert len(_images(rc)) == 2  # the network and the firm-loss histogram
    assert len(_charts(rc)) == 4  # throughput, disruption, policy, prices
    rc.find(v.Alert, children=[RESET_NOTE]).assert_single()


def test_step_advances_the_model_and_redraws(page):
    model, rc = page
    first = model.value
    network, charts = _images(rc)[0], _charts(rc)
    _button(rc, "Step").click()
    _button(rc, "Step").click()
    assert model.value is first and first.engine.state.step == 2 and first.steps == 2
    assert _images(rc)[0] != network
    for before, after in zip(charts, _charts(rc), strict=True):
        assert [len(d["source"]) for d in before["dataset"]] == [1, 1]  # the steady state before the first step
        assert [len(d["source"]) for d in after["dataset"]] == [2, 2]
    rc.find(v.Html, children=[f"step 2 of {first.config.time.steps}, day 2 (2025-01-03)"]).assert_single()


def test_firm_panel_shows_how_firms_fared_so_far(page):
    model, rc = page
    for _ in range(3):
        _button(rc, "Step").click()
    from sim.viz.components import firm_outcome_lines

    lines = firm_outcome_lines(model.value)
    assert lines[0].startswith("Firms, output lost at their worst step") and any("diversified" in x for x in lines)
    for line in lines:
        rc.find(v.Html, children=[line]).assert_single()


def test_reset_applies_the_parameters(page):
    model, rc = page
    first = model.value
    _control(rc, v.Slider, "Applied tariffs (x scenario rates)").v_model = 2.0
    _control(rc, v.Select, "Retaliation by CN (now: tit_for_tat)").v_model = "proportional"
    seed = _control(rc, v.TextField, "Seed (blank: the scenario's)")
    seed.v_model = "11"
    seed.fire_event("keyup.enter", {})  # the text field reports its value on Enter or when it loses focus
    _button(rc, "Step").click()
    assert model.value is first  # changes wait for Reset
    assert first.config.tariffs.applied[0].rate == pytest.approx(0.30)
    _button(rc, "Reset").click()
    rebuilt = model.value
    assert rebuilt is not first and rebuilt.engine.state.step == 0
    assert [e.rate for e in rebuilt.config.tariffs.applied] == pytest.approx([0.60, 0.38])
    assert {r.economy: r.rule for r in rebuilt.config.retaliation}["CN"] == "proportional"
    same_seed = PageModel(WAR, tariff_scale=2.0, retaliation_CN="proportional", seed=11)
    assert np.array_equal(rebuilt.network.link_flow, same_seed.network.link_flow)
    assert not np.array_equal(rebuilt.network.link_flow, first.network.link_flow)
    _control(rc, v.Select, "Retaliation by CN (now: proportional)")
    rc.find(v.Html, children=["tariffs x2, elasticity x1, inventory days x1, seed 11"]).assert_single()


def test_reset_with_a_bad_seed_says_so_on_the_page(page, monkeypatch):
    monkeypatch.setenv(SCENARIO_ENV, WAR)
    model, rc = page
    seed = _control(rc, v.TextField, "Seed (blank: the scenario's)")
    seed.v_model = "abc"
    seed.fire_event("keyup.enter", {})
    _button(rc, "Reset").click()
    assert "bad seed 'abc'" in model.value.problem
    alert = rc.find(v.Alert).widgets
    assert any("Reset could not use the parameters" in str(a.children) for a in alert)
    _button(rc, "Step").click()
    assert model.value.engine.state.step == 1
    assert _control(rc, v.TextField, "Seed (blank: the scenario's)").v_model == "abc"  # kept for correction
    rc.find(v.Html, children=["tariffs x1, elasticity x1, inventory days x1, seed 7"]).assert_single()
    seed = _control(rc, v.TextField, "Seed (blank: the scenario's)")
    seed.v_model = "3"
    seed.fire_event("keyup.enter", {})
    _button(rc, "Reset").click()
    assert model.value.problem is None and model.value.page_params["seed"] == "3"
    assert not any("Reset could not" in str(a.children) for a in rc.find(v.Alert).widgets)


def test_reset_to_another_scenario_shows_its_governments(page):
    model, rc = page
    _control(rc, v.Select, "Scenario").v_model = "baseline_2024"
    _button(rc, "Reset").click()
    assert model.value.config.name == "baseline_2024"
    labels = {w.label for w in rc.find(v.Select).widgets}
    assert {f"Retaliation by {e} (now: none)" for e in ("TW", "VN", "ROW")}.issubset(labels)
    assert _control(rc, v.Select, "Scenario").v_model == "baseline_2024"
    _button(rc, "Step").click()
    assert model.value.engine.state.step == 1


def test_figures_export_their_series_as_csv_with_dates():
    model = PageModel(WAR)
    model.run_for(10)
    panels = [(series.throughput(model, "exporter"), "Throughput by origin economy", "% of baseline")]
    table = pd.read_csv(io.StringIO(series.panels_csv(panels, model.config.time.start_date, model.days_per_step)))
    assert list(table.columns) == ["panel", "line", "step", "date", "value", "unit"]
    assert len(table) == 3 * 11 and set(table["line"]) == {"US", "CN", "MY"}
    steady = table[(table["line"] == "US") & (table["step"] == 0)].iloc[0]
    assert pd.isna(steady["date"]) and steady["value"] == pytest.approx(100.0)  # the steady state, before day 0
    first = table[(table["line"] == "US") & (table["step"] == 1)].iloc[0]
    assert first["date"] == "2025-01-01"  # step 1 runs on day 0, as the event log dates it


def test_every_figure_has_export_buttons(page):
    _, rc = page
    labels = [button.children[-1] if button.children else "" for button in rc.find(v.Btn).widgets]
    assert labels.count("CSV") == 4 and labels.count("PNG") == 1, labels  # charts save PNG from their toolbox
    assert all("saveAsImage" in option["toolbox"]["feature"] for option in _charts(rc))


def test_firm_loss_histogram_counts_each_group_in_its_bins():
    from sim.viz.firm_view import EDGES, loss_shares

    loss = np.array([0.0, 2.0, 7.0, 99.0, 100.0, -3.0])
    single = np.array([True, True, False, False, False, True])
    shares = loss_shares(loss, single)
    assert len(shares["single-origin"]) == len(EDGES) - 1
    assert shares["single-origin"][0] == pytest.approx(100.0)  # 0, 2 and a gain (-3): all in the first bin
    assert shares["diversified"][1] == pytest.approx(100 / 3) and shares["diversified"][-1] == pytest.approx(200 / 3)


def test_event_log_lists_newest_first():
    model = PageModel(WAR)
    model.run_for(60)
    frame = events_frame(model)
    assert len(frame) == len(model.events) > 0
    assert list(frame["step"]) == sorted(frame["step"], reverse=True)
    shown = events_shown(model)
    assert list(shown.columns) == ["date", "actor", "action", "partner", "sectors", "value", "why"]
    tariff = shown[shown["action"] == "set tariff"].iloc[-1]
    assert tariff["date"] == "2025-02-04" and tariff["value"] == "30% duty" and tariff["why"].startswith("schedule:")
    answer = shown[shown["action"] == "retaliate (tariff)"].iloc[-1]
    assert answer["why"].startswith("tit_for_tat: partner's tariff on our exports up 30.0 points")
    assert not (shown["value"] == "0").any()
    assert shown.loc[shown["action"] == "truce", "value"].eq("").all()  # an action without a value shows none


def test_the_model_stops_running_after_the_scenarios_last_step():
    model = PageModel(WAR)
    model.run_for(model.config.time.steps - 1)
    assert model.running
    model.step()
    assert not model.running and model.engine.state.step == model.config.time.steps
    for _ in range(7):  # a press with a render interval of 7: the page's model does not run past the end
        model.step()
    assert model.engine.state.step == model.config.time.steps


def test_the_server_answers_only_its_own_address_and_origin():
    import asyncio

    from sim.viz.guard import LocalOnly

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def call(kind, host, origin=None):
        headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin else [])
        sent = []

        async def send(message):
            sent.append(message)

        asyncio.run(LocalOnly(inner)({"type": kind, "headers": headers, "server": ("127.0.0.1", 8765)}, None, send))
        return sent

    ok = call("http", "127.0.0.1:8765")
    assert ok[0]["status"] == 200
    names = {key for key, _ in ok[0]["headers"]}
    assert {b"content-security-policy", b"x-frame-options", b"x-content-type-options"} <= names
    assert call("http", "localhost:8765")[0]["status"] == 200
    assert call("http", "evil.example:8765")[0]["status"] == 403  # DNS rebinding
    assert call("http", "127.0.0.1:9999")[0]["status"] == 403
    assert call("websocket", "127.0.0.1:8765", "http://evil.example")[0]["type"] == "websocket.close"
    assert call("websocket", "127.0.0.1:8765")[0]["type"] == "websocket.close"  # no Origin: not a page of ours
    assert call("websocket", "127.0.0.1:8765", "http://127.0.0.1:8765")[0]["status"] == 200


# -- the command ------------------------------------------------------------------------------------
def test_viz_command_rejects_bad_scenario_and_busy_port(capsys):
    assert main(["viz", "no_such_scenario"]) == 2
    assert "no scenario named 'no_such_scenario'" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["viz", "tiny", "--port", str(busy.getsockname()[1])]) == 2
    assert "--port" in capsys.readouterr().err


def test_inspecting_an_economy_lists_its_sectors_numbers_and_labels_them_on_the_network(page):
    model, rc = page
    for _ in range(60):  # past the US tariff on China (day 34) and China's answer
        _button(rc, "Step").click()
    plain = _images(rc)[0]
    _control(rc, v.Select, "Inspect economy").v_model = "CN"
    table = economy_frame(model.value, "CN")
    assert economy_table(model.value, "CN").count("<tr") == len(table) + 1  # the head row and one per row
    assert list(table["sector"]) == [*model.value.network.sectors, "total"]
    by_economy = series.disruption(model.value, "economy")  # the disruption chart's CN line, last step
    assert table["output lost, %"].iloc[-1] == pytest.approx(by_economy.values[1, -1], rel=1e-9)
    assert "<td>total</td>" in economy_table(model.value, "CN")
    assert float(table["exports, % of baseline"].iloc[-1]) < 100.0  # the US tariff cuts China's exports
    assert _images(rc)[0] != plain  # CN's sectors are labelled on the picture
    rc.find(v.Html, children=["CN after step 60 (2025-03-01)"]).assert_single()


def test_inspecting_a_firm_of_a_small_network_describes_it(page):
    model, rc = page
    _button(rc, "Step").click()
    select = _control(rc, v.Select, "Inspect firm")
    assert len(select.items) == model.value.network.n_firms + 1
    NETWORK_FIRM.set("firm 999: XX none")  # a choice from another scenario inspects nothing
    assert not any("firm 999" in str(w.children) for w in rc.find(v.Html).widgets)
    choice = next(item for item in select.items if "CN chips" in item)
    select.v_model = choice
    firm = int(choice.split(":")[0].removeprefix("firm "))
    lines = describe_firm(model.value, firm)
    assert lines[0].startswith(f"firm {firm}: chips in CN")
    for line in lines:
        rc.find(v.Html, children=[line]).assert_single()


def test_chart_dates_are_the_days_steps_start_on():
    start = datetime.date(2025, 1, 1)
    steps = np.arange(0, 60)
    for days_per_step in (1.0, 365 / 52, 365 / 12):
        assert x_values(steps, start, days_per_step) == [step_date(int(s), days_per_step, start).isoformat()
                                                          for s in steps]
    assert x_values(steps[:3], None, 1.0) == [0, 1, 2]


def test_timing_tool_runs_as_the_server_renders():
    """`python -m sim.viz.timing` (a process of its own: it loads solara's server, which changes how solara
    scopes state for the rest of a process)."""
    done = subprocess.run([sys.executable, "-m", "sim.viz.timing", WAR, "--steps", "2", "--after", "3"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"tiny_trade_war after 3 steps: 48 firms; Step \+ redraw median \d+\.\d+ s", done.stdout)


def test_steps_from_two_threads_take_turns():
    """Mesa plays in a thread, and a quick Pause and Play can leave two threads stepping: they must not interleave
    inside a step, so the run is the one a single thread steps."""
    import threading

    alone = PageModel(WAR, seed="3")
    for _ in range(60):
        alone.step()
    shared = PageModel(WAR, seed="3")
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=lambda: [shared.step() for _ in range(30)]) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switching)
    assert shared.engine.state.step == alone.engine.state.step == 60
    for name in ("output", "delivered", "price", "inventory"):
        assert np.array_equal(shared.recorder.table(name), alone.recorder.table(name)), name
