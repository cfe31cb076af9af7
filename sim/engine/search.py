"""Supplier search: buyers short of supply, or facing overpriced suppliers, find new ones; dead links are dropped.

Every `engine.search_days` (docs/model.md, 'Supplier search') the engine revises its links between two steps:

1. **Drop.** A firm's link whose order share and whose CES target (reliability-weighted, as of the last step)
   are both below `drop_share` of its reference weight (its baseline weight; for a new link, the weight it
   entered with) is dropped: its weight and share become 0 and its slot's other shares are scaled back to a
   sum of 1 (the orders placed last step are split again over the suppliers kept). Links of the build stay in
   the arrays (indices never move); closed new links are removed once nothing is in transit on them.
2. **Volume at risk.** A firm input slot's volume at risk is the share of its orders placed with suppliers that
   do not deliver them (1 - fill rate) or whose landed price is past `1 + search_price_rise` times baseline
   (prices within 1e-9 of the threshold count as at it), counting only links that still have weight (a
   supplier whose weight was handed over is being replaced already). A multinational's links from its own
   plants, where it sources with its own elasticity, are never overpriced: it keeps its plants. A slot
   *needs* suppliers when that share exceeds `search_threshold`.
3. **Entry.** A new link whose sector's `qualification_days` have passed enters at this search if its buyer
   still needs suppliers, taking over the business at risk: each of the slot's links hands over the at-risk
   part of its weight (1 - fill rate, or all of it if overpriced) times min(1, offered share / share at risk),
   so suppliers that deliver at a normal price keep their weight, and the new link's weight is what was handed
   over. Its order share then moves toward its CES target at the pace of `switching_days`, with no volume
   limit (and with the supplier sector's elasticity, even from a multinational's own plant). The hand-over is
   for good: a supplier that recovers keeps only the weight it had left. If the buyer no longer needs the new
   link, the qualification is abandoned.
4. **Search.** A slot that needs suppliers, has orders, and has no link qualifying and none that entered less
   than `switching_days` ago, searches for its volume at risk. Searching slots are grouped in markets (buyer
   economy, input sector) and served in market order, then slot order. A market's origins are the economies
   that sold it that sector at baseline (the table's routes: no route is created), are not wholly blocked, and
   whose cell price index times the tariff wedge is within the threshold, ranked by that landed price (to
   1e-4), then by baseline volume. Within an origin, firms are taken in index order (random by the network
   draw), skipping the buyer itself, the firms it has a link with (the build's links it dropped included;
   a new link removed after it closed no longer counts), and firms without spare capacity (capacity less
   output in the last step). A slot gets one new link per search from the first such firm, for
   the smaller of its volume at risk and the firm's spare capacity (times the route's open share), and that
   spare capacity is then taken; the link carries nothing while it qualifies.

The ranking and the matching are deterministic given the state; the per-agent reference
(`sim.engine.reference`) implements the same rules. The matching is one compiled pass over searching slots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.engine.jit import kernel

QUALIFYING, CARRYING, CLOSED = range(3)  # a new link's status (`sim.engine.core.NEW_LINK_STATUS`)
THRESHOLD_TOLERANCE = 1e-9  # landed prices within this (relative) of the threshold count as at it
PRICE_RESOLUTION = 1e-4  # origins whose landed prices differ by less are ranked by baseline volume


def price_rank(landed: np.ndarray) -> np.ndarray:
    """Landed prices as integers at `PRICE_RESOLUTION`, for ranking origins."""
    return np.floor(landed / PRICE_RESOLUTION + 0.5).astype(np.int64)


def overpriced_limit(price_rise: float) -> float:
    """The landed price (baseline 1) past which a supplier counts as overpriced."""
    return (1.0 + price_rise) * (1.0 + THRESHOLD_TOLERANCE)


EVENTS = ("formed", "entered", "abandoned", "dropped")
EVENT_FIELDS = ("new_link", "build_link", "supplier", "buyer", "route", "volume", "ready")


@dataclass
class LinkChanges:
    """What one search did, as events (`EVENTS`) each with arrays `EVENT_FIELDS`: the new link's id (-1 for a
    link of the build), the build link's index (-1 for a new link), supplier, buyer, route (importer, exporter,
    sector), the volume a formed link was offered (per step) and the step its qualification ends; and how the
    link arrays were renumbered: the build's `n_base` links, then the new links kept (`kept_new`, positions
    among the `n_before - n_base` new links before), then the formed ones."""

    step: int
    n_base: int
    n_before: int
    kept_new: np.ndarray
    events: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def add(self, event: str, **arrays: np.ndarray) -> None:
        n = len(arrays["supplier"])
        if n:
            self.events[event] = {name: np.asarray(arrays.get(name, np.full(n, -1))) for name in EVENT_FIELDS}

    def count(self, event: str) -> int:
        return len(self.events[event]["supplier"]) if event in self.events else 0

    @property
    def relinked(self) -> bool:
        """Whether the link arrays changed length or order (links formed or removed)."""
        return self.count("formed") > 0 or len(self.kept_new) != self.n_before - self.n_base


@kernel
def match_suppliers(search_slot, search_market, volume, origin_cell, origin_open, slot_buyer, slot_start, slot_end,
                    link_supplier, new_keys, n_firms, cell_start, remaining, cursor, matched, offered):
    """Greedy matching of searching slots (in order) to firms with spare capacity, as the module says.

    origin_cell[m] lists market m's origin cells in rank order (-1 pads), origin_open[m] their open shares;
    a slot's links are those of the build in [slot_start, slot_end) and the new ones whose key
    slot * n_firms + supplier is in the sorted `new_keys`. `remaining` (spare capacity per firm) and `cursor`
    (per cell, the first firm that may have some) are updated; matched[i] is the firm (-1: none), offered[i]
    the volume.
    """
    for i in range(len(search_slot)):
        s = search_slot[i]
        m = search_market[i]
        buyer = slot_buyer[s]
        matched[i] = -1
        offered[i] = 0.0
        for j in range(origin_cell.shape[1]):
            c = origin_cell[m, j]
            if c < 0:
                break
            end = cell_start[c + 1]
            f = cursor[c]
            while f < end and remaining[f] <= 0.0:
                f += 1
            cursor[c] = f
            while f < end:
                if remaining[f] > 0.0 and f != buyer:
                    linked = False
                    for link in range(slot_start[s], slot_end[s]):
                        if link_supplier[link] == f:
                            linked = True
                            break
                    if not linked and len(new_keys):
                        key = s * n_firms + f
                        at = np.searchsorted(new_keys, key)
                        linked = at < len(new_keys) and new_keys[at] == key
                    if not linked:
                        break
                f += 1
            if f < end:
                is_open = origin_open[m, j]
                available = remaining[f] * is_open
                if volume[i] < available:
                    offered[i] = volume[i]
                    remaining[f] -= volume[i] / is_open
                else:
                    offered[i] = available
                    remaining[f] = 0.0
                matched[i] = f
                break


@kernel(inline="always")
def at_risk_part(fill_rate, landed, own_sourcing, price_limit):
    """The part of a link's orders at risk: 1 - fill rate, or all of it if overpriced (never for own sourcing)."""
    return 1.0 - fill_rate * (1.0 if own_sourcing or landed <= price_limit else 0.0)


@kernel
def review_links(slot, w0, reference_weight, share, target, inverse_total, fill_rate, landed, own_sourcing,
                 price_limit, drop_share, n_firm_slots, at_risk, dropped):
    """Drop dead links and measure each firm slot's volume at risk, in sweeps over the links (steps 1-2 of the
    module). A live link (weight or share above 0) of a firm slot is dropped when its share and its target
    share are both below `drop_share` x its reference weight; drops are written to `dropped` (their count is
    returned) with their weights and shares set to 0 and their slots' other shares scaled back to 1. Then
    `at_risk` is each firm slot's share of orders undelivered or overpriced (past `price_limit`, except on a
    multinational's own-sourcing links) on links that still have weight, summed in link order."""
    lost = np.zeros(len(at_risk))
    n_dropped = 0
    for link in range(len(slot)):
        s = slot[link]
        if s < n_firm_slots and (w0[link] > 0 or share[link] > 0):
            floor = drop_share * reference_weight[link]
            if share[link] < floor and target[link] * inverse_total[s] < floor:
                dropped[n_dropped] = link
                n_dropped += 1
                lost[s] += share[link]
    for i in range(n_dropped):
        w0[dropped[i]] = 0.0
        share[dropped[i]] = 0.0
    at_risk[:] = 0.0
    for link in range(len(slot)):
        s = slot[link]
        if n_dropped and lost[s] > 0:
            share[link] /= 1.0 - lost[s]
        if s < n_firm_slots and w0[link] > 0:  # a link whose weight was handed over is being replaced already
            at_risk[s] += share[link] * at_risk_part(fill_rate[link], landed[link], own_sourcing[link], price_limit)
    return n_dropped


@kernel
def hand_over(slot, w0, fill_rate, landed, own_sourcing, price_limit, take, moved):
    """Each link of a slot with take[s] > 0 hands over take[s] x the at-risk part of its weight (1 - fill rate,
    or all of it if overpriced); moved[s] sums what its slot's links handed over (zeroed first), in link order."""
    moved[:] = 0.0
    for link in range(len(slot)):
        s = slot[link]
        c = take[s]
        if c > 0:
            given = w0[link] * at_risk_part(fill_rate[link], landed[link], own_sourcing[link], price_limit) * c
            w0[link] -= given
            moved[s] += given


def revise(engine) -> LinkChanges:
    """One search of `engine`: drop dead links, bring in (or abandon) qualified new links, let slots at risk
    search and form new links, and compact the new links."""
    st, s, p = engine.structure, engine.state, engine.params
    step, n_fs, n0 = s.step, st.n_firm_slots, st.n_base_links
    n_econ, n_sec = st.n_economies, st.n_sectors
    changes = LinkChanges(step=step, n_base=n0, n_before=st.n_links, kept_new=np.arange(st.n_links - n0))

    # 1-2. drop links whose share and target are both gone; volume at risk per firm slot
    limit = overpriced_limit(p.search_price_rise)
    risk = np.empty(st.n_slots)
    dropped = np.empty(st.n_links, dtype=np.int64)
    n_dropped = review_links(st.slot_index, st.w0, st.reference_weight, s.share, engine._target,
                             engine._inverse_total, s.fill_rate, engine.landed, st.own_sourcing, limit, p.drop_share,
                             n_fs, risk, dropped)
    if n_dropped:
        dropped = dropped[:n_dropped]
        is_new = dropped >= n0
        local = dropped[is_new] - n0
        new_link = np.full(n_dropped, -1, dtype=np.int64)
        new_link[is_new] = engine.new_id[local]
        changes.add("dropped", new_link=new_link, build_link=np.where(is_new, -1, dropped),
                    supplier=st.supplier[dropped], buyer=st.buyer[dropped], route=st.tariff_index[dropped])
        engine.new_status[local] = CLOSED
    at_risk = risk[:n_fs]
    needs = at_risk > p.search_threshold

    # 3. qualified new links enter where their buyer still needs them, taking over the business at risk; the
    # others are abandoned
    due = np.flatnonzero((engine.new_status == QUALIFYING) & (engine.new_ready <= step))
    if len(due):
        link = n0 + due
        enter = needs[st.slot[link]]
        for event, pick in (("entered", enter), ("abandoned", ~enter)):
            chosen = link[pick]
            changes.add(event, new_link=engine.new_id[due[pick]], supplier=st.supplier[chosen],
                        buyer=st.buyer[chosen], route=st.tariff_index[chosen])
        entering, slot = link[enter], st.slot[link[enter]]
        if len(entering):
            take = np.zeros(st.n_slots)
            take[slot] = np.minimum(1.0, engine.new_offer[due[enter]] / at_risk[slot])
            moved = np.empty(st.n_slots)
            hand_over(st.slot_index, st.w0, s.fill_rate, engine.landed, st.own_sourcing, limit, take, moved)
            st.w0[entering] = st.reference_weight[entering] = moved[slot]
            engine.next_search[slot] = step + math.ceil(p.switching_steps)
        engine.new_status[due] = np.where(enter, CARRYING, CLOSED)  # (an entering link got weight: its slot
        # needs suppliers, so some link of it with weight is at risk)

    # 4. slots at risk search, market by market
    orders = s.slot_orders[:n_fs]
    searching = np.flatnonzero(needs & (step >= engine.next_search) & (orders > 0))
    formed = no_links()
    if len(searching):
        economy = st.firm_economy[st.slot_firm[searching]]
        market_key = economy * n_sec + st.slot_sector[searching]
        order = np.argsort(market_key, kind="stable")
        searching, market_key = searching[order], market_key[order]
        markets, search_market = np.unique(market_key, return_inverse=True)
        origin_cell, origin_open = _origins(engine, markets)
        volume = at_risk[searching] * orders[searching]
        remaining = np.maximum(0.0, engine.capacity - engine.output)
        cursor = st.cell_start[:-1].copy()
        new_keys = np.sort(st.slot[n0:].astype(np.int64) * st.n_firms + st.supplier[n0:])
        matched, offered = np.empty(len(searching), dtype=np.int64), np.empty(len(searching))
        match_suppliers(searching, search_market, volume, origin_cell, origin_open, st.slot_buyer, st.slot_start,
                        st.slot_end, st.supplier, new_keys, st.n_firms, st.cell_start, remaining, cursor, matched,
                        offered)
        got = (matched >= 0) & (offered > 0)
        slot, supplier, offered = searching[got], matched[got], offered[got]
        if len(slot):
            buyer_economy = st.firm_economy[st.slot_firm[slot]]
            exporter = st.firm_economy[supplier]
            route = (buyer_economy * n_econ + exporter) * n_sec + st.slot_sector[slot]
            ready = step + np.ceil(st.sector_qualification[st.slot_sector[slot]]).astype(np.int64)
            engine.next_search[slot] = ready  # no further search while it qualifies
            ids = engine.n_formed + np.arange(len(slot))
            engine.n_formed += len(slot)
            changes.add("formed", new_link=ids, supplier=supplier, buyer=st.slot_buyer[slot], route=route,
                        volume=offered, ready=ready)
            formed = {"supplier": supplier, "buyer": st.slot_buyer[slot], "slot": slot, "route": route,
                      "lead": st.pair_lead[exporter, buyer_economy].astype(np.int64), "offer": offered / orders[slot],
                      "id": ids, "ready": ready}

    # 5. compact: closed new links with nothing in transit leave the arrays
    in_transit = s.new_pipeline.in_transit() + (s.licensing.waiting()[n0:] if s.licensing.batches else 0.0)
    gone = (engine.new_status == CLOSED) & (in_transit == 0)
    if len(formed["slot"]) or gone.any():
        changes.kept_new = np.flatnonzero(~gone)
        engine.relink(changes.kept_new, formed)
    return changes


def no_links() -> dict[str, np.ndarray]:
    """The links a search forms, as `Engine.relink` takes them, when it forms none."""
    ints = ("supplier", "buyer", "slot", "route", "lead", "id", "ready")
    return {name: np.zeros(0, dtype=np.int64) for name in ints} | {"offer": np.zeros(0)}


def _origins(engine, markets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each market (buyer economy x n_sectors + sector), its origin cells in rank order (-1 pads) and the
    open shares of their routes."""
    st, p = engine.structure, engine.params
    n_econ, n_sec = st.n_economies, st.n_sectors
    output0 = st.output0
    cell_output0 = np.bincount(st.firm_cell, output0, n_econ * n_sec)
    cell_price = np.bincount(st.firm_cell, engine.state.price * output0, n_econ * n_sec) / np.where(
        cell_output0 > 0, cell_output0, 1.0)
    importer, sector = markets // n_sec, markets % n_sec
    exporter = np.arange(n_econ)
    route = (importer[:, None] * n_econ + exporter[None, :]) * n_sec + sector[:, None]  # [markets, origins]
    cell = exporter[None, :] * n_sec + sector[:, None]
    landed = cell_price[cell] * engine.route_wedge[route]
    is_open = engine.route_open[route]
    usable = (st.route_flow0[route] > 0) & (is_open > 0) & (landed <= overpriced_limit(p.search_price_rise))
    rank = np.where(usable, price_rank(landed), np.iinfo(np.int64).max)
    origin_cell = np.full(route.shape, -1, dtype=np.int64)
    origin_open = np.zeros(route.shape)
    for m in range(len(markets)):  # markets: at most economies x sectors
        order = np.lexsort((exporter, -st.route_flow0[route[m]], rank[m]))
        order = order[usable[m, order]]
        origin_cell[m, : len(order)] = cell[m, order]
        origin_open[m, : len(order)] = is_open[m, order]
    return origin_cell, origin_open
