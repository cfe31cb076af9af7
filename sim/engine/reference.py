"""A per-agent reference for the vectorised step: the rules of `Engine.step`, one Mesa agent per buyer.

`ReferenceEngine(network, params, baseline_tariff)` runs the same step as `sim.engine.core.Engine`
(docs/model.md, 'One step') but the dynamic part is plain Python: one `ReferenceFirm` per firm and one
`ReferenceConsumer` per economy's final demand, created in a private `mesa.Model`. Each agent
holds its own input slots (a buyer's input of one sector, as Python lists of `ReferenceLink`) and
a firm also its customer links; every pass of the step loops over the agents and their links with
scalar float arithmetic (`math.pow`, no numpy over links or firms). Goods in transit wait in a
`collections.deque` per link (length = lead time) and, under export licensing, in a dict per link
keyed by the release step.

It exists for two reasons: a test that both engines give the same flows and states to 1e-9
(`tests/test_reference.py`), and a baseline for the vectorised engine's speed-up. It reuses the
static calibration of `sim.engine.core.Structure` (baseline flows, shares, coefficients, capacity,
inventories, slot numbering), so both start from the same numbers; everything that changes during
a run lives in the agents. The passes run in the order of `Engine.step`, each over all agents
before the next starts, and sums run in the engine's order (links in canonical order), so the two
agree to floating-point rounding.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import mesa
import numpy as np

from sim.engine.core import ORDER_RULES, EngineParams, Policy, StepFlows, Structure
from sim.engine.kernels import MIN_UNIT_COST
from sim.engine.search import PRICE_RESOLUTION, overpriced_limit
from sim.network.graph import SupplyNetwork

INF = math.inf


class ReferenceLink:
    """One supplier -> buyer link: its static baseline, order share, fill rate, orders and transit."""

    __slots__ = (
        "index", "supplier", "w0", "lead", "sigma", "intra_sigma", "route", "block_route", "tariff0",
        "share", "fill_rate", "orders", "pipeline", "waiting",
        "wedge", "route_appeal", "tariff", "blocked", "open", "licensed_share", "licensed_steps",
        "landed", "deliverable", "ordered", "shipped", "arrived", "wanted", "limit", "over_limit", "qualification",
        "target_share", "new_id", "ready", "offer", "status", "reference_weight",
    )

    def __init__(self, index: int, supplier: ReferenceFirm, flow0: float, w0: float, lead: int, sigma: float,
                 intra_sigma: float | None, route: tuple[int, int, int], block_route: tuple[int, int, int],
                 tariff0: float, limit: float, qualification: float):
        self.index = index
        self.supplier = supplier
        self.w0 = w0
        self.lead = float(lead)
        self.sigma = sigma  # the supplier sector's Armington elasticity
        self.intra_sigma = intra_sigma  # the multinational's own elasticity on plant-to-plant links, else None
        self.route = route  # (importer, exporter, sector) in the tariff tensor
        self.block_route = block_route  # (exporter, importer, sector) in the export-control tensors
        self.tariff0 = tariff0
        self.share = w0
        self.fill_rate = 1.0
        self.orders = self.wanted = flow0
        self.limit = limit  # most the order may be until the buyer has qualified the supplier (then inf)
        self.qualification = qualification  # steps of wanting more than the limit that qualify the supplier
        self.over_limit = 0
        self.pipeline: deque[float] = deque([flow0] * lead)  # oldest shipment first
        self.waiting: dict[int, list[float]] = {}  # release step -> amounts held for a licence
        self.wedge = self.route_appeal = 1.0
        self.tariff = self.blocked = self.licensed_share = 0.0
        self.open = 1.0
        self.licensed_steps = 1
        self.landed = self.deliverable = self.ordered = self.shipped = self.arrived = 0.0
        self.target_share = w0
        self.new_id = -1  # links formed by supplier search: their id, the step they enter and their weight then
        self.ready = -1
        self.offer = 0.0
        self.reference_weight = w0  # what its share is judged against when dropping it
        self.status = ""  # a new link's NEW_LINK_STATUS ("" for links of the build)

    def set_weight(self, w0: float) -> None:
        """A new taste weight (a link entering or dropped), with the route appeal that carries it."""
        self.w0 = w0
        self.route_appeal = w0 * math.pow(self.wedge, -self.sigma)

    def read_policy(self, tariff, block, licensing_share, licensing_steps, pass_through: float) -> None:
        """Tariff wedge, CES route appeal, export block and licensing of this link's route."""
        i, e, s = self.route
        rate = tariff[i][e][s]
        self.tariff = rate
        self.wedge = (1.0 + pass_through * rate) / (1.0 + pass_through * self.tariff0)
        self.route_appeal = self.w0 * math.pow(self.wedge, -self.sigma)
        e, i, s = self.block_route
        self.blocked = block[e][i][s]
        self.open = 1.0 - self.blocked
        self.licensed_share = licensing_share[e][i][s]
        self.licensed_steps = max(1, int(licensing_steps[e][i][s]))

    def place(self, slot_orders: float) -> None:
        """The link's part of its slot's order, within its limit."""
        self.wanted = slot_orders * self.share
        self.orders = min(self.wanted, self.limit)

    def qualify(self) -> None:
        """Count the steps in a row the buyer wanted more than the limit; enough of them qualify the supplier."""
        if self.orders < self.wanted:
            self.over_limit += 1
            if self.over_limit >= self.qualification:
                self.limit = INF
        else:
            self.over_limit = 0

    def in_transit(self) -> float:
        """Goods sent and not yet arrived: in the pipeline or waiting for a licence."""
        total = math.fsum(self.pipeline)
        for amounts in self.waiting.values():
            total += math.fsum(amounts)
        return total


class ReferenceSlot:
    """A buyer's input of one sector: its links, order total, goods in transit and (firms) inventory."""

    __slots__ = ("index", "links", "flow0", "in_transit", "orders", "price", "ordered", "shipped", "arrived",
                 "coef", "essential", "inventory_steps", "inventory", "used", "elasticity", "buyer", "next_search")

    def __init__(self, index: int, links: list[ReferenceLink], flow0: float, in_transit: float):
        self.index = index
        self.links = links
        self.flow0 = flow0
        self.in_transit = in_transit
        self.orders = flow0
        self.price = 1.0
        self.ordered = self.shipped = self.arrived = 0.0
        self.coef = self.inventory_steps = self.inventory = self.used = self.elasticity = 0.0
        self.essential = False
        self.buyer: ReferenceFirm | None = None  # the firm whose input this is (None: final demand)
        self.next_search = 0  # first step of a supplier search after the last new link


class _Buyer(mesa.Agent):
    """What firms and consumers share: input slots, landed prices, substitution, arrivals."""

    slots: list[ReferenceSlot]

    def read_policy(self, tariff, block, licensing_share, licensing_steps, pass_through: float) -> None:
        for slot in self.slots:
            for link in slot.links:
                link.read_policy(tariff, block, licensing_share, licensing_steps, pass_through)

    def price_slots(self) -> None:
        """Pass 2: landed price of each link (supplier's price x tariff wedge), share-weighted per slot."""
        for slot in self.slots:
            price = 0.0
            for link in slot.links:
                landed = link.supplier.price * link.wedge
                link.landed = landed
                price += link.share * landed
            slot.price = price

    def substitute(self, switching_steps: float) -> None:
        """Pass 3: order shares move toward the CES target, scaled by each supplier's fill rate."""
        for slot in self.slots:
            links = slot.links
            targets = []
            total = 0.0
            for link in links:
                if link.intra_sigma is None:
                    target = link.supplier.appeal * link.route_appeal
                else:  # the multinational's own plant: its own elasticity on the landed price
                    target = link.w0 * math.pow(link.supplier.price * link.wedge, -link.intra_sigma)
                target *= link.fill_rate
                targets.append(target)
                total += target
            if total > 0:
                scale = 1.0 / total
                for link, target in zip(links, targets, strict=True):
                    link.target_share = target * scale
                    link.share += (target * scale - link.share) / switching_steps
            else:  # no supplier of the slot can deliver: the shares stay as they are
                for link in links:
                    link.target_share = 0.0

    def receive(self) -> None:
        """Pass 5 (buyer side): shipments leave, arrivals land; the slot's goods in transit follow."""
        for slot in self.slots:
            shipped = arrived = 0.0
            for link in slot.links:
                shipped += link.shipped
                arrived += link.arrived
            slot.shipped, slot.arrived = shipped, arrived
            slot.in_transit += shipped
            slot.in_transit -= arrived


class ReferenceFirm(_Buyer):
    """A plant: sets its price, substitutes between suppliers, produces, ships and orders, link by link."""

    def __init__(self, model: mesa.Model, index: int, economy: int, sector: int, owner: int, sigma: float,
                 value_added: float, capacity0: float, output0: float):
        super().__init__(model)
        self.index, self.economy, self.sector, self.owner = index, economy, sector, owner
        self.sigma = sigma
        self.value_added = value_added
        self.capacity0 = capacity0
        self.price = 1.0
        self.appeal = 1.0  # price ** -sigma, what its customers' CES targets see
        self.unit_cost = 1.0
        self.expected_demand = output0
        self.target_output = output0
        self.slots: list[ReferenceSlot] = []  # input slots, by sector
        self.customers: list[ReferenceLink] = []  # in canonical link order
        self.capacity = capacity0
        self.demand = self.output = 0.0

    def cost_up(self) -> None:
        """Pass 2: landed prices of its inputs and its unit cost at those prices."""
        self.price_slots()
        cost = 0.0
        for slot in self.slots:
            cost += slot.coef * slot.price
        self.unit_cost = max(self.value_added + cost, MIN_UNIT_COST)

    def adjust_price(self, adjustment_steps: float) -> None:
        """Pass 2: move toward unit cost (after every firm priced its inputs at the old prices)."""
        self.price += (self.unit_cost - self.price) / adjustment_steps
        self.appeal = math.pow(self.price, -self.sigma)

    def produce(self, capacity_share: float) -> None:
        """Pass 4: Leontief output under capacity, essential inventories and deliverable demand."""
        demand = 0.0
        for link in self.customers:
            link.ordered = link.orders
            link.deliverable = link.orders * link.open
            demand += link.deliverable
        self.demand = demand
        self.capacity = self.capacity0 * capacity_share
        bound = INF
        for slot in self.slots:
            if slot.essential:
                bound = min(bound, slot.inventory / slot.coef)
        self.output = min(min(self.capacity, bound), demand)

    def deliver(self, step: int, smoothing_steps: float) -> None:
        """Pass 5: ration output over deliverable orders in proportion; ship into transit (or licensing)."""
        served = self.output / self.demand if self.demand > 0 else 0.0
        for link in self.customers:
            link.qualify()
            shipped = link.deliverable * served
            link.shipped = shipped
            if link.orders > 0:
                link.fill_rate += (link.open * served - link.fill_rate) / smoothing_steps
            into_transit = shipped
            if link.licensed_share:  # held for a licence, released into transit after the lag
                held = shipped * link.licensed_share
                link.waiting.setdefault(step + link.licensed_steps, []).append(held)
                into_transit = shipped - held
            released = link.waiting.pop(step, None)
            if released is not None:
                amount = 0.0
                for held in released:
                    amount += held
                into_transit = into_transit + amount
            link.arrived = link.pipeline.popleft()
            link.pipeline.append(into_transit)

    def use_inputs(self) -> None:
        """Pass 6: arrivals in, inputs used out (never below zero)."""
        output = self.output
        for slot in self.slots:
            used = min(slot.coef * output, slot.inventory)
            slot.used = used
            slot.inventory += slot.arrived - used

    def order(self, p: EngineParams) -> None:
        """Pass 7: expected need plus closing the inventory-and-pipeline gap by the order rule, split by order
        share."""
        self.expected_demand += (self.demand - self.expected_demand) / p.demand_smoothing_steps
        planned = min(self.expected_demand, self.capacity)
        rule = ORDER_RULES[p.order_rule]
        if rule == "supply_line":
            self.target_output += (self.expected_demand - self.target_output) / p.target_smoothing_steps
        else:
            self.target_output = planned
        for slot in self.slots:
            need = slot.coef * planned
            lead = 0.0
            for link in slot.links:
                lead += link.share * link.lead
            slot.ordered = slot.orders
            if rule == "supply_line":
                stock_gap = slot.coef * self.target_output * slot.inventory_steps - slot.inventory
                transit_gap = need * lead - slot.in_transit
                slot.orders = max(0.0, need + (stock_gap + p.supply_line_weight * transit_gap) / p.restoration_steps)
            else:
                gap = need * (slot.inventory_steps + lead) - slot.inventory - slot.in_transit
                if rule == "ario":
                    slot.orders = need + max(0.0, gap) / p.restoration_steps
                else:
                    slot.orders = max(0.0, need + gap / p.restoration_steps)
            for link in slot.links:
                link.place(slot.orders)


class ReferenceConsumer(_Buyer):
    """Final demand of one economy: substitutes across origins and orders D0 * P ** -elasticity."""

    def __init__(self, model: mesa.Model, economy: int):
        super().__init__(model)
        self.economy = economy
        self.slots: list[ReferenceSlot] = []

    def order(self) -> None:
        """Pass 7: each sector's order at its share-weighted landed price (of pass 2)."""
        for slot in self.slots:
            slot.ordered = slot.orders
            slot.orders = slot.flow0 * math.pow(slot.price, -slot.elasticity)
            for link in slot.links:
                link.place(slot.orders)


class _ReferenceModel(mesa.Model):
    """The private Mesa model holding the reference agents (no randomness is used)."""


@dataclass
class ReferenceState:
    """A snapshot of the agents' state with the array layout of `sim.engine.core.State`."""

    price: np.ndarray  # [firms]
    expected_demand: np.ndarray  # [firms]
    target_output: np.ndarray  # [firms]
    share: np.ndarray  # [links]
    fill_rate: np.ndarray  # [links]
    orders: np.ndarray  # [links]
    slot_orders: np.ndarray  # [slots]
    inventory: np.ndarray  # [firm slots]
    in_transit: np.ndarray  # [slots]
    transit_by_link: np.ndarray  # [links] in the pipeline or waiting for a licence
    step: int

    transit_exact = True  # each link's queue holds Python floats

    def in_transit_by_link(self) -> np.ndarray:
        return self.transit_by_link


class ReferenceEngine:
    """The step of `Engine` as per-agent Python loops; same constructor, same `step(policy) -> StepFlows`."""

    def __init__(self, network: SupplyNetwork, params: EngineParams, baseline_tariff: np.ndarray):
        self.params = params
        self.structure = st = Structure(network, params, baseline_tariff)
        self.model = _ReferenceModel(rng=0)
        self.step_count = 0
        self._policy_key: tuple[bytes, ...] | None = None
        self.policy_changed = True
        self._tariff_rate = self._blocked = np.zeros(st.n_links)

        n_firms = st.n_firms
        economy, sector = network.firm_economy.tolist(), network.firm_sector.tolist()
        owner = network.firm_owner.tolist()
        sector_sigma = params.sector_sigma.tolist()
        own_sigma = [None if math.isnan(s) else s for s in params.multinational_sigma.tolist()]
        value_added, capacity0, output0 = st.value_added.tolist(), st.capacity0.tolist(), st.output0.tolist()
        self.firms = [
            ReferenceFirm(self.model, f, economy[f], sector[f], owner[f], sector_sigma[sector[f]], value_added[f],
                          capacity0[f], output0[f])
            for f in range(n_firms)
        ]
        self.consumers = [ReferenceConsumer(self.model, e) for e in range(st.n_economies)]

        flow0, w0 = network.link_flow.tolist(), st.w0.tolist()
        lead = network.link_lead_steps.tolist()
        suppliers, buyers = network.link_supplier.tolist(), network.link_buyer.tolist()
        tariff0 = baseline_tariff.tolist()
        limit0 = st.limit0.tolist()
        qualification = st.sector_qualification.tolist()
        self.links: list[ReferenceLink] = []
        for k in range(st.n_links):
            supplier = self.firms[suppliers[k]]
            b = buyers[k]
            buyer = self.firms[b] if b < n_firms else self.consumers[b - n_firms]
            importer, exporter, s = buyer.economy, supplier.economy, supplier.sector
            intra = None
            if supplier.owner >= 0 and b < n_firms and buyer.owner == supplier.owner:
                intra = own_sigma[supplier.owner]
            link = ReferenceLink(k, supplier, flow0[k], w0[k], lead[k], supplier.sigma, intra,
                                 (importer, exporter, s), (exporter, importer, s), tariff0[importer][exporter][s],
                                 limit0[k], qualification[s])
            supplier.customers.append(link)
            self.links.append(link)

        # input slots: a buyer's links of one supplier sector are contiguous (canonical order)
        slot_start = st.slot_start.tolist() + [st.n_links]
        slot_buyer = st.slot_buyer.tolist()
        coef, essential = st.coef.tolist(), st.essential.tolist()
        inventory_steps, inventory0 = st.inventory_steps.tolist(), st.inventory0.tolist()
        elasticity, slot_flow0 = st.final_elasticity.tolist(), st.slot_flow0.tolist()
        self.slots: list[ReferenceSlot] = []
        for j in range(st.n_slots):
            links = self.links[slot_start[j]:slot_start[j + 1]]
            in_transit = 0.0
            for link in links:
                in_transit += link.orders * link.lead
            slot = ReferenceSlot(j, links, slot_flow0[j], in_transit)
            b = slot_buyer[j]
            if b < n_firms:
                slot.coef, slot.essential = coef[j], essential[j]
                slot.inventory_steps, slot.inventory = inventory_steps[j], inventory0[j]
                slot.buyer = self.firms[b]
                self.firms[b].slots.append(slot)
            else:
                slot.elasticity = elasticity[j - st.n_firm_slots]
                self.consumers[b - n_firms].slots.append(slot)
            self.slots.append(slot)
        self.buyers: list[_Buyer] = [*self.firms, *self.consumers]
        self.n_formed = 0
        self._tensors: tuple | None = None

    # -- one step -----------------------------------------------------------------------------
    def _read_policy(self, policy: Policy) -> None:
        """Each buyer reads its links' routes from the policy tensors when they changed."""
        key = (policy.tariff.tobytes(), policy.export_block.tobytes(), policy.licensing_share.tobytes(),
               policy.licensing_steps.tobytes())
        self.policy_changed = key != self._policy_key  # as Engine.policy_changed
        if not self.policy_changed:
            return
        tensors = (policy.tariff.tolist(), policy.export_block.tolist(), policy.licensing_share.tolist(),
                   policy.licensing_steps.tolist())
        self._tensors = tensors
        for buyer in self.buyers:
            buyer.read_policy(*tensors, self.params.pass_through)
        self._tariff_rate = np.array([link.tariff for link in self.links], dtype=float)
        self._blocked = np.array([link.blocked for link in self.links], dtype=float)
        self._policy_key = key

    def step(self, policy: Policy) -> StepFlows:
        p, firms, consumers, buyers = self.params, self.firms, self.consumers, self.buyers
        self._read_policy(policy)
        capacity = policy.capacity.tolist()

        # 2. prices: every buyer prices its inputs at the old prices, then firms move toward unit cost
        for firm in firms:
            firm.cost_up()
        for consumer in consumers:
            consumer.price_slots()
        for firm in firms:
            firm.adjust_price(p.price_adjustment_steps)
        # 3. substitution
        for buyer in buyers:
            buyer.substitute(p.switching_steps)
        # 4. production
        for firm in firms:
            firm.produce(capacity[firm.index])
        # 5. delivery: suppliers ship, buyers see shipments leave and arrivals land
        for firm in firms:
            firm.deliver(self.step_count, p.demand_smoothing_steps)
        for buyer in buyers:
            buyer.receive()
        # 6. inventories
        for firm in firms:
            firm.use_inputs()
        # 7. orders
        for firm in firms:
            firm.order(p)
        for consumer in consumers:
            consumer.order()
        self.step_count += 1
        return self._flows()

    # -- supplier search (the rules of sim.engine.search, slot by slot) ----------------------------
    def search_due(self) -> bool:
        n = self.params.search_steps
        return n > 0 and self.step_count > 0 and self.step_count % n == 0

    def revise_suppliers(self) -> None:
        """Drop dead links, let slots at risk search in market order, form new links, remove dead new ones."""
        p, st, step = self.params, self.structure, self.step_count
        firm_slots = self.slots[: st.n_firm_slots]
        for slot in firm_slots:
            self._drop(slot)
        limit = overpriced_limit(p.search_price_rise)
        needs = {}
        for slot in firm_slots:
            risk = 0.0
            for link in slot.links:
                if link.w0 > 0:
                    risk += link.share * (1.0 - link.fill_rate * self._priced_ok(link, limit))
            needs[slot.index] = risk
        for slot in firm_slots:  # qualified new links enter where the buyer still needs them, else are abandoned
            for link in slot.links:
                if link.status == "qualifying" and link.ready <= step:
                    if needs[slot.index] > p.search_threshold:
                        link.status = "carrying"
                        self._hand_over(slot, link, min(1.0, link.offer / needs[slot.index]), limit)
                        slot.next_search = step + math.ceil(p.switching_steps)
                    else:
                        link.status = "closed"
        searching = []
        for slot in firm_slots:
            risk = needs[slot.index]
            if risk > p.search_threshold and step >= slot.next_search and slot.orders > 0:
                searching.append((slot.buyer.economy * st.n_sectors + self._sector(slot), slot.index, slot, risk))
        searching.sort(key=lambda entry: (entry[0], entry[1]))
        remaining = [max(0.0, firm.capacity - firm.output) for firm in self.firms]
        cell_start = st.cell_start.tolist()
        cursor = cell_start[:-1]
        origins: dict[int, list[tuple[int, float, int]]] = {}
        for market, _, slot, risk in searching:
            if market not in origins:
                origins[market] = self._origins(market)
            want = risk * slot.orders
            for cell, is_open, exporter in origins[market]:
                end = cell_start[cell + 1]
                f = cursor[cell]
                while f < end and remaining[f] <= 0.0:
                    f += 1
                cursor[cell] = f
                linked = {link.supplier.index for link in slot.links}
                while f < end and (remaining[f] <= 0.0 or f == slot.buyer.index or f in linked):
                    f += 1
                if f == end:
                    continue
                available = remaining[f] * is_open
                if want < available:
                    offered = want
                    remaining[f] -= want / is_open
                else:
                    offered = available
                    remaining[f] = 0.0
                self._form(slot, self.firms[f], exporter, market % st.n_sectors, offered)
                break
        dead = [link for link in self.links[st.n_base_links:] if link.status == "closed" and link.in_transit() == 0]
        if dead:
            gone = {id(link) for link in dead}
            self.links = [link for link in self.links if id(link) not in gone]
            for slot in firm_slots:
                slot.links = [link for link in slot.links if id(link) not in gone]
            for firm in self.firms:
                firm.customers = [link for link in firm.customers if id(link) not in gone]
        self._policy_key = None

    def _sector(self, slot: ReferenceSlot) -> int:
        return int(self.structure.slot_sector[slot.index])

    def _drop(self, slot: ReferenceSlot) -> None:
        """Live links whose share and target are below `drop_share` of their reference weight leave the slot's
        orders."""
        dropped, lost = [], 0.0
        for link in slot.links:
            floor = self.params.drop_share * link.reference_weight
            if (link.w0 > 0 or link.share > 0) and link.share < floor and link.target_share < floor:
                dropped.append(link)
                lost += link.share
        if not dropped:
            return
        for link in dropped:
            link.set_weight(0.0)
            link.share = 0.0
            if link.status:
                link.status = "closed"
        for link in slot.links:  # the orders placed last step are split again over the suppliers kept
            if lost > 0:
                link.share /= 1.0 - lost
            link.place(slot.orders)

    @staticmethod
    def _priced_ok(link: ReferenceLink, limit: float) -> float:
        """1 if the link's landed price is within the search threshold or it is a multinational's own sourcing."""
        return 1.0 if link.intra_sigma is not None or link.landed <= limit else 0.0

    def _hand_over(self, slot: ReferenceSlot, entering: ReferenceLink, take: float, limit: float) -> None:
        """Each link of the slot hands `take` x the at-risk part of its weight to the entering link."""
        moved = 0.0
        for link in slot.links:
            given = link.w0 * (1.0 - link.fill_rate * self._priced_ok(link, limit)) * take
            link.set_weight(link.w0 - given)
            moved += given
        entering.set_weight(moved)
        entering.reference_weight = moved

    def _origins(self, market: int) -> list[tuple[int, float, int]]:
        """A market's usable origins in rank order: (cell, open share, exporter)."""
        st, p = self.structure, self.params
        n_sec = st.n_sectors
        importer, sector = divmod(market, n_sec)
        output0 = st.output0.tolist()
        value = [0.0] * (st.n_economies * n_sec)
        size = [0.0] * (st.n_economies * n_sec)
        for firm in self.firms:
            cell = firm.economy * n_sec + firm.sector
            value[cell] += firm.price * output0[firm.index]
            size[cell] += output0[firm.index]
        tariff, block = self._tensors[0], self._tensors[1]
        ranked = []
        for exporter in range(st.n_economies):
            cell = exporter * n_sec + sector
            route = (importer * st.n_economies + exporter) * n_sec + sector
            wedge = (1.0 + p.pass_through * tariff[importer][exporter][sector]) / (
                1.0 + p.pass_through * float(st.route_tariff0[route]))
            landed = value[cell] / (size[cell] if size[cell] > 0 else 1.0) * wedge
            is_open = 1.0 - block[exporter][importer][sector]
            flow0 = float(st.route_flow0[route])
            if flow0 > 0 and is_open > 0 and landed <= overpriced_limit(p.search_price_rise):
                ranked.append((math.floor(landed / PRICE_RESOLUTION + 0.5), -flow0, exporter, cell, is_open))
        ranked.sort()
        return [(cell, is_open, exporter) for _, _, exporter, cell, is_open in ranked]

    def _form(self, slot: ReferenceSlot, supplier: ReferenceFirm, exporter: int, sector: int, offered: float) -> None:
        """A new link from `supplier` into `slot`: nothing for the sector's qualification time, then its weight."""
        st, p, step = self.structure, self.params, self.step_count
        importer = slot.buyer.economy
        lead = int(st.pair_lead[exporter, importer])
        route = (importer * st.n_economies + exporter) * st.n_sectors + sector
        link = ReferenceLink(len(self.links), supplier, 0.0, 0.0, lead, supplier.sigma, None,
                             (importer, exporter, sector), (exporter, importer, sector), float(st.route_tariff0[route]),
                             INF, 1.0)
        link.read_policy(*self._tensors, p.pass_through)
        link.new_id, self.n_formed = self.n_formed, self.n_formed + 1
        link.ready = step + math.ceil(float(st.sector_qualification[sector]))
        link.offer = offered / slot.orders
        link.reference_weight = 0.0
        link.status = "qualifying"
        link.share = 0.0
        link.target_share = 0.0
        slot.next_search = link.ready
        slot.links.append(link)
        supplier.customers.append(link)
        self.links.append(link)

    # -- arrays for the caller ------------------------------------------------------------------
    def _flows(self) -> StepFlows:
        links, slots = self.links, self.slots
        n_fs = self.structure.n_firm_slots
        return StepFlows(
            output=np.array([f.output for f in self.firms]),
            demand=np.array([f.demand for f in self.firms]),
            shipped=np.array([link.shipped for link in links]),
            arrived=np.array([link.arrived for link in links]),
            used=np.array([slot.used for slot in slots[:n_fs]]),
            ordered_links=np.array([link.ordered for link in links]),
            ordered_slot=np.array([slot.ordered for slot in slots]),
            shipped_slot=np.array([slot.shipped for slot in slots]),
            landed=np.array([link.landed for link in links]),
            route_tariff=self._tariff_rate,  # as for blocked shares below
            route_blocked=self._blocked,  # each link read its own share: its "route" is itself
            link_route=np.arange(len(links)),
        )

    @property
    def state(self) -> ReferenceState:
        """The agents' state gathered into arrays (a snapshot; changing it changes nothing)."""
        links, slots = self.links, self.slots
        n_fs = self.structure.n_firm_slots
        return ReferenceState(
            price=np.array([f.price for f in self.firms]),
            expected_demand=np.array([f.expected_demand for f in self.firms]),
            target_output=np.array([f.target_output for f in self.firms]),
            share=np.array([link.share for link in links]),
            fill_rate=np.array([link.fill_rate for link in links]),
            orders=np.array([link.orders for link in links]),
            slot_orders=np.array([slot.orders for slot in slots]),
            inventory=np.array([slot.inventory for slot in slots[:n_fs]]),
            in_transit=np.array([slot.in_transit for slot in slots]),
            transit_by_link=np.array([link.in_transit() for link in links]),
            step=self.step_count,
        )
