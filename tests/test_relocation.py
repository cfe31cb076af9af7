"""Friend-shoring: a persistent tariff wedge moves a multinational's capacity after its lag."""

import numpy as np
import pytest

import sim
from sim.policies import RelocationRule

PLAN = {"sector": "chips", "from_economy": "CN", "to_economy": "MY", "wedge_threshold": 0.1,
        "persistence_days": 10, "lag_days": 20, "ramp_days": 10, "share": 0.5, "cost_share": 0.2}


def run(tariffs, steps=70):
    scenario = sim.load_scenario("tiny", overrides={
        "tariffs.applied": tariffs,
        "multinationals": [{"name": "USChipCo", "home": "US", "relocations": [PLAN],
                            "plants": [{"cell": "CN.chips", "share": 0.6}, {"cell": "MY.chips", "share": 0.6}]}],
    })
    model = sim.SupplyChainModel(scenario, rng=2)
    capacity = []
    for _ in range(steps):
        model.step()
        capacity.append(model.policy.capacity * model.engine.structure.capacity0)
    return model, np.array(capacity)


def test_persistent_wedge_moves_capacity_after_the_lag():
    model, capacity = run([{"importer": "US", "exporters": ["CN"], "sectors": ["chips"], "rate": 0.3}])
    plan = model.multinationals["USChipCo"].rules_of(RelocationRule)[0]
    source, target = capacity[:, plan.from_plants].sum(axis=1), capacity[:, plan.to_plants].sum(axis=1)
    decided = plan.decided_at
    assert decided == 11  # the wedge is seen from step 1 and must last more than 10 steps
    assert np.all(source[: decided + 20] == source[0]) and np.all(target[: decided + 20] == target[0])
    assert source[-1] == pytest.approx(0.5 * source[0])  # half of the CN plants' capacity left
    moved = 0.5 * source[0]
    assert target[-1] == pytest.approx(target[0] + 0.8 * moved)  # arrived less the 20% cost
    total = capacity.sum(axis=1)
    assert total[-1] == pytest.approx(total[0] - 0.2 * moved)  # conserved but for the stated cost
    assert np.all(np.diff(source) <= 1e-12) and np.all(np.diff(target) >= -1e-12)  # a ramp, not a jump back
    others = np.setdiff1d(np.arange(model.network.n_firms), np.concatenate((plan.from_plants, plan.to_plants)))
    assert np.array_equal(capacity[-1, others], capacity[0, others])
    actions = list(model.results().events.query("rule == 'relocation'")["action"])
    assert actions == ["decide relocation", "relocation complete"]


def test_short_lived_wedge_moves_nothing():
    model, capacity = run([{"importer": "US", "exporters": ["CN"], "sectors": ["chips"], "rate": 0.3,
                            "end_day": 8}])
    assert model.multinationals["USChipCo"].rules_of(RelocationRule)[0].decided_at is None
    assert np.array_equal(capacity[-1], capacity[0])


def test_relocation_needs_plants_in_both_cells():
    with pytest.raises(sim.ScenarioError, match=r"relocations\[0\].to_economy.*has no plants in MY.chips"):
        sim.load_scenario("tiny", overrides={"multinationals": [{
            "name": "X", "home": "US", "plants": [{"cell": "CN.chips", "share": 0.5}], "relocations": [PLAN]}]})


@pytest.mark.parametrize("sourcing_sigma", [0.5, None])
def test_multinational_keeps_sourcing_from_its_own_plants(sourcing_sigma):
    """Under a tariff on its plants' exports home, intra-firm links lose less share than arm's-length ones."""
    scenario = sim.load_scenario("tiny", overrides={
        "engine.spare_capacity": 3.0, "network.sourcing": "homogeneous",  # buyers alike but for ownership
        "tariffs.applied": [{"importer": "US", "exporters": ["MY"], "sectors": ["chips"], "rate": 0.3}],
        "multinationals": [{"name": "USChipCo", "home": "US", "sourcing_sigma": sourcing_sigma,
                            "plants": [{"cell": "MY.chips", "share": 0.5}, {"cell": "US.electronics", "share": 0.5}]}],
    })
    model = sim.SupplyChainModel(scenario, rng=8)
    model.run(300)
    net, st = model.network, model.engine.structure
    owner = net.firm_owner
    buyer_owner = np.where(net.link_is_final, -1, owner[np.minimum(net.link_buyer, net.n_firms - 1)])
    my_chips = net.firm_cell[net.link_supplier] == 2 * 3 + 1
    into_us = net.link_buyer_economy == 0
    intra = my_chips & into_us & (owner[net.link_supplier] == 0) & (buyer_owner == 0)
    arms_length = my_chips & into_us & (owner[net.link_supplier] < 0)
    assert intra.any() and arms_length.any()
    n = net.n_links  # the build's links (supplier search adds links after them and may zero a dropped one's weight)
    kept = model.engine.state.share[:n] / (st.flow0 / st.slot_flow0[st.slot])[:n]
    if sourcing_sigma is None:  # no preference: both kinds of link move alike
        assert kept[intra].mean() == pytest.approx(kept[arms_length].mean(), rel=0.02)
    else:
        assert kept[intra].mean() > kept[arms_length].mean() + 0.2
