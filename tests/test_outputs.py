"""What a reader sees: recovery that must persist and counts losses only, tables in dates and percentages with
one marker per meaning and a legend, an incidence table that adds up, events in words, caveats on small
sensitivity samples, and the command line's streams (results on stdout, notes on stderr, --json, --format csv)."""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.formats import NA, NO_LOSS, NOT_RECOVERED, day_text, event_value, number, percent, step_day_text
from sim.metrics import RECOVERY_PERSISTENCE_DAYS, disruption
from sim.report import events_table, summary_table
from sim.sweep.analysis import SOBOL_MIN_BASE, sobol_caveats

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trade_war():
    return sim.run("tiny_trade_war", rng=1)


def test_recovery_must_last_and_counts_losses_only():
    days = 100
    dip = np.ones(days)
    dip[10:20] = 0.8  # 10 days 20% down, back on day 20
    assert disruption(dip, np.ones(days))["recovery_days"] == 10.0
    late = np.ones(days)
    late[days - 25:days - 20] = 0.8  # back within the band 20 days before the end: not long enough
    assert disruption(late, np.ones(days))["recovery_days"] is None
    assert RECOVERY_PERSISTENCE_DAYS == 30
    gain = np.ones(days)
    gain[10:20] = 0.8
    gain[20:] = 1.10  # ends 10% above the reference: a gain, so recovered
    metrics = disruption(gain, np.ones(days))
    assert metrics["recovery_days"] == 10.0 and metrics["final_level_pct"] == pytest.approx(110.0)
    shallow = np.full(days, 0.995)  # never more than 1% below: nothing to recover from
    assert disruption(shallow, np.ones(days))["recovery_days"] == 0.0


def test_numbers_dates_percentages_and_event_values_read_as_words():
    assert number(-0.0001) == "0.00" and number(-1234.5, 1) == "-1,234.5" and number(None) == NA
    assert percent(0.425) == "42.5" and percent(0.1) == "10" and percent(-0.0) == "0"
    assert day_text(151, datetime.date(2025, 1, 1)) == "2025-06-01" and day_text(151, None) == "day 151"
    assert day_text(None, None) == NO_LOSS and number(float("nan"), missing=NOT_RECOVERED) == NOT_RECOVERED
    assert step_day_text(151, 1.0, datetime.date(2025, 1, 1)) == "2025-05-31"  # the step ending on day 151
    assert step_day_text(14, 7.0, datetime.date(2025, 1, 1)) == "2025-01-08" and percent(1.0, 0) == "100"
    assert event_value("add tariff", 0.425) == "+42.5% duty" and event_value("export control", 0.45) == "45% blocked"
    for action in ("add tariff ends", "exempt", "truce", "accept", "reject", "export control ends"):
        assert event_value(action, 0.0) == "", action


def test_summary_table_has_dates_one_marker_per_meaning_and_a_legend(trade_war):
    text = summary_table(trade_war.summary())
    assert "from 2025-01-01" in text and re.search(r"\b2025-\d\d-\d\d\b", text.split("by origin economy")[1])
    assert not re.search(r"-0\.0+\b", text) and not re.search(r"\bday \d", text)
    flat = " ".join(text.split())  # the legend is wrapped
    assert "Loss = 1 - run / reference" in flat and "negative losses are gains" in flat
    assert f"'{NOT_RECOVERED}': not so by the end" in flat and f"'{NO_LOSS}': never more than 1% below" in flat
    assert "at least 30 days" in flat


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_incidence_table_adds_up_with_multinationals_inside_their_home(seed):
    scenario = sim.load_scenario("tiny", overrides={
        "multinationals": [{"name": "USChipCo", "home": "US", "plants": [{"cell": "MY.chips", "share": 0.65}]}],
        "tariffs.applied": [{"importer": "US", "exporters": ["MY"], "rate": 0.19, "start_day": 5}]})
    results = sim.run(scenario, steps=40, rng=seed)
    table = results.tariff_incidence()
    assert table.groupby("importer")["value"].sum().drop("").sum() == pytest.approx(
        results.arrays["tariff_revenue"].sum(), rel=1e-12)  # the multinationals' rows are not counted twice
    summary = results.summary()
    incidence = summary["tariff_incidence"]
    assert sum(bill["total"] for bill in incidence.values()) == pytest.approx(summary["tariff_revenue"], rel=1e-12)
    bill = incidence["US"]
    assert bill["total"] == pytest.approx(bill["consumers"] + bill["firms"], rel=1e-12)
    assert 0 < bill["multinationals"]["USChipCo"] <= bill["total"]  # a part of the home's bill
    text = " ".join(summary_table(summary).split())
    assert "of which on goods from own multinationals' plants" in text and "not an addition to it" in text
    assert re.search(r"USChipCo [\d,]+\.\d", text)


def test_event_lines_have_dates_values_in_percent_and_no_empty_values(trade_war):
    text = events_table(trade_war.events, start_date=trade_war.start_date)
    assert "= 0" not in text and "2025-02-04  US     set tariff on CN: 30% duty" in text
    truce = next(line for line in text.splitlines() if " truce " in line)
    assert ":" not in truce.split("truce")[1].split("(")[0]
    assert "retaliate (tariff) on US: +30% duty" in text


def test_small_sobol_samples_come_with_caveats():
    noisy = pd.DataFrame({"S1": [1.93, 0.1], "S1_conf": [0.4, 0.02], "ST": [0.5, 0.12], "ST_conf": [0.3, 0.01]},
                         index=pd.Index(["a", "b"], name="parameter"))
    caveats = sobol_caveats(noisy, n_base=8)
    assert any("small sample: N = 8" in c for c in caveats)
    assert any(c.startswith("S1 outside [0, 1]") and "for a" in c for c in caveats)
    assert any("wider than +/-0.1 for a" in c for c in caveats)
    clean = pd.DataFrame({"S1": [0.6, 0.1], "S1_conf": [0.03, 0.02], "ST": [0.7, 0.12], "ST_conf": [0.05, 0.01]},
                         index=pd.Index(["a", "b"], name="parameter"))
    assert sobol_caveats(clean, n_base=SOBOL_MIN_BASE) == []


def test_json_on_stdout_notes_on_stderr_and_csv_tables(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "tiny", "--steps", "30", "--json", "--format", "csv", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # stdout is one JSON document, nothing else
    assert document["scenario"] == "tiny" and document["steps"] == 30 and Path(document["out"]) == out
    assert "Wrote" in captured.err
    for name in ("flows", "output", "events", "baseline_flows"):
        assert (out / f"{name}.csv").is_file() and not (out / f"{name}.parquet").exists()
    assert pd.read_csv(out / "flows.csv")["step"].max() == 30
    assert main(["run", "tiny", "--steps", "30", "--quiet", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "peak loss %" in captured.out and captured.err == ""
    assert main(["list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert any(row["name"] == "tiny" for row in listing["scenarios"]) and listing["sweeps"]


@pytest.fixture
def sim_logger():
    """The `sim` logger as it was, restored after a test that configures it."""
    logger = logging.getLogger("sim")
    kept = logger.handlers[:], logger.propagate, logger.level
    yield logger
    logger.handlers[:], logger.propagate = kept[0], kept[1]
    logger.setLevel(kept[2])


def test_verbose_shows_debug_messages_with_their_module(capsys, sim_logger):
    from sim.log import configure

    configure(verbose=True, stream=sys.stderr)
    logging.getLogger("sim.test").debug("a detail")
    assert re.search(r"sim\.test: a detail", capsys.readouterr().err)
    configure(quiet=True, stream=sys.stderr)
    logging.getLogger("sim.test").info("a note")
    logging.getLogger("sim.test").warning("a problem")
    assert capsys.readouterr().err == "warning: a problem\n"


def test_the_core_runs_without_the_web_stack_and_sim_viz_says_what_to_install(tmp_path):
    """The viz extra's modules made unimportable: `sim run` works, `sim viz` exits 2 naming the extra."""
    import subprocess

    blocked = ("solara", "solara_assets", "ipyvuetify", "ipyvue", "altair", "reacton", "ipywidgets")
    program = (f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
               "from sim.cli import main\nsys.exit(main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", program, "run", "tiny", "--steps", "20", "--quiet", "--out",
                          str(tmp_path / "run")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    viz = subprocess.run([sys.executable, "-c", program, "viz", "tiny", "--port", "0"], capture_output=True,
                         text=True, timeout=300)
    assert viz.returncode == 2 and "Traceback" not in viz.stderr, viz.stderr
    assert "the 'viz' extra" in viz.stderr and "pip install" in viz.stderr and "[viz]'" in viz.stderr


def test_install_hints_fit_how_sim_was_installed(monkeypatch):
    from sim import extras

    monkeypatch.setattr(extras, "_installed_from", lambda: None)
    assert extras.install_hint("viz") == "pip install 'sim[viz]'"
    monkeypatch.setattr(extras, "_installed_from", lambda: ("/src/sim", True))
    assert extras.install_hint("io") == "pip install -e '/src/sim[io]'"
    monkeypatch.setattr(extras, "_installed_from", lambda: ("/w/sim-0.1.0-py3-none-any.whl", False))
    assert extras.install_hint("viz") == "pip install '/w/sim-0.1.0-py3-none-any.whl[viz]'"
    monkeypatch.setattr(extras, "_installed_from", lambda: ("git+https://example.org/sim.git@abc", False))
    assert extras.install_hint("viz") == "pip install 'sim[viz] @ git+https://example.org/sim.git@abc'"
