"""The vectorised step of docs/model.md, 'One step' on struct-of-arrays state.

`Structure` holds what never changes during a run (indices, baseline flows, coefficients);
`State` holds what does (prices, order shares, inventories, orders, goods in transit).
`Engine.step(policy)` runs one step as a fixed sequence of passes: prices with tariff pass-through,
CES substitution of order shares, Leontief production under capacity and inventories, proportional
rationing of output over orders (each link's order within its qualified volume), transit with lead
times, inventory use, and orders that close the inventory gap by the scenario's order rule
(`ORDER_RULES`). The passes over links are compiled sweeps (`sim.engine.kernels`): three per step, each
reading a link's arrays once, with tariff wedges, export controls and CES route factors looked up
per route (importer, exporter, sector) rather than stored per link, narrow unsigned indices, and
link buffers reused from step to step. No Python loop runs over firms or links.

Words used below: a *slot* is one buyer's input of one sector (all its suppliers of that sector);
final demand of an economy for a sector is a slot too, with no inventory. Quantities are per step
at baseline prices, so the baseline price of everything is 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.engine import kernels
from sim.engine.groups import TradeGroups, narrow_index
from sim.engine.licensing import LicensingQueue
from sim.engine.pipeline import TransitPipeline
from sim.engine.search import LinkChanges, revise
from sim.network.graph import SupplyNetwork
from sim.scenario import Scenario

ORDER_RULES = ("ario", "signed_gap", "supply_line")  # `engine.order_rule`; the kernels take the index
NEW_LINK_STATUS = ("qualifying", "carrying", "closed")  # a new link's life: `Engine.new_status` holds the index
SUPPLY_LINE = ORDER_RULES.index("supply_line")


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
    order_rule: int = ORDER_RULES.index("signed_gap")
    volume_flexibility: float = np.inf  # a link's orders stay within (1 + this) x its baseline flow until qualified
    sector_qualification_steps: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [sectors]
    supply_line_weight: float = 1.0
    target_smoothing_steps: float = 1.0
    search_steps: int = 0  # steps between supplier searches (0: never)
    search_threshold: float = 0.1
    search_price_rise: float = 0.2
    drop_share: float = 0.01
    transit_dtype: type | None = None  # how the pipeline holds shipments (`engine.transit_precision`; None: auto)

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
            order_rule=ORDER_RULES.index(e.order_rule),
            volume_flexibility=np.inf if e.volume_flexibility is None else e.volume_flexibility,
            sector_qualification_steps=np.array([max(1.0, scenario.steps(s.qualification_days)) for s in sectors]),
            supply_line_weight=e.supply_line_weight,
            target_smoothing_steps=max(1.0, scenario.steps(e.target_smoothing_days)),
            search_steps=0 if e.search_days is None else max(1, round(scenario.steps(e.search_days))),
            search_threshold=e.search_threshold,
            search_price_rise=e.search_price_rise,
            drop_share=e.drop_share,
            transit_dtype=None if e.transit_precision == "auto" else np.dtype(e.transit_precision).type,
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


AUTO_FLOAT32_TRANSIT_BYTES = 2**30  # `engine.transit_precision: auto`: float32 where the float64 pipeline exceeds this


def transit_dtype(params: EngineParams, structure: Structure) -> type:
    """How the pipeline holds shipments: the scenario's choice, or under `auto` float32 where the build's pipeline
    in float64 (one value per lead-time step of every link) would take more than `AUTO_FLOAT32_TRANSIT_BYTES`."""
    if params.transit_dtype is not None:
        return params.transit_dtype
    return np.float32 if 8 * int(structure.lead.sum(dtype=np.int64)) > AUTO_FLOAT32_TRANSIT_BYTES else np.float64


def relinked(values: np.ndarray, n_base: int, kept_new: np.ndarray, added: np.ndarray) -> np.ndarray:
    """A per-link array after a supplier search: the build's `n_base` entries, the new links kept, then `added`
    (cast to the array's type)."""
    return np.concatenate((values[:n_base], values[n_base:][kept_new], added.astype(values.dtype, copy=False)))


class Structure:
    """Arrays derived from the network: indices, baseline flows and coefficients, fixed during a run except where
    supplier search changes the links (`relink`: new links after the build's) and their weights (`w0`)."""

    def __init__(self, network: SupplyNetwork, params: EngineParams, baseline_tariff: np.ndarray):
        n_firms, n_econ, n_sec = network.n_firms, network.n_economies, network.n_sectors
        self.n_firms, self.n_economies, self.n_sectors = n_firms, n_econ, n_sec
        # the network's link arrays, shared (never written): 32-bit indices and lead times in whole steps
        self.supplier = network.link_supplier.astype(np.int32, copy=False)
        buyer = network.link_buyer.astype(np.int32, copy=False)
        self.flow0 = network.link_flow.astype(np.float64, copy=False)
        self.lead = network.link_lead_steps.astype(np.int32, copy=False)
        self.n_links = len(self.supplier)

        supplier_sector = network.firm_sector[self.supplier]
        supplier_economy = network.firm_economy[self.supplier]
        buyer_economy = network.link_buyer_economy
        # the route of each link: (importer, exporter, sector), the tariff tensor's order
        self.tariff_index = ((buyer_economy * n_econ + supplier_economy) * n_sec + supplier_sector).astype(np.int32)
        # CES weights factor as (price ** -sigma) per firm times (tariff wedge ** -sigma) per route,
        # so the costly power runs over firms and routes, never over links
        self.firm_sigma = params.sector_sigma[network.firm_sector]
        self.route_sigma = np.tile(params.sector_sigma, n_econ * n_econ)
        self.route_tariff0 = baseline_tariff.ravel().copy()  # [importer, exporter, sector] flattened
        self.route_tariff_base = 1.0 + params.pass_through * self.route_tariff0
        # intra-firm links (plant to plant of one multinational) may substitute with the
        # multinational's own, usually lower, elasticity: it keeps sourcing from its own plants
        owner = network.firm_owner.astype(np.intp)
        buyer_owner = np.where(buyer < n_firms, owner[np.minimum(buyer, n_firms - 1)], -1)
        supplier_owner = owner[self.supplier]
        own_sigma = np.append(params.multinational_sigma, np.nan)[supplier_owner]  # owner -1 -> nan
        intra = (supplier_owner >= 0) & (supplier_owner == buyer_owner) & ~np.isnan(own_sigma)
        self.intra_links = np.flatnonzero(intra)
        self.intra_sigma = own_sigma[self.intra_links]
        # a firm-to-firm link carries up to (1 + volume_flexibility) x its baseline flow until its buyer has
        # wanted more for the supplier sector's qualification time; final demand and a multinational's own
        # plants need no qualification
        own_plant = (supplier_owner >= 0) & (supplier_owner == buyer_owner)
        qualifying = (buyer < n_firms) & ~own_plant
        self.limited = qualifying & np.isfinite(params.volume_flexibility)  # [links] see `limit0`
        self.volume_flexibility = params.volume_flexibility
        given = params.sector_qualification_steps
        self.sector_qualification = given if len(given) else np.ones(n_sec)  # [sectors] steps to qualify
        self.route_qualification = np.tile(self.sector_qualification, n_econ * n_econ)  # [route], as route_sigma

        # slots: links are in canonical order (buyer, supplier sector), so a slot is a contiguous run
        slot_key = buyer * n_sec + supplier_sector
        new_slot = np.ones(self.n_links, dtype=bool)
        new_slot[1:] = slot_key[1:] != slot_key[:-1]
        self.slot_start = np.flatnonzero(new_slot)
        self.slot = (np.cumsum(new_slot) - 1).astype(np.int32)
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
        self.slot_mixed = mixed
        self.w0 = self.flow0 / self.slot_flow0[self.slot]

        self.output0 = np.bincount(self.supplier, self.flow0, n_firms)
        self.capacity0 = self.output0 * (1.0 + params.spare_capacity)
        firm_slot_flow = self.slot_flow0[: self.n_firm_slots]
        self.coef = firm_slot_flow / self.output0[self.slot_firm]  # a[s, firm]
        # per unit of output at baseline prices; negative where a cell buys more than it sells (a subsidy)
        self.value_added = 1.0 - np.bincount(self.slot_firm, self.coef, n_firms)
        self.essential = params.sector_essential[self.slot_sector[: self.n_firm_slots]]
        self.inventory_steps = params.sector_inventory_steps[self.slot_sector[: self.n_firm_slots]]
        self.inventory0 = firm_slot_flow * self.inventory_steps
        final_sector = self.slot_sector[self.n_firm_slots :]
        self.final_elasticity = params.sector_final_elasticity[final_sector]
        # narrow unsigned copies of the indices the compiled passes sweep every step (unsigned:
        # the compiled code skips the negative-index check)
        n_routes = n_econ * n_econ * n_sec  # route = (importer, exporter, sector), the tariff tensor's order
        self.n_routes = n_routes
        self._narrow_indices()
        self.slot_firm_index = narrow_index(self.slot_firm, n_firms)

        # what supplier search (sim.engine.search) reads: links created during a run follow the links of the
        # build ([0, n_base_links), never moved) and carry no baseline flow, so every calibrated figure above holds
        self.n_base_links = self.n_links
        self.buyer = buyer
        self.reference_weight = self.w0.copy()  # what a link's share is judged against when dropping it
        self.own_sourcing = np.zeros(self.n_links, dtype=bool)  # a multinational's own-plant link, own elasticity:
        self.own_sourcing[self.intra_links] = True  # its price is never a reason to look elsewhere
        self.slot_end = np.append(self.slot_start[1:], self.n_links)  # slot s's links of the build: [start, end)
        self.firm_economy = network.firm_economy.astype(np.intp)
        self.firm_sector = network.firm_sector.astype(np.intp)
        self.firm_cell = network.firm_cell.astype(np.intp)
        self.cell_start = np.searchsorted(self.firm_cell, np.arange(n_econ * n_sec + 1))  # firms are in cell order
        firm_links = buyer < n_firms
        self.route_flow0 = np.bincount(self.tariff_index[firm_links], self.flow0[firm_links], n_routes)
        self.pair_lead = np.zeros((n_econ, n_econ))  # [exporter, importer] lead time of the build's links
        self.pair_lead[supplier_economy, buyer_economy] = self.lead

    def relink(self, kept_new: np.ndarray, added: dict[str, np.ndarray]) -> None:
        """Keep the build's links and the new links `kept_new` (positions among the new links) and append `added`
        (supplier, buyer, slot, route, lead), with no weight yet: the per-link arrays after a supplier search."""
        route = added["route"]
        new = {
            "supplier": added["supplier"], "buyer": added["buyer"], "flow0": np.zeros(len(route)),
            "lead": added["lead"], "tariff_index": route,
            "limited": np.zeros(len(route), dtype=bool), "slot": added["slot"],
            "w0": np.zeros(len(route)), "reference_weight": np.zeros(len(route)),
            "own_sourcing": np.zeros(len(route), dtype=bool),
        }
        for name, values in new.items():
            setattr(self, name, relinked(getattr(self, name), self.n_base_links, kept_new, values))
        self.n_links = len(self.supplier)
        self._narrow_indices()
        # a slot whose new link has another lead time sums its lead over its links from now on
        other = added["lead"] != self.slot_lead_uniform[added["slot"]]
        self.slot_mixed[added["slot"][other]] = True
        self.slot_lead_uniform[added["slot"][other]] = 0.0

    def _narrow_indices(self) -> None:
        """The narrow unsigned indices of suppliers, slots and routes (views of the 32-bit ones where as wide)."""
        self.supplier_index = narrow_index(self.supplier, self.n_firms)
        self.slot_index = narrow_index(self.slot, self.n_slots)
        self.route_index = narrow_index(self.tariff_index, self.n_routes)

    @property
    def limit0(self) -> np.ndarray:
        """[links] most a link's order may be before its buyer has qualified the supplier: (1 + volume_flexibility)
        x its baseline flow on a firm-to-firm link, else (and on links formed by search) no limit."""
        return np.where(self.limited, self.flow0 * (1.0 + min(self.volume_flexibility, 1e300)), np.inf)

    @property
    def link_scale(self) -> np.ndarray:
        """[links] a link's size for relative checks: its baseline flow, or its slot's for a link formed by search."""
        scale = self.flow0.copy()
        scale[self.n_base_links :] = self.slot_flow0[self.slot[self.n_base_links :]]
        return scale

    @property
    def tariff0(self) -> np.ndarray:
        """[links] the baseline tariff on each link's route."""
        return self.route_tariff0[self.tariff_index]

    @property
    def link_is_final(self) -> np.ndarray:
        """[links] True where the buyer is an economy's final demand."""
        return self.slot_is_final[self.slot]

    @property
    def buyer_economy(self) -> np.ndarray:
        """[links] the buyer's economy (the importer of the link's route)."""
        return self.tariff_index // (self.n_economies * self.n_sectors)

    def segment_sum(self, link_values: np.ndarray) -> np.ndarray:
        """Sum link values over each slot (bincount beats reduceat on runs of a few links)."""
        return np.bincount(self.slot, link_values, self.n_slots)


@dataclass
class State:
    """Everything that changes during a run.

    Orders per link are not stored: a link's order is its slot's order split by the order share
    (`orders`, computed when read), which spares a write and a read of a link-sized array per step.
    """

    price: np.ndarray  # [firms]
    expected_demand: np.ndarray  # [firms]
    target_output: np.ndarray  # [firms] the output stock targets are set for (supply_line: smoothed expected demand)
    share: np.ndarray  # [links] order share within the slot
    fill_rate: np.ndarray  # [links] smoothed share of orders delivered
    limit: np.ndarray  # [links] most a link's order may be (inf once the buyer has qualified the supplier)
    over_limit_steps: np.ndarray  # [links] consecutive steps the buyer wanted more than the limit
    slot_orders: np.ndarray  # [slots] orders placed last step, filled this step, per buyer and input sector
    inventory: np.ndarray  # [firm slots]
    in_transit: np.ndarray  # [slots]
    pipeline: TransitPipeline  # the build's links
    licensing: LicensingQueue
    link_slot: np.ndarray  # [links] slot of each link (shared with the structure)
    new_pipeline: TransitPipeline = field(  # links formed by supplier search, after the build's
        default_factory=lambda: TransitPipeline(np.zeros(0, dtype=np.int64), np.zeros(0)))
    step: int = 0

    @property
    def orders(self) -> np.ndarray:
        """[links] orders placed last step, filled this step: slot_orders[slot] * share, within the link's limit."""
        return np.minimum(self.slot_orders[self.link_slot] * self.share, self.limit)

    def copy(self) -> State:
        arrays = {k: v.copy() for k, v in self.__dict__.items() if isinstance(v, np.ndarray) and k != "link_slot"}
        return State(**arrays, pipeline=self.pipeline.copy(), licensing=self.licensing.copy(),
                     link_slot=self.link_slot, new_pipeline=self.new_pipeline.copy(), step=self.step)

    @property
    def transit_exact(self) -> bool:
        """Whether goods in transit are held in float64 (else float32, `engine.transit_precision`)."""
        return self.pipeline.buffer.dtype == np.float64

    def in_transit_by_link(self) -> np.ndarray:
        """Goods sent and not yet arrived, per link: in the pipelines or waiting for a licence."""
        piped = self.pipeline.in_transit()
        if self.new_pipeline.n_links:
            piped = np.concatenate((piped, self.new_pipeline.in_transit()))
        return piped + self.licensing.waiting()


@dataclass
class StepFlows:
    """What moved in one step, for metrics and the conservation ledger.

    The per-link arrays live in buffers the engine reuses: they hold this step's values until the
    next step runs (copy them to keep them longer).
    """

    output: np.ndarray  # [firms] produced
    demand: np.ndarray  # [firms] deliverable orders received
    shipped: np.ndarray  # [links] sent this step
    arrived: np.ndarray  # [links] arrived this step
    used: np.ndarray  # [firm slots] inputs used
    ordered_slot: np.ndarray  # [slots] orders that were filled this step (placed last step), per buyer and input sector
    shipped_slot: np.ndarray  # [slots] shipped this step, per buyer and input sector
    landed: np.ndarray  # [links] landed price factor (price x tariff wedge)
    route_tariff: np.ndarray  # [routes] ad-valorem tariff applied, by route (the tariff tensor's order)
    route_blocked: np.ndarray  # [routes] share blocked by export controls, by route
    link_route: np.ndarray  # [links] the route of each link
    arrived_group: np.ndarray | None = None  # [trade groups] arrivals summed by `Engine.groups`
    duty_group: np.ndarray | None = None  # [trade groups] duties on the step's shipments (shipped x price x tariff)
    owner_duty: np.ndarray | None = None  # [multinationals] the duties each pays (`TradeGroups.owner`)
    ordered_links: np.ndarray | None = None  # [links] `ordered`, if given as an array
    ordered_share: np.ndarray | None = None  # [links] else the order shares the orders were placed with
    limit: np.ndarray | None = None  # [links] and the links' order limits after this step ...
    qualified: np.ndarray | None = None  # ... less the links qualified in this step (their limit was `qualified_from`)
    qualified_from: np.ndarray | None = None
    link_slot: np.ndarray | None = None  # [links] and the slot of each link

    @property
    def tariff_rate(self) -> np.ndarray:
        """[links] ad-valorem tariff applied."""
        return self.route_tariff[self.link_route]

    @property
    def blocked(self) -> np.ndarray:
        """[links] share blocked by export controls."""
        return self.route_blocked[self.link_route]

    @property
    def ordered(self) -> np.ndarray:
        """[links] orders that were filled this step (placed last step): the slot's order times the share."""
        if self.ordered_links is not None:
            return self.ordered_links
        wanted = self.ordered_slot[self.link_slot] * self.ordered_share
        if self.limit is None:
            return wanted
        limit = self.limit
        if self.qualified is not None and len(self.qualified):
            limit = limit.copy()
            limit[self.qualified] = self.qualified_from
        return np.minimum(wanted, limit)


class Engine:
    """Runs the step on arrays; `state` is the live state, `structure` the static arrays."""

    def __init__(self, network: SupplyNetwork, params: EngineParams, baseline_tariff: np.ndarray):
        self.params = params
        self.structure = Structure(network, params, baseline_tariff)
        self.transit_dtype = transit_dtype(params, self.structure)
        self.state = self.baseline_state()
        self._policy_key: tuple[bytes, ...] | None = None
        self.policy_changed = True  # whether the last step's policy tensors differed from the step's before
        n_links = self.structure.n_links
        # reused link buffers (landed, shipped, arrived), rewritten every step; order shares alternate with a
        # spare (last step's shares are kept for `StepFlows.ordered`)
        self._link_buffers = tuple(np.empty(n_links) for _ in range(3))
        self._link_buffers[0][:] = 1.0  # landed prices before the first step: the baseline's
        self._spare_share = np.empty(n_links)
        self._target = np.empty(n_links)
        self._qualified = np.empty(n_links, dtype=np.int32)  # links qualified in a step (written only then)
        self._qualified_from = np.empty(n_links)
        # arrivals and duties are summed by trade group every step, duties also by the multinational paying them
        homes = [network.economies.index(home) for home in network.multinational_home]
        self.groups = TradeGroups(self.structure, network.firm_owner, homes)
        # supplier search (sim.engine.search): the lead-time group of every link in the build's pipeline, the
        # last step's landed prices, capacity, output and CES targets, and per new link its id, the step its
        # qualification ends, the share of its slot's orders it was offered and its status (NEW_LINK_STATUS)
        self.link_lead_group = self.state.pipeline.group
        self.landed = self._link_buffers[0]
        self.capacity, self.output = self.structure.capacity0.copy(), self.structure.output0.copy()
        self._inverse_total = np.zeros(self.structure.n_slots)
        self.new_id = np.zeros(0, dtype=np.int64)
        self.new_ready = np.zeros(0, dtype=np.int64)
        self.new_offer = np.zeros(0)
        self.new_status = np.zeros(0, dtype=np.int8)
        self.n_formed = 0
        self.next_search = np.zeros(self.structure.n_firm_slots, dtype=np.int64)

    def search_due(self) -> bool:
        """Whether a supplier search runs before the next step (every `search_steps`, from the first one on)."""
        n = self.params.search_steps
        return n > 0 and self.state.step > 0 and self.state.step % n == 0

    def revise_suppliers(self) -> LinkChanges:
        """One supplier search between steps (`sim.engine.search.revise`)."""
        return revise(self)

    def relink(self, kept_new: np.ndarray, formed: dict[str, np.ndarray]) -> None:
        """Renumber the links: keep the build's and the new links `kept_new`, and append `formed` (supplier,
        buyer, slot, route, lead, and per link its id, the step `ready` its qualification ends and the share
        of its slot's orders it was `offer`ed), qualifying, with nothing in transit and no share or weight."""
        st, s = self.structure, self.state
        n0, n_old = st.n_base_links, st.n_links
        n_new = len(formed["slot"])
        kept_groups, kept_owners = self.groups.link[n0:][kept_new], self.groups.owner[n0:][kept_new]
        for name, key in (("new_id", "id"), ("new_ready", "ready"), ("new_offer", "offer")):
            setattr(self, name, np.concatenate((getattr(self, name)[kept_new], formed[key])))
        self.new_status = np.concatenate((self.new_status[kept_new], np.zeros(n_new, dtype=np.int8)))
        st.relink(kept_new, formed)
        for name, fill in (("share", 0.0), ("fill_rate", 1.0), ("limit", np.inf), ("over_limit_steps", 0)):
            setattr(s, name, relinked(getattr(s, name), n0, kept_new, np.full(n_new, fill)))
        s.link_slot = st.slot
        s.new_pipeline = s.new_pipeline.relinked(kept_new, formed["lead"])
        new_index = np.full(n_old, -1, dtype=np.int64)
        new_index[:n0] = np.arange(n0)
        new_index[n0 + kept_new] = n0 + np.arange(len(kept_new))
        s.licensing = s.licensing.relinked(new_index, st.n_links)
        pipe = s.pipeline
        new_group = np.searchsorted(pipe.leads, s.new_pipeline.link_leads()).astype(pipe.group.dtype)
        self.link_lead_group = np.concatenate((pipe.group, new_group))
        self.landed = relinked(self.landed, n0, kept_new, np.ones(n_new))
        self._target = relinked(self._target, n0, kept_new, np.zeros(n_new))
        n_links = st.n_links
        self._link_buffers = tuple(np.empty(n_links) for _ in range(3))
        self._spare_share = np.empty(n_links)
        self._qualified = np.empty(n_links, dtype=np.int32)
        self._qualified_from = np.empty(n_links)
        self._policy_key = None  # per-link tariff and block shares are looked up again
        added = np.arange(n0 + len(kept_new), st.n_links)
        groups = self.groups
        groups.relink(np.concatenate((groups.link[:n0], kept_groups, groups.groups_of(st, added))),
                      np.concatenate((groups.owner[:n0], kept_owners, groups.owners_of(st, added))))

    def baseline_state(self) -> State:
        """The calibrated steady state: prices 1, inventories at target, pipelines full."""
        st = self.structure
        return State(
            price=np.ones(st.n_firms),
            expected_demand=st.output0.copy(),
            target_output=st.output0.copy(),
            share=st.w0.copy(),
            fill_rate=np.ones(st.n_links),
            limit=st.limit0.copy(),
            over_limit_steps=np.zeros(st.n_links, dtype=np.int32),
            slot_orders=st.slot_flow0.copy(),
            inventory=st.inventory0.copy(),
            in_transit=st.segment_sum(st.flow0 * st.lead),
            pipeline=TransitPipeline(st.lead.astype(np.int64), st.flow0, self.transit_dtype),
            licensing=LicensingQueue(st.n_links),
            link_slot=st.slot,
            new_pipeline=TransitPipeline(np.zeros(0, dtype=np.int64), np.zeros(0), self.transit_dtype),
        )

    def _route_factors(self, policy: Policy) -> None:
        """Route factors (tariff wedge, CES appeal, openness) and the per-link tariff and blocked
        shares reported in `StepFlows`, recomputed only when the policy tensors change."""
        key = (policy.tariff.tobytes(), policy.export_block.tobytes(), policy.licensing_share.tobytes(),
               policy.licensing_steps.tobytes())
        self.policy_changed = key != self._policy_key
        if not self.policy_changed:
            return
        st, p = self.structure, self.params
        route_tariff = policy.tariff.ravel()
        self.route_wedge = (1.0 + p.pass_through * route_tariff) / st.route_tariff_base
        # CES appeal of a link = w0 * (price ** -sigma)[supplier] * (wedge ** -sigma)[route]
        self.route_appeal = np.power(self.route_wedge, -st.route_sigma)
        # export controls are [exporter, importer, sector]: transpose to the tariff tensor's route order
        self.route_blocked = policy.export_block.transpose(1, 0, 2).ravel()
        self.route_open = 1.0 - self.route_blocked
        self.route_tariff = route_tariff.copy()  # the policy's tensor may change in place later
        licensed = policy.licensing_share.transpose(1, 0, 2).ravel()[st.tariff_index]
        self.licensed_links = np.flatnonzero(licensed)
        self.licensed_share = licensed[self.licensed_links]
        steps = policy.licensing_steps.transpose(1, 0, 2).ravel()
        self.licensed_steps = np.maximum(1, steps[st.tariff_index[self.licensed_links]])
        self._policy_key = key

    def step(self, policy: Policy) -> StepFlows:
        st, p, s = self.structure, self.params, self.state
        n_fs, supplier, slot, route = st.n_firm_slots, st.supplier_index, st.slot_index, st.route_index
        self._route_factors(policy)
        landed, shipped, arrived = self._link_buffers

        # 2. prices: landed price of each link and firms' move toward unit cost (with the
        # deliverable orders each supplier received, read from last step's orders in the same sweep)
        slot_price, demand, firm_appeal = np.empty(st.n_slots), np.empty(st.n_firms), np.empty(st.n_firms)
        kernels.prices_and_demand(
            slot=slot, supplier=supplier, route=route, price=s.price, route_wedge=self.route_wedge, share=s.share,
            slot_orders=s.slot_orders, limit=s.limit, route_open=self.route_open, landed=landed,
            slot_price=slot_price, demand=demand)
        kernels.prices_toward_cost(
            slot_firm=st.slot_firm_index, coef=st.coef, slot_price=slot_price, value_added=st.value_added,
            adjustment_steps=p.price_adjustment_steps, price=s.price, input_cost=firm_appeal)
        np.power(s.price, -st.firm_sigma, out=firm_appeal)  # numpy's power is ~5x faster than the compiled one

        # 3. substitution: the CES target of order shares (firm appeal at the new prices), scaled by
        # delivery reliability (the shares move toward it in the delivery sweep, after last step's
        # orders are read)
        intra = st.intra_links
        intra_landed = s.price[st.supplier[intra]] * self.route_wedge[st.tariff_index[intra]]  # this step's prices
        intra_target = st.w0[intra] * np.power(intra_landed, -st.intra_sigma)
        inverse_total = self._inverse_total
        kernels.appeal(
            slot=slot, supplier=supplier, route=route, firm_appeal=firm_appeal, w0=st.w0,
            route_appeal=self.route_appeal, fill_rate=s.fill_rate, intra_links=intra, intra_target=intra_target,
            target=self._target, inverse_total=inverse_total)

        # 4. production: Leontief under capacity, essential inventories and deliverable demand
        capacity, output, served = np.empty(st.n_firms), np.empty(st.n_firms), np.empty(st.n_firms)
        kernels.production(
            slot_firm=st.slot_firm_index, essential=st.essential, inventory=s.inventory, coef=st.coef,
            capacity0=st.capacity0, capacity_share=policy.capacity, demand=demand, capacity=capacity, output=output,
            served=served)

        # 5. delivery: proportional rationing over orders (`served`); shipments enter transit; order shares move
        shipped_slot, arrived_slot, slot_lead = np.empty(st.n_slots), np.empty(st.n_slots), np.empty(st.n_slots)
        arrived_group, duty_group, owner_duty = np.empty(self.groups.n), np.empty(self.groups.n), np.empty(
            self.groups.n_owners)
        # in float32 transit, what holding the shipments added to them, per slot (goods in transit include it)
        rounding = np.empty(st.n_slots if len(s.pipeline.base) or len(s.new_pipeline.base) else 0)
        # with nothing held for a licence, shipments go into transit in the same sweep
        fused = not len(self.licensed_links) and not s.licensing.batches
        pipe = s.pipeline
        ordered_slot = s.slot_orders
        ordered_share, new_share = s.share, self._spare_share
        n_qualified = kernels.deliver(
            slot=slot, supplier=supplier, route=route, served=served, slot_orders=ordered_slot, limit=s.limit,
            over_limit=s.over_limit_steps, route_qualification=st.route_qualification, qualified=self._qualified,
            qualified_from=self._qualified_from, route_open=self.route_open, smoothing_steps=p.demand_smoothing_steps,
            fill_rate=s.fill_rate, shipped=shipped, shipped_slot=shipped_slot, target=self._target,
            inverse_total=inverse_total, switching_steps=p.switching_steps, mixed=st.slot_mixed,
            lead_group=self.link_lead_group, leads=pipe.lead_values, uniform_lead=st.slot_lead_uniform,
            share=ordered_share, new_share=new_share, slot_lead=slot_lead, advance=fused, n_piped=pipe.n_links,
            row_start=pipe.row_start(), buffer=pipe.buffer, base=pipe.base, rounding=rounding, arrived=arrived,
            arrived_slot=arrived_slot,
            arrival_group=self.groups.link, arrived_group=arrived_group, price=s.price,
            route_tariff=self.route_tariff, duty_owner=self.groups.owner, duty_group=duty_group, owner_duty=owner_duty)
        s.share, self._spare_share = new_share, ordered_share
        n0, groups = st.n_base_links, self.groups.link
        built_groups, new_groups = groups[:n0], groups[n0:]
        into_transit = shipped
        if fused:
            pipe.turn()
        else:
            if len(self.licensed_links):  # held for a licence, released into transit after the lag
                held = shipped[self.licensed_links] * self.licensed_share
                s.licensing.hold(s.step, self.licensed_links, held, self.licensed_steps)
                into_transit = shipped.copy()
                into_transit[self.licensed_links] -= held
            if s.licensing.batches:
                into_transit = into_transit + s.licensing.release(s.step)
            pipe.advance(into_transit[:n0], arrived[:n0], slot[:n0], arrived_slot, built_groups, arrived_group,
                         rounding=rounding)
        if s.new_pipeline.n_links:  # links formed by search have their own pipeline, after the build's
            s.new_pipeline.advance(into_transit[n0:], arrived[n0:], slot[n0:], arrived_slot, new_groups,
                                   arrived_group, True, rounding)
        if len(rounding):
            s.in_transit += rounding

        # 6. inventories: arrivals in, inputs used out (never below zero), and
        # 7. orders: expected need plus closing the inventory-and-pipeline gap; final demand by price
        planned = np.empty(st.n_firms)
        kernels.plan_output(
            demand=demand, capacity=capacity, smoothing_steps=p.demand_smoothing_steps,
            target_smoothing_steps=p.target_smoothing_steps, supply_line=p.order_rule == SUPPLY_LINE,
            expected_demand=s.expected_demand, target_output=s.target_output, planned=planned)
        used, slot_orders = np.empty(n_fs), np.empty(st.n_slots)
        kernels.inventories_and_orders(
            slot_firm=st.slot_firm_index, coef=st.coef, output=output, planned=planned, target_output=s.target_output,
            shipped=shipped_slot, arrived=arrived_slot, inventory_steps=st.inventory_steps, slot_lead=slot_lead,
            in_transit=s.in_transit, restoration_steps=p.restoration_steps, rule=p.order_rule,
            supply_line_weight=p.supply_line_weight, inventory=s.inventory, used=used, orders=slot_orders)
        np.multiply(st.slot_flow0[n_fs:], np.power(slot_price[n_fs:], -st.final_elasticity), out=slot_orders[n_fs:])
        s.slot_orders = slot_orders
        s.step += 1
        self.landed, self.capacity, self.output = landed, capacity, output
        return StepFlows(
            output=output,
            demand=demand,
            shipped=shipped,
            arrived=arrived,
            used=used,
            ordered_slot=ordered_slot,
            shipped_slot=shipped_slot,
            landed=landed,
            route_tariff=self.route_tariff,
            route_blocked=self.route_blocked,
            link_route=st.tariff_index,
            arrived_group=arrived_group,
            duty_group=duty_group,
            owner_duty=owner_duty,
            ordered_share=ordered_share,
            link_slot=st.slot,
            limit=s.limit,
            qualified=self._qualified[:n_qualified].copy(),
            qualified_from=self._qualified_from[:n_qualified].copy(),
        )
