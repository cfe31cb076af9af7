"""The policy-state matrices of the browser view: today's rates by pair, for a sector or trade-weighted, with a
simple mean (marked) where a pair does not trade, so a tariff on goods never bought still shows."""

from __future__ import annotations

import numpy as np

from sim.viz.params import PageModel
from sim.viz.policy_view import control_matrix, pair_rates, tariff_matrix


def test_pair_rates_weight_by_trade_and_fall_back_to_the_simple_mean():
    rates = np.zeros((2, 2, 2))
    rates[0, 1] = [0.1, 0.3]
    rates[1, 0] = [0.2, 0.4]
    weights = np.zeros((2, 2, 2))
    weights[0, 1] = [3.0, 1.0]  # pair (0, 1) trades; pair (1, 0) does not
    values, untraded = pair_rates(rates, weights, None)
    assert np.isclose(values[0, 1], 0.15) and not untraded[0, 1]
    assert np.isclose(values[1, 0], 0.3) and untraded[1, 0]
    one, marked = pair_rates(rates, weights, 1)
    assert one[1, 0] == 0.4 and not marked.any()


def test_the_trade_war_matrices_show_chinas_retaliation_and_the_us_tariff():
    model = PageModel("tiny_trade_war")
    model.run_for(50)  # the US tariff on China from day 34 (4 Feb), China's answer a week later
    text = tariff_matrix(model, None)
    assert "<th>importer \\ exporter</th>" in text
    us, cn = (text.split(f"<tr><th>{name}</th>")[1].split("</tr>")[0] for name in ("US", "CN"))
    assert "30%" in us and "30%" in cn, (us, cn)  # each side's 30%, whatever the pair's trade
    electronics = model.network.sectors.index("electronics")
    assert "30%" in tariff_matrix(model, electronics).split("<tr><th>CN</th>")[1].split("</tr>")[0]
    controls = control_matrix(model, None)
    assert "exporter \\ importer" in controls and "sim-rate" not in controls  # no export control in this scenario
