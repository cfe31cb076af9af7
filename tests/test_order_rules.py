"""The order rules of `engine.order_rule` (docs/model.md, 'Orders'): each formula, and how they relate."""

import numpy as np
import pytest

import sim
from sim.engine import kernels
from sim.engine.core import ORDER_RULES

# one firm with one input slot: coef 0.5, planned output 10 (need 5), inventory target 4 days, lead 2 days
COEF, PLANNED, DAYS, LEAD, TAU = 0.5, 10.0, 4.0, 2.0, 5.0


def order(rule: str, stock: float, transit: float, target_output: float = PLANNED, weight: float = 1.0) -> float:
    """The slot's order under `rule` after a step that used and received nothing."""
    inventory, used, orders = np.array([stock]), np.empty(1), np.empty(1)
    kernels.inventories_and_orders(np.zeros(1, np.uint16), np.array([COEF]), np.zeros(1), np.array([PLANNED]),
                                   np.array([target_output]), np.zeros(1), np.zeros(1),
                                   np.array([DAYS]), np.array([LEAD]),
                                   np.array([transit]), TAU, ORDER_RULES.index(rule), weight, inventory, used, orders)
    return float(orders[0])


NEED = COEF * PLANNED  # 5 per step; the target position is need * (days + lead) = 30: stock 20, transit 10


@pytest.mark.parametrize("rule", ORDER_RULES)
def test_at_the_target_every_rule_orders_the_need(rule):
    assert order(rule, stock=20.0, transit=10.0) == pytest.approx(NEED, rel=1e-15)


def test_signed_gap_cuts_orders_for_excess_stock_and_ario_does_not():
    assert order("signed_gap", stock=30.0, transit=10.0) == pytest.approx(NEED - 10.0 / TAU)
    assert order("signed_gap", stock=60.0, transit=10.0) == 0.0  # never negative
    assert order("ario", stock=30.0, transit=10.0) == pytest.approx(NEED)  # excess is ignored
    assert order("ario", stock=10.0, transit=10.0) == pytest.approx(NEED + 10.0 / TAU)  # a shortfall is closed


def test_supply_line_weighs_goods_in_transit_and_sets_the_stock_target_for_its_own_output():
    # goods in transit 10 above the pipeline the lead time needs: weight 1 counts them all, weight 0 none
    assert order("supply_line", stock=20.0, transit=20.0) == pytest.approx(NEED - 10.0 / TAU)
    assert order("supply_line", stock=20.0, transit=20.0, weight=0.0) == pytest.approx(NEED)
    assert order("supply_line", stock=20.0, transit=20.0, weight=0.4) == pytest.approx(NEED - 4.0 / TAU)
    # the stock target is coef * target_output * days, whatever the plan: here 0.5 * 14 * 4 = 28
    assert order("supply_line", stock=20.0, transit=10.0, target_output=14.0) == pytest.approx(NEED + 8.0 / TAU)


def _run(rule: str, **engine) -> np.ndarray:
    overrides = {"engine.order_rule": rule, "engine.spare_capacity": 10.0,
                 **{f"engine.{k}": v for k, v in engine.items()},
                 "tariffs.applied": [{"importer": "US", "exporters": ["CN"], "rate": 0.5, "start_day": 5}],
                 "export_controls": [{"exporter": "CN", "importers": ["US"], "sectors": ["materials"], "share": 0.7,
                                      "start_day": 10, "end_day": 40}]}
    model = sim.SupplyChainModel(sim.load_scenario("tiny", overrides=overrides), rng=2)
    model.run_for(120)
    return model.results().arrays["output"]


def test_supply_line_with_a_one_day_target_memory_is_the_signed_gap():
    """Where capacity never binds (planned = expected demand), the supply-line rule with weight 1 and a target
    revised every day is the signed gap."""
    signed = _run("signed_gap")
    limit = _run("supply_line", target_smoothing_days=1.0, supply_line_weight=1.0)
    slow = _run("supply_line")
    scale = np.maximum(signed, 1e-9 * signed.max())  # some cells of tiny have no output
    assert np.max(np.abs(limit - signed) / scale) < 1e-9
    assert np.max(np.abs(slow - signed) / scale) > 1e-4  # the default memory does make a difference


def test_default_rule_and_the_scenario_field():
    scenario = sim.load_scenario("tiny")
    assert scenario.engine.order_rule == "supply_line" and scenario.engine.target_smoothing_days == 365.0
    with pytest.raises(sim.ScenarioError, match="order_rule"):
        sim.load_scenario("tiny", overrides={"engine.order_rule": "sterman"})
