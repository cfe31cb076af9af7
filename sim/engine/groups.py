"""Trade groups: the engine's links grouped by (exporter, importer, sector, use), use 1 for final demand.

Every step sums arrivals by trade group in its delivery sweep (`StepFlows.arrived_group`): deliveries at
baseline prices, what the recorder records and what policy rules observe. The same sweep sums the duties on
the step's shipments by trade group and by the multinational that pays them (`StepFlows.duty_group`,
`owner_duty`): a multinational pays the duty on a link that ships from a plant it owns abroad into its home
economy. The groups are those of the build's links; a link formed by supplier search joins the group of its
route, which always exists (search forms links only on traded routes).
"""

from __future__ import annotations

import numpy as np


class TradeGroups:
    """`codes` (sorted keys), per group its exporter, importer, sector and use, per link its group (`link`) and
    the multinational that pays its duties (`owner`, -1 for none); `firm_owner` gives each firm's owning
    multinational (-1 for none), `owner_home` each multinational's home economy."""

    def __init__(self, structure, firm_owner: np.ndarray, owner_home: np.ndarray):
        self.codes, link = np.unique(self.key(structure, np.arange(structure.n_links)), return_inverse=True)
        self.n = len(self.codes)
        n_econ, n_sec = structure.n_economies, structure.n_sectors
        self.use = self.codes % 2
        self.sector = (self.codes // 2) % n_sec
        self.importer = (self.codes // 2 // n_sec) % n_econ
        self.exporter = self.codes // 2 // n_sec // n_econ
        self.link = link.astype(index_dtype(self.n))  # narrow: the delivery sweep indexes it
        self._firm_owner, self._owner_home = firm_owner, np.asarray(owner_home, dtype=np.intp)
        self.n_owners = len(self._owner_home)
        self.owner = self.owners_of(structure, np.arange(structure.n_links))

    def owners_of(self, structure, links: np.ndarray) -> np.ndarray:
        """The multinational that pays the duties of each of `links` (int32): the owner of its supplier where
        the link ships from abroad into the owner's home economy, else -1."""
        n_econ, n_sec = structure.n_economies, structure.n_sectors
        supplier = structure.supplier[links]
        owner = self._firm_owner[supplier].astype(np.intp)
        importer = structure.tariff_index[links] // (n_econ * n_sec)
        exporter = structure.firm_economy[supplier]
        home = self._owner_home[np.maximum(owner, 0)] if self.n_owners else np.full(len(links), -1)
        return np.where((owner >= 0) & (importer == home) & (exporter != importer), owner, -1).astype(np.int32)

    @staticmethod
    def key(structure, links: np.ndarray) -> np.ndarray:
        """Trade group key of `links`: ((exporter x economies + importer) x sectors + sector) x 2 + use."""
        n_econ, n_sec = structure.n_economies, structure.n_sectors
        route = structure.tariff_index[links]  # (importer, exporter, sector)
        importer, exporter, sector = route // (n_econ * n_sec), (route // n_sec) % n_econ, route % n_sec
        use = structure.slot_is_final[structure.slot[links]].astype(np.int64)
        return ((exporter * n_econ + importer) * n_sec + sector) * 2 + use

    def groups_of(self, structure, links: np.ndarray) -> np.ndarray:
        """The group of each of `links`; an error if a link's route carried no trade in the build."""
        key = self.key(structure, links)
        group = np.searchsorted(self.codes, key)
        if len(key) and not np.array_equal(self.codes[np.minimum(group, self.n - 1)], key):
            raise AssertionError("a new link's trade group has no baseline trade (search forms links on traded routes)")
        return group

    def relink(self, link: np.ndarray, owner: np.ndarray) -> None:
        """Take the links' groups and duty owners after a supplier search renumbered the links."""
        self.link = link.astype(index_dtype(self.n))
        self.owner = owner.astype(np.int32, copy=False)


def index_dtype(n: int) -> type:
    """The narrowest unsigned integer type that indexes `n` items."""
    return np.uint16 if n <= 2**16 else np.uint32 if n <= 2**32 else np.uint64


def narrow_index(index: np.ndarray, n: int) -> np.ndarray:
    """`index` (into `n` items) in the narrowest unsigned type; a view, not a copy, of a 32-bit index that needs
    32 bits (the indices are never negative, so the values are the same)."""
    dtype = index_dtype(n)
    if index.dtype == np.int32 and dtype == np.uint32:
        return index.view(np.uint32)
    return index.astype(dtype)
