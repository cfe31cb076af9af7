"""The conservation ledger of one step (docs/model.md, 'One step').

Checks, to a relative tolerance: every firm's output equals what it shipped (no output stock);
every input slot's inventory change equals arrivals minus use; the goods in transit changed by
shipments minus arrivals; and no stock, flow or order is negative. A violation is an internal
bug, so it raises `LedgerError` with the worst offender. Where transit is held in float32
(`engine.transit_precision`), a link's goods in transit change by its shipments less its arrivals to
that precision: to 1e-7 of its baseline flow, twice its shipment and what it had in transit (which
bound what entered its pipeline, licence releases included). Every other identity holds to `rtol`: the
slots' running goods in transit count what holding the shipments in float32 added.
"""

from __future__ import annotations

import numpy as np

from sim.engine.core import State, StepFlows, Structure

TRANSIT_FLOAT32_RTOL = 1e-7  # float32 transit: half a unit is 2**-24 (6e-8) of a shipment's difference from baseline


class LedgerError(AssertionError):
    """Goods were created or destroyed in a step."""


def _close(name: str, lhs: np.ndarray, rhs: np.ndarray, scale: np.ndarray, rtol: float) -> None:
    error = np.abs(lhs - rhs) / np.maximum(np.abs(scale), 1e-300)
    if error.size and error.max() > rtol:
        worst = int(np.argmax(error))
        raise LedgerError(
            f"{name}: entry {worst} off by {error[worst]:.3g} (relative); {lhs[worst]!r} vs {rhs[worst]!r}"
        )


def check_ledger(structure: Structure, before: State, after: State, flows: StepFlows, rtol: float = 1e-9) -> None:
    """Raise `LedgerError` if the step from `before` to `after` broke a conservation identity."""
    st = structure
    shipped_by_firm = np.bincount(st.supplier, flows.shipped, st.n_firms)
    _close("produced = shipped", flows.output, shipped_by_firm, st.output0, rtol)
    arrived = st.segment_sum(flows.arrived)[: st.n_firm_slots]
    _close(
        "inventory change = arrivals - use",
        after.inventory - before.inventory,
        arrived - flows.used,
        st.slot_flow0[: st.n_firm_slots],
        rtol,
    )
    transit_before, transit_after = before.in_transit_by_link(), after.in_transit_by_link()
    link_scale, link_rtol = st.link_scale, rtol
    if not after.transit_exact:  # shipments are held to float32 precision in transit
        link_scale, link_rtol = link_scale + 2 * np.abs(flows.shipped) + transit_before, max(rtol, TRANSIT_FLOAT32_RTOL)
    _close(
        "transit change = shipped - arrived",
        transit_after - transit_before,
        flows.shipped - flows.arrived,
        link_scale,
        link_rtol,
    )
    _close(
        "running in-transit = pipeline",
        after.in_transit,
        st.segment_sum(transit_after),
        st.slot_flow0 * np.maximum(1.0, st.segment_sum(st.lead)),
        rtol,
    )
    for name, values in (
        ("output", flows.output),
        ("shipped", flows.shipped),
        ("inventory", after.inventory),
        ("orders", after.orders),
        ("in transit", transit_after),
        ("price", after.price),
    ):
        if values.size and values.min() < 0:
            raise LedgerError(f"{name} is negative: {values.min()!r} at entry {int(np.argmin(values))}")
