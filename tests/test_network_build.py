"""The built network is an exact steady state of the scenario's IO table (MODEL.md section 2)."""

import numpy as np
import pytest

from sim.network import SupplyNetwork, build_network
from sim.scenario import load_scenario

RTOL = 1e-9
DENSE = {"network.firms_per_cell": 40, "network.suppliers_per_buyer": 3}
LINK_ARRAYS = ("link_supplier", "link_buyer", "link_flow", "link_lead_steps")
FIRM_ARRAYS = ("firm_cell", "firm_owner")


def assert_rel(actual, expected, rtol=RTOL):
    """Equal to `rtol` relative; exact zeros are compared against a tiny fraction of the largest entry."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape
    scale = np.abs(expected).max() if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * 1e-6 * scale)


CASES = {"tiny": {}, "dense": DENSE, "dense homogeneous": {**DENSE, "network.sourcing": "homogeneous"}}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    scenario = load_scenario("tiny", overrides=CASES[request.param])
    return scenario, build_network(scenario, rng=11)


# -- Leontief identity -------------------------------------------------------------------------


def test_cell_outputs_equal_gross_output(case):
    scenario, net = case
    x = scenario.gross_output()
    assert (x > 0).sum() >= 2
    assert_rel(net.cell_output(), x)
    # firms only in cells with output, as many as configured
    assert np.array_equal(np.bincount(net.firm_cell, minlength=net.n_cells), scenario.firms_in_cell())
    assert np.all(net.firm_output > 0)


def test_leontief_inverse_reproduces_output(case):
    scenario, net = case
    z, y = scenario.io_matrices()
    x = net.cell_output()
    a = np.divide(z, x[None, :], out=np.zeros_like(z), where=x[None, :] > 0)
    assert np.all(a.sum(axis=0) <= 1 + 1e-12)  # non-negative value added
    solved = np.linalg.solve(np.eye(len(x)) - a, y.sum(axis=1))
    assert_rel(solved, x)
    assert_rel(x, z.sum(axis=1) + y.sum(axis=1))


def test_link_flows_rebuild_the_table(case):
    """Summing link flows by (supplier cell, buyer cell / economy) gives back Z and Y."""
    scenario, net = case
    z, y = scenario.io_matrices()
    final = net.link_is_final
    sup_cell = net.firm_cell[net.link_supplier]
    got_z = np.zeros_like(z)
    np.add.at(got_z, (sup_cell[~final], net.firm_cell[net.link_buyer[~final]]), net.link_flow[~final])
    got_y = np.zeros_like(y)
    np.add.at(got_y, (sup_cell[final], net.link_buyer[final] - net.n_firms), net.link_flow[final])
    assert_rel(got_z, z)
    assert_rel(got_y, y)
    assert np.all(net.link_flow > 0)


# -- exact marginals ---------------------------------------------------------------------------


def firm_shares(net: SupplyNetwork) -> np.ndarray:
    return net.firm_output / net.cell_output()[net.firm_cell]


def test_exact_marginals_in_every_intermediate_block(case):
    scenario, net = case
    z, _ = scenario.io_matrices()
    share = firm_shares(net)
    final = net.link_is_final
    sup = net.link_supplier[~final]
    buy = net.link_buyer[~final]
    flow = net.link_flow[~final]
    sup_cell, buy_cell = net.firm_cell[sup], net.firm_cell[buy]
    n_cells = net.n_cells

    # each supplier's sales into block (its cell -> buyer cell) / block flow == its share of its cell
    sales = np.zeros((net.n_firms, n_cells))
    np.add.at(sales, (sup, buy_cell), flow)
    # each buyer's purchases from block (supplier cell -> its cell) / block flow == its share of its cell
    purchases = np.zeros((net.n_firms, n_cells))
    np.add.at(purchases, (buy, sup_cell), flow)

    blocks = list(zip(*np.nonzero(z), strict=True))
    assert len(blocks) >= 5
    n_sectors = net.n_sectors
    for i, j in blocks:
        suppliers = np.flatnonzero(net.firm_cell == i)
        buyers = np.flatnonzero(net.firm_cell == j)
        assert_rel(sales[suppliers, j] / z[i, j], share[suppliers])
        if scenario.network.sourcing == "homogeneous":  # every buyer buys each block by its size
            assert_rel(purchases[buyers, i] / z[i, j], share[buyers])
        # under any sourcing, a buyer's purchases of an input sector (all origins) follow its size
        origins = np.arange(i % n_sectors, n_cells, n_sectors)
        assert_rel(purchases[np.ix_(buyers, origins)].sum(axis=1) / z[origins, j].sum(), share[buyers], rtol=1e-12)
    # no flows outside the table's blocks
    assert np.all(z[sup_cell, buy_cell] > 0)


def test_buyers_get_several_suppliers_per_block():
    scenario = load_scenario("tiny", overrides=DENSE)
    net = build_network(scenario, rng=3)
    final = net.link_is_final
    sup_cell = net.firm_cell[net.link_supplier[~final]]
    buy = net.link_buyer[~final]
    pairs = np.unique(np.stack([buy, sup_cell]), axis=1)
    links_per_pair = np.array([np.sum((buy == b) & (sup_cell == c)) for b, c in pairs.T])
    assert np.median(links_per_pair) >= 2  # suppliers_per_buyer couplings average out to several partners
    one = build_network(load_scenario("tiny", overrides={**DENSE, "network.suppliers_per_buyer": 1}), rng=3)
    assert one.n_links < net.n_links


def test_exact_marginals_in_final_demand(case):
    scenario, net = case
    _, y = scenario.io_matrices()
    share = firm_shares(net)
    final = net.link_is_final
    sup = net.link_supplier[final]
    importer = net.link_buyer[final] - net.n_firms
    sales = np.zeros((net.n_firms, net.n_economies))
    np.add.at(sales, (sup, importer), net.link_flow[final])
    blocks = list(zip(*np.nonzero(y), strict=True))
    assert len(blocks) >= 3
    for c, e in blocks:
        suppliers = np.flatnonzero(net.firm_cell == c)
        assert_rel(sales[suppliers, e] / y[c, e], share[suppliers])
    assert np.all(y[net.firm_cell[sup], importer] > 0)


# -- firm sizes --------------------------------------------------------------------------------


def max_share_times_n(net: SupplyNetwork) -> np.ndarray:
    """Per cell with firms: the largest firm's output share times the number of firms."""
    share = firm_shares(net)
    out = []
    for cell in np.unique(net.firm_cell):
        firms = net.firm_cell == cell
        out.append(share[firms].max() * firms.sum())
    return np.array(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_firm_sizes_are_heavy_tailed(seed):
    n = 200
    net = build_network(load_scenario("tiny", overrides={"network.firms_per_cell": n}), rng=seed)
    ratio = max_share_times_n(net)
    assert len(ratio) >= 5
    # Pareto(1.5): the largest of 200 firms is typically ~10x the mean; > 5x fails in ~3% of cells
    assert np.mean(ratio > 5) >= 0.6
    assert np.median(ratio) > 5
    # the top 10% of firms hold well over 10% of output in a typical cell
    share = firm_shares(net)
    top = [np.sort(share[net.firm_cell == c])[-n // 10:].sum() for c in np.unique(net.firm_cell)]
    assert np.median(top) > 0.3


def test_thin_tail_gives_near_equal_firms():
    n = 200
    net = build_network(
        load_scenario("tiny", overrides={"network.firms_per_cell": n, "network.size_tail_index": 50.0}), rng=1
    )
    assert np.all(max_share_times_n(net) < 2)


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_same_network_other_seed_other_links():
    scenario = load_scenario("tiny", overrides=DENSE)
    a, b = build_network(scenario, rng=5), build_network(scenario, rng=5)
    for name in LINK_ARRAYS + FIRM_ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.firm_output, b.firm_output)

    c = build_network(scenario, rng=6)
    assert np.array_equal(a.firm_cell, c.firm_cell)
    assert any(
        getattr(a, name).shape != getattr(c, name).shape or not np.array_equal(getattr(a, name), getattr(c, name))
        for name in ("link_supplier", "link_buyer", "link_flow")
    )
    assert not np.array_equal(a.firm_output, c.firm_output)  # sizes are redrawn too
    assert_rel(c.cell_output(), a.cell_output())


def test_default_rng_is_the_scenario_seed():
    scenario = load_scenario("tiny")
    a = build_network(scenario)
    b = build_network(scenario, rng=scenario.seed)
    for name in LINK_ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


# -- lead times --------------------------------------------------------------------------------


def expected_steps(scenario, days):
    return max(1, int(np.rint(days * scenario.time.steps_per_year / 365.0)))


def link_economies(net):
    return net.firm_economy[net.link_supplier], net.link_buyer_economy


def test_lead_times_domestic_and_international(case):
    scenario, net = case
    assert np.all(net.link_lead_steps >= 1)
    exporter, importer = link_economies(net)
    domestic = exporter == importer
    assert domestic.any() and (~domestic).any()
    assert np.all(net.link_lead_steps[domestic] == expected_steps(scenario, scenario.lead_times.domestic_days))
    assert np.all(net.link_lead_steps[~domestic] == expected_steps(scenario, scenario.lead_times.international_days))
    # final demand links are included and follow the same rule
    final = net.link_is_final
    assert np.any(final & domestic) and np.any(final & ~domestic)


def test_lead_times_routes_and_at_least_one_step():
    # weekly steps: 2 domestic days round to 0 steps and must be clamped to 1
    scenario = load_scenario("tiny", overrides={
        "time.steps_per_year": 52,
        "lead_times.routes": [{"exporter": "MY", "importer": "US", "days": 35}],
    })
    assert scenario.steps(scenario.lead_times.domestic_days) < 0.5
    net = build_network(scenario, rng=1)
    exporter, importer = link_economies(net)
    names = scenario.economy_names
    my_us = (exporter == names.index("MY")) & (importer == names.index("US"))
    assert my_us.any()
    assert np.all(net.link_lead_steps >= 1)
    assert np.all(net.link_lead_steps[exporter == importer] == 1)
    assert np.all(net.link_lead_steps[my_us] == 5)  # 35 days = 5 weeks
    other = (exporter != importer) & ~my_us
    assert np.all(net.link_lead_steps[other] == expected_steps(scenario, scenario.lead_times.international_days))


# -- canonical order ---------------------------------------------------------------------------


def test_links_in_canonical_order(case):
    _, net = case
    key = np.stack([net.link_buyer, net.firm_sector[net.link_supplier], net.link_supplier])
    order = np.lexsort(key[::-1])
    assert np.array_equal(order, np.arange(net.n_links))
    # no duplicate (supplier, buyer) pairs
    assert len(np.unique(np.stack([net.link_supplier, net.link_buyer]), axis=1).T) == net.n_links


def _coupled_block_by_block(scenario, rng_seed):
    """The firm-to-firm links as coupling every block in table order makes them (what the build's array
    pass for one-firm blocks must reproduce exactly)."""
    from sim.network.build import assign_owners, coupling, firm_shares
    from sim.network.sourcing import block_buyers

    rng = np.random.default_rng(rng_seed)
    counts = scenario.firms_in_cell()
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    quanta = firm_shares(counts, scenario.network.size_tail_index, rng)
    assign_owners(scenario, np.repeat(np.arange(len(counts)), counts), quanta, starts, rng)
    sup_cells, buy_cells, values, *_ = scenario.io_blocks()
    cell_quanta = [quanta[starts[c]:starts[c] + counts[c]] for c in range(len(counts))]
    if scenario.network.sourcing == "heterogeneous":
        sectors = scenario.sectors
        mixes = block_buyers(sup_cells, buy_cells, values, [cell_quanta[c] for c in buy_cells], len(sectors),
                             np.array([s.single_origin_share for s in sectors]),
                             np.array([s.origin_concentration for s in sectors]), rng)
    else:
        mixes = [(np.arange(counts[c]), cell_quanta[c]) for c in buy_cells]
    parts = []
    for sup, buy, value, (local, buyer_quanta) in zip(sup_cells, buy_cells, values, mixes, strict=True):
        s_idx, b_idx, weight = coupling(cell_quanta[sup], buyer_quanta, scenario.network.suppliers_per_buyer, rng)
        parts.append((starts[sup] + s_idx, starts[buy] + local[b_idx], weight * value))
    return [np.concatenate(p) for p in zip(*parts, strict=True)]


@pytest.mark.parametrize("sourcing", ["heterogeneous", "homogeneous"])
def test_one_firm_blocks_laid_out_in_arrays_equal_coupling_every_block(sourcing):
    """Cells of one firm (most of a real table at one firm per cell) next to cells of several."""
    scenario = load_scenario("tiny", {"network.firms_per_cell": 1, "network.sourcing": sourcing,
                                      "network.cells": {"CN.chips": 4, "US.electronics": 3}})
    counts = scenario.firms_in_cell()
    assert (counts == 1).sum() >= 3 and (counts > 1).sum() == 2
    for seed in (1, 2, 3):
        net = build_network(scenario, seed)
        supplier, buyer, flow = _coupled_block_by_block(scenario, seed)
        firm_links = net.link_buyer < net.n_firms
        built = net.link_supplier[firm_links], net.link_buyer[firm_links], net.link_flow[firm_links]
        order, want = np.lexsort(built[::-1]), np.lexsort((flow, buyer, supplier))  # the network sorts its links
        for got, expected in zip(built, (supplier, buyer, flow), strict=True):
            assert np.array_equal(got[order], expected[want])  # bit for bit


def test_firms_per_cell_by_sector():
    scenario = load_scenario("tiny", {"network.firms_per_cell": 2, "network.sectors": {"chips": 5},
                                      "network.cells": {"MY.chips": 7}})
    counts = scenario.firms_in_cell().reshape(3, 3)  # economies x sectors
    output = scenario.gross_output().reshape(3, 3) > 0
    assert np.all(counts[output[:, 1], 1][[0, 1]] == 5) and counts[2, 1] == 7  # MY.chips named: the cell wins
    assert np.all(counts[:, [0, 2]][output[:, [0, 2]]] == 2)
    with pytest.raises(Exception, match=r"network\.sectors\.chip.*did you mean 'chips'"):
        load_scenario("tiny", {"network.sectors": {"chip": 5}})
