"""Goods in transit: one ring buffer per distinct lead time, not a queue per link.

Links that share a lead time L form a group with a buffer of L rows of (links in the group)
shipments, all groups in one flat array. A shipment sent at step t is written in row t mod L and
read back as an arrival at step t + L. Memory is the sum of the links' lead times (one float
each) plus a one-byte group number per link; a step swaps one value per link in a single compiled
sweep (`sim.engine.kernels.advance_pipeline`, or fused into the delivery sweep), reading each
group's current row in order: the links of a group take consecutive places in link order.

In float64 (what `auto` picks below 1 GiB of pipeline) the buffer holds the shipments themselves. In float32
(`engine.transit_precision`) it holds each shipment less its link's `base`, the baseline flow rounded to
float32, in about half the memory. An arrival is then the shipment to within half a float32 unit of that
difference (2**-24 of it, about 6e-8): at the steady state the difference is the rounding of the baseline
flow, so arrivals are the shipments to about 4e-15; a shipment of nothing arrives as exactly nothing (the
base is a float32 number), and no arrival is negative.
"""

from __future__ import annotations

import numpy as np

from sim.engine.kernels import advance_pipeline


class TransitPipeline:
    """Ring buffers of shipments by lead time; `advance` returns arrivals and stores new shipments."""

    def __init__(self, lead_steps: np.ndarray, baseline_flow: np.ndarray, dtype: type = np.float64):
        self.n_links = len(lead_steps)
        leads, group = np.unique(lead_steps, return_inverse=True)
        if np.any(leads < 1):
            raise ValueError("lead times must be at least one step")
        self.leads = leads.astype(np.int64)
        self.group = group.astype(np.uint8 if len(leads) < 256 else np.int32)
        self.sizes = np.bincount(group, minlength=len(leads)).astype(np.int64)
        self.lead_values = self.leads.astype(np.float64)
        self.offsets = np.concatenate(([0], np.cumsum(self.leads * self.sizes)))[: len(leads)].astype(np.int64)
        size = int(np.sum(self.leads * self.sizes))
        if dtype == np.float64:  # the shipments themselves: full of the baseline flow
            self.base = np.zeros(0)
            self.buffer = np.empty(size)
            for g in range(len(leads)):
                self._rows(g)[:] = baseline_flow[self.group == g]
        else:  # each shipment less its link's baseline flow in float32
            self.base = baseline_flow.astype(np.float32)
            self.buffer = np.empty(size, dtype=dtype)
            rounding = baseline_flow - self.base
            for g in range(len(leads)):
                self._rows(g)[:] = rounding[self.group == g]
        self.position = 0

    def row_start(self) -> np.ndarray:
        """Where each group's row of this step starts in the flat buffer."""
        return self.offsets + (self.position % self.leads) * self.sizes

    def _rows(self, g: int) -> np.ndarray:
        """The (lead, links in group) view of group g's ring buffer."""
        start = self.offsets[g]
        return self.buffer[start : start + self.leads[g] * self.sizes[g]].reshape(self.leads[g], self.sizes[g])

    def advance(self, shipped: np.ndarray, arrived: np.ndarray | None = None, slot: np.ndarray | None = None,
                arrived_slot: np.ndarray | None = None, arrival_group: np.ndarray | None = None,
                arrived_group: np.ndarray | None = None, accumulate: bool = False,
                rounding: np.ndarray | None = None) -> np.ndarray:
        """Arrivals of this step (sent `lead` steps ago); `shipped` enters the pipeline.

        Arrivals are written into `arrived` (a new array if None); with `slot` (a slot number per
        link) they are also summed per slot into `arrived_slot`, with `arrival_group` per group
        into `arrived_group`, and in float32 what holding the shipments added to them per slot into
        `rounding` (all added to what they hold with `accumulate`, else zeroed first).
        """
        if arrived is None:
            arrived = np.empty(self.n_links)
        if slot is None:
            slot, arrived_slot = np.zeros(self.n_links, dtype=np.int32), np.empty(1)
        if arrival_group is None:
            arrival_group, arrived_group = np.zeros(0, dtype=np.int32), np.empty(0)
        if rounding is None:
            rounding = np.empty(len(arrived_slot)) if len(self.base) else np.empty(0)
        advance_pipeline(
            slot=slot, lead_group=self.group, row_start=self.row_start(), buffer=self.buffer, base=self.base,
            rounding=rounding, into_transit=shipped,
            arrived=arrived, arrived_slot=arrived_slot, arrival_group=arrival_group, arrived_group=arrived_group,
            accumulate=accumulate)
        self.position += 1
        return arrived

    def turn(self) -> None:
        """Move to the next step after a fused sweep has swapped this step's shipments in."""
        self.position += 1

    def in_transit(self) -> np.ndarray:
        """Goods in transit per link (everything shipped and not yet arrived)."""
        total = np.zeros(self.n_links)
        for g in range(len(self.leads)):
            total[self.group == g] = self._rows(g).sum(axis=0, dtype=np.float64)
        if len(self.base):
            total += self.base.astype(np.float64) * self.link_leads()
        return total

    def link_leads(self) -> np.ndarray:
        """Lead time of each link, in steps."""
        return self.leads[self.group]

    def relinked(self, keep: np.ndarray, new_leads: np.ndarray) -> TransitPipeline:
        """A pipeline over the links `keep` of this one, their goods in transit kept in order of arrival, then
        links with lead times `new_leads` and nothing in transit."""
        leads = np.concatenate((self.link_leads()[keep], new_leads)).astype(np.int64)
        base = np.concatenate((self.base[keep], np.zeros(len(new_leads), self.base.dtype))) if len(self.base) else \
            np.zeros(len(leads))
        clone = TransitPipeline(leads, base, self.buffer.dtype.type)
        old_column, new_column = _columns(self.group), _columns(clone.group)
        for g, lead in enumerate(self.leads):
            placed = np.flatnonzero(self.group[keep] == g)  # where the kept links of this group are in the clone
            if not len(placed):
                continue
            arriving = self._rows(g)[(self.position + np.arange(lead)) % lead]  # row k arrives in k steps
            g_new = int(np.searchsorted(clone.leads, lead))
            clone._rows(g_new)[:, new_column[placed]] = arriving[:, old_column[keep[placed]]]
        return clone

    def copy(self) -> TransitPipeline:
        clone = object.__new__(TransitPipeline)
        clone.__dict__.update(self.__dict__)
        clone.buffer = self.buffer.copy()
        return clone


def _columns(group: np.ndarray) -> np.ndarray:
    """Each link's column in its group's rows: its rank among the links of its group, in link order."""
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], group[order])
    column = np.empty(len(group), dtype=np.int64)
    column[order] = np.arange(len(group)) - starts
    return column
