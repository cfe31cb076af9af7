"""Compiled passes over links, one sweep of memory each (numba, cached on disk).

Each kernel sweeps the links once, in order, and does what the numpy version did in several
array passes: gathers by supplier, products, and sums over each input slot (`slot[l]` is the slot
of link l). Sums run in link order starting from zero, exactly as `np.bincount` adds them, so the
results are bit-identical to the array formulation (and equal to the per-agent reference to
rounding). A flat loop over links beats a loop over slots with an inner loop over their links:
most slots have one to three links. Kernels write into arrays passed in (`out` arguments), so a step allocates no
link-sized temporaries. Callers pass a kernel's arguments by name (numba binds them to the signature, and a
wrong or missing name is a TypeError), so two arrays of the same type can never be swapped unseen.
"""

from __future__ import annotations

import numpy as np

from sim.engine.jit import kernel

MIN_UNIT_COST = 1e-3  # of the baseline price: the floor of unit cost (only negative value added comes near it)


@kernel
def prices_and_demand(slot, supplier, route, price, route_wedge, share, slot_orders, limit, route_open, landed,
                      slot_price, demand):
    """Landed price per link, share-weighted price per slot, and deliverable orders per supplier.

    landed[l] = price[supplier[l]] * route_wedge[route[l]]; slot_price[s] = sum of share * landed
    over the slot; demand[f] = sum over the links supplied by firm f of the link's order,
    min(slot_orders[slot] * share, limit), times route_open[route] (both sums zeroed first).
    """
    slot_price[:] = 0.0
    demand[:] = 0.0
    for link in range(len(slot)):
        s = slot[link]
        firm = supplier[link]
        r = route[link]
        weight = share[link]
        value = price[firm] * route_wedge[r]
        landed[link] = value
        slot_price[s] += weight * value
        demand[firm] += min(slot_orders[s] * weight, limit[link]) * route_open[r]


@kernel
def appeal(slot, supplier, route, firm_appeal, w0, route_appeal, fill_rate, intra_links, intra_target, target,
           inverse_total):
    """Reliability-weighted CES appeal of each link and one over its sum per slot (0 where it is 0).

    target[l] = firm_appeal[supplier] * (w0 * route_appeal[route]) (or intra_target for the sorted
    intra_links), times the link's fill rate.
    """
    inverse_total[:] = 0.0
    k = 0
    n_intra = len(intra_links)
    for link in range(len(slot)):
        if k < n_intra and intra_links[k] == link:
            value = intra_target[k]
            k += 1
        else:
            value = firm_appeal[supplier[link]] * (w0[link] * route_appeal[route[link]])
        value *= fill_rate[link]
        target[link] = value
        inverse_total[slot[link]] += value
    for s in range(len(inverse_total)):
        inverse_total[s] = 1.0 / inverse_total[s] if inverse_total[s] > 0 else 0.0


@kernel
def deliver(slot, supplier, route, served, slot_orders, limit, over_limit, route_qualification, qualified,
            qualified_from, route_open, smoothing_steps, fill_rate, shipped, shipped_slot, target, inverse_total,
            switching_steps, mixed, lead_group, leads, uniform_lead, share, new_share, slot_lead, advance, n_piped,
            row_start, buffer, base, rounding, arrived, arrived_slot, arrival_group, arrived_group, price,
            route_tariff, duty_owner, duty_group, owner_duty):
    """Delivery sweep: ship, smooth fill rates, move order shares, qualify suppliers, and (optionally) advance
    transit. Returns how many links were qualified (their ids and former limits in `qualified`, `qualified_from`).

    Per link, in order: its order from last step, min(slot_orders[slot] * share, limit); where it was
    held to the limit, over_limit counts the steps in a row, and at
    route_qualification[route] steps the supplier is qualified (limit becomes infinite), else it is
    reset to 0; shipped = order *
    route_open[route] * served[supplier], summed per slot into shipped_slot; fill_rate moves toward
    route_open * served by 1/smoothing_steps on links with orders; new_share = share moved toward
    target * inverse_total[slot] by 1/switching_steps (slots with inverse_total 0 keep theirs), so
    `share` keeps last step's shares; slot_lead = sum of new share * leads[lead_group] for mixed
    slots, else uniform_lead. With `advance`, the shipment of each of the first `n_piped` links also
    swaps places with the link's oldest shipment in the transit pipeline (as `advance_pipeline`, `base`
    and `rounding` included), and
    arrivals are summed per slot and, if `arrival_group` is not empty, per arrival group. If `duty_owner`
    is not empty, the duty on each shipment (shipped x price[supplier] x route_tariff[route]) of a taxed
    link (untaxed ones add nothing and are skipped) is summed by arrival group into `duty_group` and, where
    duty_owner[link] >= 0, by owner into `owner_duty`. All sums
    are zeroed first.
    """
    shipped_slot[:] = 0.0
    taxes = len(duty_owner) > 0
    if taxes:
        duty_group[:] = 0.0
        owner_duty[:] = 0.0
    for s in range(len(slot_lead)):
        slot_lead[s] = 0.0 if mixed[s] else uniform_lead[s]
    track = len(arrival_group) > 0
    has_base = len(base) > 0
    if advance:
        arrived_slot[:] = 0.0
        arrived_group[:] = 0.0
        rounding[:] = 0.0
    cursor = row_start.copy()
    n_qualified = 0
    for link in range(len(slot)):
        s = slot[link]
        weight = share[link]
        order = slot_orders[s] * weight
        cap = limit[link]
        if order > cap:
            order = cap
            steps = over_limit[link] + 1
            over_limit[link] = steps
            if steps >= route_qualification[route[link]]:
                qualified[n_qualified] = link
                qualified_from[n_qualified] = cap
                n_qualified += 1
                limit[link] = np.inf
        elif over_limit[link]:
            over_limit[link] = 0
        is_open = route_open[route[link]]
        rate = served[supplier[link]]
        value = order * is_open * rate
        shipped[link] = value
        shipped_slot[s] += value
        if taxes:
            rate_in_force = route_tariff[route[link]]
            if rate_in_force != 0.0:  # untaxed links add nothing (and skip the loads)
                duty = value * price[supplier[link]] * rate_in_force
                duty_group[arrival_group[link]] += duty
                payer = duty_owner[link]
                if payer >= 0:
                    owner_duty[payer] += duty
        if not order <= 0.0:
            fill_rate[link] += (is_open * rate - fill_rate[link]) / smoothing_steps
        inverse = inverse_total[s]
        if inverse > 0:
            weight += (target[link] * inverse - weight) / switching_steps
        new_share[link] = weight
        if mixed[s]:
            slot_lead[s] += weight * leads[lead_group[link]]
        if advance and link < n_piped:
            g = lead_group[link]
            at = cursor[g]
            cursor[g] = at + 1
            came = np.float64(buffer[at])
            if has_base:
                came += base[link]
                held = value - base[link]
                buffer[at] = held
                rounding[s] += np.float64(buffer[at]) - held
            else:
                buffer[at] = value
            arrived[link] = came
            arrived_slot[s] += came
            if track:
                arrived_group[arrival_group[link]] += came
    return n_qualified


@kernel
def advance_pipeline(slot, lead_group, row_start, buffer, base, rounding, into_transit, arrived, arrived_slot,
                     arrival_group, arrived_group, accumulate):
    """Swap each link's oldest shipment (its arrival) for this step's; arrivals summed per slot.

    Links of lead-time group g take consecutive places from buffer[row_start[g]], in link order; where
    `base` is not empty the buffer holds each shipment less base[link] (the pipeline's `base`), and
    rounding[slot[l]] adds what holding it in the buffer's type added to it;
    arrived_slot[slot[l]] and, if `arrival_group` is not empty, arrived_group[arrival_group[l]] add
    the arrivals (to zero, or with `accumulate` to what they hold).
    """
    if not accumulate:
        arrived_slot[:] = 0.0
        arrived_group[:] = 0.0
        rounding[:] = 0.0
    track = len(arrival_group) > 0
    has_base = len(base) > 0
    cursor = row_start.copy()
    for link in range(len(lead_group)):
        g = lead_group[link]
        at = cursor[g]
        cursor[g] = at + 1
        value = np.float64(buffer[at])
        if has_base:
            value += base[link]
            held = into_transit[link] - base[link]
            buffer[at] = held
            rounding[slot[link]] += np.float64(buffer[at]) - held
        else:
            buffer[at] = into_transit[link]
        arrived[link] = value
        arrived_slot[slot[link]] += value
        if track:
            arrived_group[arrival_group[link]] += value


@kernel
def production(slot_firm, essential, inventory, coef, capacity0, capacity_share, demand, capacity, output, served):
    """Leontief output under capacity, essential-input coverage and demand; the share of demand served.

    capacity = capacity0 * capacity_share; a firm's input bound is the smallest inventory / coef over
    its essential input slots (infinity if none); output = min(capacity, input bound, demand); served =
    output / demand (0 without demand).
    """
    output[:] = np.inf
    for i in range(len(slot_firm)):
        if essential[i]:
            cover = inventory[i] / coef[i]
            if cover < output[slot_firm[i]]:
                output[slot_firm[i]] = cover
    for f in range(len(output)):
        available = capacity0[f] * capacity_share[f]
        capacity[f] = available
        bound = min(available, output[f])
        made = min(bound, demand[f])
        output[f] = made
        served[f] = made / demand[f] if demand[f] > 0 else 0.0


@kernel
def plan_output(demand, capacity, smoothing_steps, target_smoothing_steps, supply_line, expected_demand,
                target_output, planned):
    """Firms' expected demand, planned output and target output for the orders.

    expected_demand moves toward demand by 1/smoothing_steps; planned = min(expected_demand, capacity);
    target_output moves toward expected_demand by 1/target_smoothing_steps under the supply-line rule
    (`supply_line`), else it is the planned output.
    """
    for f in range(len(demand)):
        expected = expected_demand[f] + (demand[f] - expected_demand[f]) / smoothing_steps
        expected_demand[f] = expected
        plan = np.minimum(expected, capacity[f])  # NaN-propagating, as the array version
        planned[f] = plan
        if supply_line:
            target_output[f] += (expected - target_output[f]) / target_smoothing_steps
        else:
            target_output[f] = plan


@kernel
def inventories_and_orders(slot_firm, coef, output, planned, target_output, shipped, arrived, inventory_steps,
                           slot_lead, in_transit, restoration_steps, rule, supply_line_weight, inventory, used, orders):
    """Goods in transit, inputs used and inventories updated; each firm input slot's order (need plus closing
    the gap).

    in_transit += shipped - arrived (every slot, final demand's too: `in_transit` may be longer than
    `slot_firm`); used = min(coef * output[firm], inventory); inventory += arrived - used; need = coef *
    planned[firm]; gap = need * (inventory_steps + slot_lead) - inventory - in_transit. The order
    by `rule` (the index in `ORDER_RULES`): 0 (ario) need + max(0, gap) / restoration_steps; 1
    (signed_gap) max(0, need + gap / restoration_steps); 2 (supply_line) max(0, need + (stock gap +
    supply_line_weight * transit gap) / restoration_steps), with stock gap = coef *
    target_output[firm] * inventory_steps - inventory and transit gap = need * slot_lead - in_transit.
    """
    for i in range(len(slot_firm), len(in_transit)):
        in_transit[i] = (in_transit[i] + shipped[i]) - arrived[i]
    for i in range(len(slot_firm)):
        in_transit[i] = (in_transit[i] + shipped[i]) - arrived[i]
        firm = slot_firm[i]
        use = min(coef[i] * output[firm], inventory[i])
        used[i] = use
        stock = inventory[i] + (arrived[i] - use)
        inventory[i] = stock
        need = coef[i] * planned[firm]
        if rule == 2:
            stock_gap = coef[i] * target_output[firm] * inventory_steps[i] - stock
            transit_gap = need * slot_lead[i] - in_transit[i]
            orders[i] = max(0.0, need + (stock_gap + supply_line_weight * transit_gap) / restoration_steps)
            continue
        gap = need * (inventory_steps[i] + slot_lead[i]) - stock - in_transit[i]
        if rule == 0:
            orders[i] = need + max(0.0, gap) / restoration_steps
        else:
            orders[i] = max(0.0, need + gap / restoration_steps)


@kernel
def run_dot(bounds, a, b, out):
    """out[i] = sum of a * b over the run bounds[i]:bounds[i + 1], in order from zero (for long runs)."""
    for i in range(len(bounds) - 1):
        acc = 0.0
        for j in range(bounds[i], bounds[i + 1]):
            acc += a[j] * b[j]
        out[i] = acc


@kernel
def prices_toward_cost(slot_firm, coef, slot_price, value_added, adjustment_steps, price, input_cost):
    """Firms' prices move toward unit cost.

    unit cost = value_added + input_cost, the sum of coef * slot_price over the firm's input slots
    (written into `input_cost`), never below MIN_UNIT_COST (a firm with negative value added, whose
    inputs became much cheaper, keeps a positive price); price += (unit cost - price) / adjustment_steps.
    """
    input_cost[:] = 0.0
    for i in range(len(slot_firm)):
        input_cost[slot_firm[i]] += coef[i] * slot_price[i]
    for f in range(len(price)):
        unit_cost = max(value_added[f] + input_cost[f], MIN_UNIT_COST)
        price[f] += (unit_cost - price[f]) / adjustment_steps


@kernel
def record_sums(firm_cell, output, price, output0, days_per_step, inventory_group, inventory, slot_group,
                ordered_slot, shipped_slot, price_divisor, days_per_use, cell_output, cell_price, worst_level,
                loss_days, group_inventory, group_unfilled):
    """The recorder's per-step sums: output by cell, output at current prices by cell over `price_divisor` (the
    cell's price), input inventory by group times `days_per_use`, and unfilled orders (ordered - shipped) by
    slot group, each zeroed first and added in order; and per firm its lowest output level (output / output0)
    so far and the days of output lost, which add (1 - level) * days_per_step."""
    cell_output[:] = 0.0
    cell_price[:] = 0.0
    group_inventory[:] = 0.0
    group_unfilled[:] = 0.0
    for f in range(len(firm_cell)):
        c = firm_cell[f]
        made = output[f]
        cell_output[c] += made
        cell_price[c] += price[f] * output0[f]
        level = made / output0[f]  # every firm has baseline output (the engine's coefficients divide by it)
        worst_level[f] = np.minimum(worst_level[f], level)
        loss_days[f] += (1.0 - level) * days_per_step
    for c in range(len(cell_price)):
        cell_price[c] = cell_price[c] / price_divisor[c]
    for i in range(len(inventory_group)):
        group_inventory[inventory_group[i]] += inventory[i]
    for g in range(len(group_inventory)):
        group_inventory[g] = group_inventory[g] * days_per_use[g]
    for i in range(len(slot_group)):
        group_unfilled[slot_group[i]] += ordered_slot[i] - shipped_slot[i]


@kernel
def group_sum(index, values, out):
    """out[g] = sum of values[i] with index[i] == g, added in order (as `np.bincount`); out is zeroed."""
    out[:] = 0.0
    for i in range(len(index)):
        out[index[i]] += values[i]


def group_sums(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """`np.bincount(index, values, n)` without bincount's index checks and conversions."""
    out = np.empty(n)
    group_sum(index, values, out)
    return out
