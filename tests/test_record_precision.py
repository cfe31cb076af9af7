"""How the per-step tables are held (`report.record_precision`, sim/recorder.py): float32 halves the record and
keeps the sums to float32 precision (they are taken in float64, then stored); `auto` chooses float32 only
where a step's rows exceed the threshold; policy tensors stay float64."""

from __future__ import annotations

import numpy as np

import sim
from sim import recorder

SUMMED = ("output", "delivered", "unfilled", "tariff_revenue", "price", "inventory", "consumer_price")


def test_float32_rows_take_half_the_memory_and_hold_the_float64_sums_rounded():
    exact = sim.run("us_tariffs_2025", steps=120, overrides={"report.record_precision": "float64"})
    narrow = sim.run("us_tariffs_2025", steps=120, overrides={"report.record_precision": "float32"})
    for name in SUMMED:
        x, y = exact.arrays[name], narrow.arrays[name]
        assert x.dtype == np.float64 and y.dtype == np.float32 and y.nbytes == x.nbytes / 2, name
        # each value is the float64 sum rounded once: within half a float32 unit of it
        assert np.all(np.abs(y - x) <= np.spacing(np.abs(x).astype(np.float32)) / 2 + 1e-300), name
    for name in recorder.POLICY_TABLES:  # rates are kept exactly
        assert narrow.arrays[name].dtype == np.float64
        assert np.array_equal(narrow.arrays[name], exact.arrays[name])
    headline, rounded = exact.summary()["headline"], narrow.summary()["headline"]
    for name, figures in headline.items():  # the headline read from float32 rows: the same to 1e-4 points
        for key in ("peak_loss_pct", "final_level_pct", "cumulative_loss_days"):
            assert abs(rounded[name][key] - figures[key]) < 1e-4, (name, key)


def test_auto_holds_rows_in_float32_only_above_the_threshold(monkeypatch):
    scenario = sim.load_scenario("tiny")
    assert scenario.report.record_precision == "auto"
    small = sim.SupplyChainModel(scenario, rng=1)
    assert small.recorder.precision == "float64"  # a few hundred columns
    width = sum(len(small.recorder.steady[name]) for name in small.recorder._summed)
    monkeypatch.setattr(recorder, "AUTO_FLOAT32_BYTES", 8 * width - 1)
    large = sim.SupplyChainModel(scenario, rng=1)
    assert large.recorder.precision == "float32"
    for model in (small, large):
        for _ in range(5):
            model.step()
    summed = [sum(model.recorder.rows[name].array().nbytes for name in model.recorder._summed)
              for model in (small, large)]
    assert summed[1] == summed[0] / 2 and large.recorder.bytes_per_step() < small.recorder.bytes_per_step()
    steady = large.recorder.steady  # the steady rows as float32 rows would hold them
    assert all(np.array_equal(steady[n], steady[n].astype(np.float32)) for n in large.recorder._summed)
    monkeypatch.setattr(recorder, "AUTO_FLOAT32_BYTES", 8 * width)
    assert sim.SupplyChainModel(scenario, rng=1).recorder.precision == "float64"
