"""The vectorised step of MODEL.md section 3 on struct-of-arrays state.

`Structure` holds what never changes during a run (indices, baseline flows, coefficients);
`State` holds what does (prices, order shares, inventories, orders, goods in transit).
`Engine.step(policy)` runs one step as a fixed sequence of array passes (gathers by supplier or
buyer, segment sums over input slots, bincounts over firms): prices with tariff pass-through, CES
substitution of order shares, Leontief production under capacity and inventories, proportional
rationing of output over orders, transit with lead times, inventory use, and inventory-restoring
orders. No Python loop runs over firms or links.

Words used below: a *slot* is one buyer's input of one sector (all its suppliers of that sector);
final demand of an economy for a sector is a slot too, with no inventory. Quantities are per step
at baseline prices, so the baseline price of everything is 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.engine.licensing import LicensingQueue
from sim.engine.pipeline import TransitPipeline
from sim.network.graph import SupplyNetwork
from sim.scenario import Scenario


@dataclass(frozen=True)
class EngineParams:
    """Behavioural parameters in steps (converted from the scenario's days)."""

    restoration_steps: float
    price_adjustment_steps: float
    switching_steps: float
    demand_smoothing_steps: float
    pass_through: float
    spare_capacity: float
    sector_sigma: np.ndarray  # [sectors]
    sector_essential: np.ndarray  # [sectors] bool
    sector_inventory_steps: np.ndarray  # [sectors]
    sector_final_elasticity: np.ndarray  # [sectors]
    multinational_sigma: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [multinationals], nan = sector's

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> EngineParams:
        e, sectors = scenario.engine, scenario.sectors
        return cls(
            restoration_steps=max(1.0, scenario.steps(e.restoration_days)),
            price_adjustment_steps=max(1.0, scenario.steps(e.price_adjustment_days)),
            switching_steps=max(1.0, scenario.steps(e.switching_days)),
            demand_smoothing_steps=max(1.0, scenario.steps(e.demand_smoothing_days)),
            pass_through=e.pass_through,
            spare_capacity=e.spare_capacity,
            sector_sigma=np.array([s.armington_sigma for s in sectors]),
            sector_essential=np.array([s.essential for s in sectors]),
            sector_inventory_steps=np.array([scenario.steps(s.inventory_days) for s in sectors]),
            sector_final_elasticity=np.array([s.final_demand_elasticity for s in sectors]),
            multinational_sigma=np.array(
                [np.nan if m.sourcing_sigma is None else m.sourcing_sigma for m in scenario.multinationals], dtype=float
            ),
        )


@dataclass
class Policy:
    """This step's policy tensors, set by governments and shocks before the engine runs.

    tariff[importer, exporter, sector] and export_block[exporter, importer, sector] are shares;
    licensing_share[exporter, importer, sector] is the share of shipments held for a licence for
    licensing_steps[...] steps; capacity[firm] is the share of baseline capacity available.
    """

    tariff: np.ndarray
    export_block: np.ndarray
    capacity: np.ndarray
    licensing_share: np.ndarray | None = None
    licensing_steps: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.licensing_share is None:
            self.licensing_share = np.zeros_like(self.export_block)
        if self.licensing_steps is None:
            self.licensing_steps = np.zeros(self.export_block.shape, dtype=np.int64)

    @classmethod
    def neutral(cls, n_economies: int, n_sectors: int, n_firms: int) -> Policy:
        shape = (n_economies, n_economies, n_sectors)
        return cls(np.zeros(shape), np.zeros(shape), np.ones(n_firms))


class Structure:
    """Static arrays derived from the network: indices, baseline flows and coefficients."""

    def __init__(self, network: SupplyNetwork, params: EngineParams, baseline_tariff: np.ndarray):
        n_firms, n_econ, n_sec = network.n_firms, network.n_economies, network.n_sectors
        self.n_firms, self.n_economies, self.n_sectors = n_firms, n_econ, n_sec
        self.supplier = network.link_supplier.astype(np.intp)
        buyer = network.link_buyer.astype(np.intp)
        self.flow0 = network.link_flow.astype(np.float64)
        self.lead = network.link_lead_steps.astype(np.float64)
        self.n_links = len(self.supplier)

        supplier_sector = network.firm_sector[self.supplier]
        supplier_economy = network.firm_economy[self.supplier]
        buyer_economy = network.link_buyer_economy
        self.tariff_index = ((buyer_economy * n_econ + supplier_economy) * n_sec + supplier_sector).astype(np.intp)
        self.block_index = ((supplier_economy * n_econ + buyer_economy) * n_sec + supplier_sector).astype(np.intp)
        # CES weights factor as (price ** -sigma) per firm times (tariff wedge ** -sigma) per route,
        # so the costly power runs over firms and routes, never over links
        self.firm_sigma = params.sector_sigma[network.firm_sector]
        self.route_sigma = np.tile(params.sector_sigma, n_econ * n_econ)
        self.route_tariff0 = baseline_tariff.ravel().copy()  # [importer, exporter, sector] flattened
        self.route_tariff_base = 1.0 + params.pass_through * self.route_tariff0
        self.tariff0 = baseline_tariff.ravel()[self.tariff_index]
        # intra-firm links (plant to plant of one multinational) may substitute with the
        # multinational's own, usually lower, elasticity: it keeps sourcing from its own plants
        owner = network.firm_owner.astype(np.intp)
        buyer_owner = np.where(buyer < n_firms, owner[np.minimum(buyer, n_firms - 1)], -1)
        supplier_owner = owner[self.supplier]
        own_sigma = np.append(params.multinational_sigma, np.nan)[supplier_owner]  # owner -1 -> nan
        intra = (supplier_owner >= 0) & (supplier_owner == buyer_owner) & ~np.isnan(own_sigma)
        self.intra_links = np.flatnonzero(intra)
        self.intra_sigma = own_sigma[self.intra_links]

        # slots: links are in canonical order (buyer, supplier sector), so a slot is a contiguous run
        slot_key = buyer * n_sec + supplier_sector
        new_slot = np.ones(self.n_links, dtype=bool)
        new_slot[1:] = slot_key[1:] != slot_key[:-1]
        self.slot_start = np.flatnonzero(new_slot)
        self.slot = (np.cumsum(new_slot) - 1).astype(np.intp)
        self.n_slots = len(self.slot_start)
        self.slot_buyer = buyer[self.slot_start]
        self.slot_sector = supplier_sector[self.slot_start]
        self.slot_is_final = self.slot_buyer >= n_firms
        self.n_firm_slots = int(np.count_nonzero(~self.slot_is_final))
        # firm slots come first (buyer ids of firms are below those of final demand)
        self.slot_firm = self.slot_buyer[: self.n_firm_slots]
        self.slot_flow0 = self.segment_sum(self.flow0)
        # most slots buy from suppliers with one lead time: their share-weighted lead time is that
        # lead time, so only slots mixing lead times need a sum over their links each step
        lead_low = np.minimum.reduceat(self.lead, self.slot_start)
        mixed = lead_low != np.maximum.reduceat(self.lead, self.slot_start)
        self.slot_lead_uniform = np.where(mixed, 0.0, lead_low)
        self.mixed_slots = np.flatnonzero(mixed)
        self.mixed_links = np.flatnonzero(mixed[self.slot])
        self.mixed_link_slot = np.searchsorted(self.mixed_slots, self.slot[self.mixed_links])
        self.w0 = self.flow0 / self.slot_flow0[self.slot]

        self.output0 = np.bincount(self.supplier, self.flow0, n_firms)
        self.capacity0 = self.output0 * (1.0 + params.spare_capacity)
        firm_slot_flow = self.slot_flow0[: self.n_firm_slots]
        self.coef = firm_slot_flow / self.output0[self.slot_firm]  # a[s, firm]
        self.value_added = np.maximum(0.0, 1.0 - np.bincount(self.slot_firm, self.coef, n_firms))
        self.essential = params.sector_essential[self.slot_sector[: self.n_firm_slots]]
        self.inventory_steps = params.sector_inventory_steps[self.slot_sector[: self.n_firm_slots]]
        self.inventory0 = firm_slot_flow * self.inventory_steps
        final_sector = self.slot_sector[self.n_firm_slots :]
        self.final_elasticity = params.sector_final_elasticity[final_sector]
        # firms with input slots, and where each firm's run of slots starts (for min-reductions)
        firm_has_slot = np.ones(self.n_firm_slots, dtype=bool)
        firm_has_slot[1:] = self.slot_firm[1:] != self.slot_firm[:-1]
        self.firm_slot_start = np.flatnonzero(firm_has_slot)
        self.firms_with_inputs = self.slot_firm[self.firm_slot_start]

    def segment_sum(self, link_values: np.ndarray) -> np.ndarray:
        """Sum link values over each slot (bincount beats reduceat on runs of a few links)."""
        return np.bincount(self.slot, link_values, self.n_slots)


@dataclass
class State:
    """Everything that changes during a run."""

    price: np.ndarray  # [firms]
    expected_demand: np.ndarray  # [firms]
    share: np.ndarray  # [links] order share within the slot
    fill_rate: np.ndarray  # [links] smoothed share of orders delivered
    orders: np.ndarray  # [links] orders placed last step, filled this step
    slot_orders: np.ndarray  # [slots] the same, per buyer and input sector
    inventory: np.ndarray  # [firm slots]
    in_transit: np.ndarray  # [slots]
    pipeline: TransitPipeline
    licensing: LicensingQueue
    step: int = 0

    def copy(self) -> State:
        arrays = {k: v.copy() for k, v in self.__dict__.items() if isinstance(v, np.ndarray)}
        return State(**arrays, pipeline=self.pipeline.copy(), licensing=self.licensing.copy(), step=self.step)

    def in_transit_by_link(self) -> np.ndarray:
        """Goods sent and not yet arrived, per link: in the pipeline or waiting for a licence."""
        return self.pipeline.in_transit() + self.licensing.waiting()


@dataclass
class StepFlows:
    """What moved in one step, for metrics and the conservation ledger."""

    output: np.ndarray  # [firms] produced
    demand: np.ndarray  # [firms] deliverable orders received
    shipped: np.ndarray  # [links] sent this step
    arrived: np.ndarray  # [links] arrived this step
    used: np.ndarray  # [firm slots] inputs used
    ordered: np.ndarray  # [links] orders that were filled this step (placed last step)
    ordered_slot: np.ndarray  # [slots] the same, per buyer and input sector
    shipped_slot: np.ndarray  # [slots] shipped this step, per buyer and input sector
    landed: np.ndarray  # [links] landed price factor (price x tariff wedge)
    tariff_rate: np.ndarray  # [links] ad-valorem tariff applied
    blocked: np.ndarray  # [links] share blocked by export controls


class Engine:
    """Runs the step on arrays; `state` is the live state, `structure` the static arrays."""

    def __init__(self, network: SupplyNetwork, params: EngineParams, baseline_tariff: np.ndarray):
        self.params = params
        self.structure = Structure(network, params, baseline_tariff)
        self.state = self.baseline_state()
        self._policy_key: tuple[bytes, ...] | None = None

    def baseline_state(self) -> State:
        """The calibrated steady state: prices 1, inventories at target, pipelines full."""
        st = self.structure
        return State(
            price=np.ones(st.n_firms),
            expected_demand=st.output0.copy(),
            share=st.w0.copy(),
            fill_rate=np.ones(st.n_links),
            orders=st.flow0.copy(),
            slot_orders=st.slot_flow0.copy(),
            inventory=st.inventory0.copy(),
            in_transit=st.segment_sum(st.flow0 * st.lead),
            pipeline=TransitPipeline(st.lead.astype(np.int64), st.flow0),
            licensing=LicensingQueue(st.n_links),
        )

    def _route_factors(self, policy: Policy) -> None:
        """Per-link tariff factors, recomputed only when the policy tensors change."""
        key = (policy.tariff.tobytes(), policy.export_block.tobytes(), policy.licensing_share.tobytes(),
               policy.licensing_steps.tobytes())
        if key == self._policy_key:
            return
        st, p = self.structure, self.params
        route_tariff = policy.tariff.ravel()
        route_wedge = (1.0 + p.pass_through * route_tariff) / st.route_tariff_base
        self.link_wedge = route_wedge[st.tariff_index]
        # CES appeal of a link = w0 * (price ** -sigma)[supplier] * (wedge ** -sigma)[route]
        self.link_route_appeal = st.w0 * np.power(route_wedge, -st.route_sigma)[st.tariff_index]
        self.link_tariff = route_tariff[st.tariff_index]
        self.link_blocked = policy.export_block.ravel()[st.block_index]
        self.link_open = 1.0 - self.link_blocked
        licensed = policy.licensing_share.ravel()[st.block_index]
        self.licensed_links = np.flatnonzero(licensed)
        self.licensed_share = licensed[self.licensed_links]
        self.licensed_steps = np.maximum(1, policy.licensing_steps.ravel()[st.block_index[self.licensed_links]])
        self._policy_key = key

    def step(self, policy: Policy) -> StepFlows:
        st, p, s = self.structure, self.params, self.state
        n_fs, supplier, seg = st.n_firm_slots, st.supplier, st.segment_sum
        self._route_factors(policy)

        # 2. prices: landed price of each link and firms' move toward unit cost
        landed = s.price[supplier]
        landed *= self.link_wedge
        slot_price = seg(s.share * landed)
        unit_cost = st.value_added + np.bincount(st.slot_firm, st.coef * slot_price[:n_fs], st.n_firms)
        s.price += (unit_cost - s.price) / p.price_adjustment_steps

        # 3. substitution: order shares move toward the CES target, scaled by delivery reliability
        target = np.power(s.price, -st.firm_sigma)[supplier]
        target *= self.link_route_appeal
        if len(st.intra_links):
            intra = st.intra_links
            intra_landed = s.price[supplier[intra]] * self.link_wedge[intra]  # at this step's prices
            target[intra] = st.w0[intra] * np.power(intra_landed, -st.intra_sigma)
        target *= s.fill_rate
        total = seg(target)
        positive = total > 0
        target *= np.divide(1.0, total, out=np.zeros_like(total), where=positive)[st.slot]
        if not positive.all():  # no supplier of the slot can deliver: keep the shares as they are
            stuck = ~positive[st.slot]
            target[stuck] = s.share[stuck]
        target -= s.share
        target /= p.switching_steps
        s.share += target

        # 4. production: Leontief under capacity, essential inventories and deliverable demand
        deliverable = s.orders * self.link_open
        demand = np.bincount(supplier, deliverable, st.n_firms)
        capacity = st.capacity0 * policy.capacity
        coverage = np.where(st.essential, s.inventory / st.coef, np.inf)
        input_bound = np.full(st.n_firms, np.inf)
        if n_fs:
            input_bound[st.firms_with_inputs] = np.minimum.reduceat(coverage, st.firm_slot_start)
        output = np.minimum(np.minimum(capacity, input_bound), demand)

        # 5. delivery: proportional rationing over orders; shipments enter transit
        served = np.divide(output, demand, out=np.zeros(st.n_firms), where=demand > 0)[supplier]
        shipped = deliverable * served
        fill_change = self.link_open * served
        fill_change -= s.fill_rate
        fill_change /= p.demand_smoothing_steps
        np.copyto(fill_change, 0.0, where=s.orders <= 0)
        s.fill_rate += fill_change
        into_transit = shipped
        if len(self.licensed_links):  # held for a licence, released into transit after the lag
            held = shipped[self.licensed_links] * self.licensed_share
            s.licensing.hold(s.step, self.licensed_links, held, self.licensed_steps)
            into_transit = shipped.copy()
            into_transit[self.licensed_links] -= held
        if s.licensing.batches:
            into_transit = into_transit + s.licensing.release(s.step)
        arrived = s.pipeline.advance(into_transit)
        arrived_slot = seg(arrived)
        shipped_slot = seg(shipped)
        s.in_transit += shipped_slot
        s.in_transit -= arrived_slot

        # 6. inventories: arrivals in, inputs used out (never below zero)
        used = np.minimum(st.coef * output[st.slot_firm], s.inventory)
        s.inventory += arrived_slot[:n_fs] - used

        # 7. orders: expected need plus closing the inventory-and-pipeline gap; final demand by price
        s.expected_demand += (demand - s.expected_demand) / p.demand_smoothing_steps
        planned = np.minimum(s.expected_demand, capacity)
        need = st.coef * planned[st.slot_firm]
        slot_lead = st.slot_lead_uniform.copy()
        if len(st.mixed_slots):
            mixed = st.mixed_links
            slot_lead[st.mixed_slots] = np.bincount(st.mixed_link_slot, s.share[mixed] * st.lead[mixed],
                                                    len(st.mixed_slots))
        gap = need * (st.inventory_steps + slot_lead[:n_fs]) - s.inventory - s.in_transit[:n_fs]
        firm_order = np.maximum(0.0, need + gap / p.restoration_steps)
        final_order = st.slot_flow0[n_fs:] * np.power(slot_price[n_fs:], -st.final_elasticity)
        ordered, ordered_slot = s.orders, s.slot_orders
        s.slot_orders = np.concatenate((firm_order, final_order))
        s.orders = s.slot_orders[st.slot]
        s.orders *= s.share
        s.step += 1
        return StepFlows(
            output=output,
            demand=demand,
            shipped=shipped,
            arrived=arrived,
            used=used,
            ordered=ordered,
            ordered_slot=ordered_slot,
            shipped_slot=shipped_slot,
            landed=landed,
            tariff_rate=self.link_tariff,
            blocked=self.link_blocked,
        )
