"""Comparative statics of a capacity shock (sim/validation/statics.py), at the quick size.

The check must pass on the default order rule; the same inventory-monotonicity verdict must flag the
`signed_gap` rule, which is known to lose more with larger inventories on `tiny`.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.validation import statics
from sim.validation.settings import QUICK

# tiny, MY.chips loses 50% for 30 days from day 10, back at once; every sector's inventory_days 20, 40, 80
SIGNED_GAP_SHOCK = statics.Shock(("MY.chips",), share=0.5, duration_days=30, start_day=10, recovery_days=0)
SIGNED_GAP_DAYS = (20.0, 40.0, 80.0)
SIGNED_GAP_LOSSES = (0.233, 0.277, 0.332)  # cumulative loss of total output, days, over 400 days, homogeneous


def tiny_homogeneous():
    """tiny with every buyer on its cell's mix and no volume limits: the model the figures above were measured on."""
    import sim

    return sim.load_scenario("tiny", overrides={"network.sourcing": "homogeneous",
                                                "engine.volume_flexibility": None}).without_shocks()


@pytest.fixture(scope="module")
def result():
    return statics.check_comparative_statics(QUICK)


def test_check_passes_at_quick_size(result):
    failing = result.more_tables[next(iter(result.more_tables))]
    failing = failing[~failing["passed"]]
    assert result.passed, f"comparative statics fail:\n{failing.to_string()}"


def test_table_has_every_case(result):
    table = result.table
    per_table = len(statics.SHARES) + len(statics.DURATIONS) + 2 * len(statics.INVENTORY_FACTORS)
    assert table["table"].nunique() == 2 + 2  # tiny, baseline_2024 and two random tables
    assert len(table) == per_table * table["table"].nunique()
    assert {"cumulative loss (days)", "peak loss (%)", "recovery (days)", "settled after end (days)"} <= set(table)
    assert result.figure is not None and len(result.figure.axes) == 5
    # the base case (share 0.5, 30 days, scenario inventories) appears under every varied parameter, identically
    for _, group in table.groupby("table"):
        base = group[((group["varied"] == "share") & (group["value"] == statics.BASE_SHARE))
                     | ((group["varied"] == "duration") & (group["value"] == statics.BASE_DURATION))
                     | (group["varied"].str.contains("inventories") & (group["value"] == 1.0))]
        assert len(base) == 4 and base["cumulative loss (days)"].nunique() == 1


def test_signed_gap_loses_more_with_larger_inventories():
    verdict = statics.inventory_monotonicity(tiny_homogeneous(), SIGNED_GAP_SHOCK, rule="signed_gap",
                                             days=SIGNED_GAP_DAYS,
                                             steps=400)
    assert np.allclose(verdict.losses, SIGNED_GAP_LOSSES, atol=2e-3), verdict.losses
    assert not verdict.passed
    assert verdict.worst_pair == (40.0, 80.0) and verdict.worst_excess > 0.05


def test_default_rule_does_not_on_the_same_case():
    verdict = statics.inventory_monotonicity(tiny_homogeneous(), SIGNED_GAP_SHOCK, days=SIGNED_GAP_DAYS, steps=400)
    assert statics.DEFAULT_RULE == "supply_line"
    assert verdict.passed, verdict.losses


def test_monotonicity_and_settling_rules():
    assert statics.Monotonicity((1, 2, 3), (0.3, 0.3 - 2e-4, 0.1), rising=False).passed  # flat to rounding is fine
    assert not statics.Monotonicity((1, 2, 3), (0.3, 0.2, 0.2 + 5e-3), rising=False).passed
    assert not statics.Monotonicity((0.1, 0.5), (0.2, 0.19), rising=True).passed
    assert statics.Monotonicity((0.1, 0.5), (-1e-5, -5e-4), rising=True).passed  # within the 1e-3-day floor
    assert not statics.Monotonicity((0.1, 0.5), (-1e-5, -5e-3), rising=True).passed
    loss = np.zeros(100)
    loss[10:40] = 0.2
    loss[50] = -0.02
    assert statics.settle_days(loss, end_day=40) == 11.0
    assert statics.settle_days(np.zeros(10), end_day=5) == 0.0
    loss[-1] = 0.05
    assert statics.settle_days(loss, end_day=40) is None
