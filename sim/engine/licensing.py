"""Goods held by export licensing: shipped by the supplier, released into transit after a lag.

Only links with goods waiting are stored: each step adds one batch (link indices, amounts) per
distinct licensing lag, and a batch is released whole on its due step. Goods waiting count as in
transit for the buyer, so the ordering rule does not re-order what is already on its way.
"""

from __future__ import annotations

import numpy as np


class LicensingQueue:
    """Batches of held shipments keyed by their release step."""

    def __init__(self, n_links: int):
        self.n_links = n_links
        self.batches: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}

    def hold(self, step: int, links: np.ndarray, amounts: np.ndarray, lag_steps: np.ndarray) -> None:
        """Hold `amounts` on `links`, each released `lag_steps` after `step`."""
        for lag in np.unique(lag_steps):
            pick = lag_steps == lag
            self.batches.setdefault(step + int(lag), []).append((links[pick], amounts[pick]))

    def release(self, step: int) -> np.ndarray:
        """Goods whose licence comes through at `step`, per link."""
        released = np.zeros(self.n_links)
        for links, amounts in self.batches.pop(step, []):
            np.add.at(released, links, amounts)
        return released

    def waiting(self) -> np.ndarray:
        """Goods still waiting for a licence, per link."""
        total = np.zeros(self.n_links)
        for batch in self.batches.values():
            for links, amounts in batch:
                np.add.at(total, links, amounts)
        return total

    def relinked(self, new_index: np.ndarray, n_links: int) -> LicensingQueue:
        """The queue after links were renumbered: link l becomes `new_index[l]` (-1: removed, with nothing held)."""
        clone = LicensingQueue(n_links)
        for step, batch in self.batches.items():
            moved = []
            for links, amounts in batch:
                index = new_index[links]
                moved.append((index[index >= 0], amounts[index >= 0]))
            clone.batches[step] = moved
        return clone

    def copy(self) -> LicensingQueue:
        clone = LicensingQueue(self.n_links)
        clone.batches = {step: list(batch) for step, batch in self.batches.items()}
        return clone
