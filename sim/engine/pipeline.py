"""Goods in transit: one ring buffer per distinct lead time, not a queue per link.

Links that share a lead time L share a buffer of shape (L, links in the group). A shipment sent
at step t is written at position t mod L and read back as an arrival at step t + L. Memory is
the sum of the links' lead times (one float each), and a step costs one gather and one scatter
per distinct lead time.
"""

from __future__ import annotations

import numpy as np


class TransitPipeline:
    """Ring buffers of shipments by lead time; `advance` returns arrivals and stores new shipments."""

    def __init__(self, lead_steps: np.ndarray, baseline_flow: np.ndarray):
        self.n_links = len(lead_steps)
        self.groups: list[tuple[int, np.ndarray, np.ndarray]] = []
        for lead in np.unique(lead_steps):
            links = np.flatnonzero(lead_steps == lead)
            buffer = np.tile(baseline_flow[links], (int(lead), 1))
            self.groups.append((int(lead), links, buffer))
        self.position = 0

    def advance(self, shipped: np.ndarray) -> np.ndarray:
        """Arrivals of this step (sent `lead` steps ago); `shipped` enters the pipeline."""
        arrivals = np.empty(self.n_links)
        for lead, links, buffer in self.groups:
            row = buffer[self.position % lead]
            arrivals[links] = row
            row[:] = shipped[links]
        self.position += 1
        return arrivals

    def in_transit(self) -> np.ndarray:
        """Goods in transit per link (everything shipped and not yet arrived)."""
        total = np.zeros(self.n_links)
        for _, links, buffer in self.groups:
            total[links] = buffer.sum(axis=0)
        return total

    def copy(self) -> TransitPipeline:
        clone = object.__new__(TransitPipeline)
        clone.n_links, clone.position = self.n_links, self.position
        clone.groups = [(lead, links, buffer.copy()) for lead, links, buffer in self.groups]
        return clone
