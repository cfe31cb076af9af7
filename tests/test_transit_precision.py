"""Goods in transit held in float32 (`engine.transit_precision`, sim/engine/pipeline.py).

The buffer holds each shipment less its link's baseline flow rounded to float32. Checked here: the
buffer takes half the memory; the steady state holds to 1e-9; no arrival is negative and a blocked
link's shipments arrive as nothing; the conservation ledger holds every step (the transit identities to
float32 precision); and results agree with float64 transit on seeded generated cases (a tariff, a
capacity shock, an export control that blocks or delays, supplier search) and on shipped scenarios.
The criterion, per recorded table: the largest difference over the run, relative to the largest value
of that table in the float64 run, at most 1e-6; the worst case is printed.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engine import Policy
from sim.engine.pipeline import TransitPipeline
from sim.scenario import Scenario
from sim.synthetic import synthetic_scenario

FLOAT32 = {"engine.transit_precision": "float32"}
AGREEMENT = 1e-6  # largest table difference over the run, relative to the table's largest value
GENERATED = range(1, 13)


def generated(seed: int, precision: str, steps: int = 160) -> Scenario:
    """A seeded synthetic scenario with a tariff, a capacity shock and, by seed, an export control that blocks
    part of one route's flow (even seeds) or delays it for a licence (odd seeds)."""
    raw = synthetic_scenario(240, 12, 4, 5, seed=seed, steps=steps)
    raw["export_controls"] = [{"exporter": "E02", "importers": ["E00"], "sectors": ["S02", "S03"],
                               "share": 0.3 + 0.05 * (seed % 5), "start_day": 20, "end_day": 90,
                               "licensing_days": 0.0 if seed % 2 == 0 else 15.0}]
    raw["engine"] = {"search_days": 30, "check_ledger": True, "transit_precision": precision}
    return Scenario.from_dict(raw)


def worst_difference(a: sim.Results, b: sim.Results) -> tuple[float, str]:
    """The largest difference between the two runs' tables, relative to the table's largest value in `a`."""
    worst = (0.0, "")
    for name, values in a.arrays.items():
        x, y = np.asarray(values, dtype=float), np.asarray(b.arrays[name], dtype=float)
        if not x.size or not np.isfinite(x).any():
            continue
        scale = np.nanmax(np.abs(x))
        if scale == 0:
            continue
        difference = float(np.nanmax(np.abs(x - y)) / scale)
        worst = max(worst, (difference, name))
    return worst


def test_the_pipeline_in_float32_takes_half_the_memory_and_starts_full_of_the_baseline():
    leads = np.array([3, 1, 3, 2, 2, 3])
    flow = np.array([0.1, 2.0, 1e-7, 3.3, 0.0, 1e6])
    exact, narrow = TransitPipeline(leads, flow), TransitPipeline(leads, flow, np.float32)
    assert narrow.buffer.dtype == np.float32 and narrow.buffer.nbytes == exact.buffer.nbytes / 2
    assert narrow.base.dtype == np.float32
    assert np.allclose(narrow.in_transit(), flow * leads, rtol=1e-15, atol=0)
    for _ in range(4):  # the baseline flows arrive as sent, to the rounding of a difference from the base
        assert np.allclose(narrow.advance(flow), flow, rtol=1e-15, atol=0)


def test_nothing_shipped_arrives_as_nothing_and_no_arrival_is_negative():
    rng = np.random.default_rng(5)
    leads, flow = rng.integers(1, 6, 500), rng.lognormal(0.0, 3.0, 500)
    pipe = TransitPipeline(leads, flow, np.float32)
    sent = []
    for step in range(12):
        shipped = flow * rng.uniform(0.0, 3.0, 500)
        shipped[rng.random(500) < 0.3] = 0.0  # blocked links ship nothing
        arrived = pipe.advance(shipped)
        sent.append(shipped)
        assert np.all(arrived >= 0)
        if step >= 5:  # every link has had its lead time: arrivals are what was sent `lead` steps ago
            expected = np.array([sent[step - lead][link] for link, lead in enumerate(leads)])
            assert np.all(arrived[expected == 0] == 0)
            assert np.all(np.abs(arrived - expected) <= 2**-24 * np.abs(expected - pipe.base) * 1.0000001)


def test_the_steady_state_holds_in_float32():
    for seed in (1, 2, 3):
        scenario = Scenario.from_dict(synthetic_scenario(240, 12, 4, 5, seed=seed, steps=100) | {
            "tariffs": {}, "capacity_shocks": [], "engine": {"transit_precision": "float32", "check_ledger": True}})
        model = sim.SupplyChainModel(scenario, rng=seed)
        engine, start = model.engine, model.engine.state.copy()
        assert engine.state.pipeline.buffer.dtype == np.float32
        policy = Policy.neutral(engine.structure.n_economies, engine.structure.n_sectors, engine.structure.n_firms)
        policy.tariff = model.baseline_tariff
        for _ in range(100):
            flows = engine.step(policy)
        st = engine.structure
        assert np.max(np.abs(flows.output / st.output0 - 1)) < 1e-9
        assert np.max(np.abs(engine.state.inventory - start.inventory) / st.inventory0) < 1e-9
        assert np.max(np.abs(engine.state.in_transit - start.in_transit) / start.in_transit) < 1e-9


@pytest.mark.parametrize("seed", GENERATED)
def test_float32_transit_agrees_with_float64_on_generated_cases(seed):
    exact = sim.run(generated(seed, "float64"))  # the ledger is checked every step of both runs
    narrow = sim.run(generated(seed, "float32"))
    difference, table = worst_difference(exact, narrow)
    print(f"seed {seed}: worst difference {difference:.2e} ({table})")
    assert difference <= AGREEMENT, f"seed {seed}: {table} differs by {difference:.3g} of its largest value"


@pytest.mark.parametrize("name", ["us_tariffs_2025", "rare_earth_cutoff"])
def test_float32_transit_agrees_with_float64_on_shipped_scenarios(name):
    overrides = {"engine.check_ledger": True}
    exact = sim.run(name, steps=200, overrides=overrides | {"engine.transit_precision": "float64"})
    narrow = sim.run(name, steps=200, overrides=overrides | FLOAT32)
    difference, table = worst_difference(exact, narrow)
    print(f"{name}: worst difference {difference:.2e} ({table})")
    assert difference <= AGREEMENT, f"{name}: {table} differs by {difference:.3g} of its largest value"


def test_auto_holds_transit_in_float32_only_where_the_float64_pipeline_would_exceed_the_threshold(monkeypatch):
    from sim.engine import core

    scenario = sim.load_scenario("us_tariffs_2025")
    assert scenario.engine.transit_precision == "auto"
    small = sim.SupplyChainModel(scenario, rng=1)
    assert small.engine.state.transit_exact  # every shipped scenario's pipeline is a few MB
    pipeline_bytes = 8 * int(small.engine.structure.lead.sum())
    assert small.engine.state.pipeline.buffer.nbytes == pipeline_bytes
    monkeypatch.setattr(core, "AUTO_FLOAT32_TRANSIT_BYTES", pipeline_bytes - 1)
    large = sim.SupplyChainModel(scenario, rng=1, network=small.network)
    assert not large.engine.state.transit_exact and large.engine.state.pipeline.buffer.nbytes == pipeline_bytes // 2
    monkeypatch.setattr(core, "AUTO_FLOAT32_TRANSIT_BYTES", pipeline_bytes)
    assert sim.SupplyChainModel(scenario, rng=1, network=small.network).engine.state.transit_exact
    monkeypatch.setattr(core, "AUTO_FLOAT32_TRANSIT_BYTES", 0)
    pinned = sim.SupplyChainModel(sim.load_scenario("us_tariffs_2025", {"engine.transit_precision": "float64"}), rng=1,
                                  network=small.network)
    assert pinned.engine.state.transit_exact  # a stated precision is kept at any size
