"""The policy history: what governments and multinationals observe of the steps already run.

The model adds each completed step's applied tariffs, export blocks and deliveries by trade group
(exporter, importer, sector, use; at baseline prices, as the engine sums them); rules read them as they
were N steps ago, and before the first step they read the calibrated steady state. The last step's
shipments by link are kept too (what paid its duties, for quotas). Only the last
`depth` steps are kept, the most any of the model's rules looks back, so the history stays small
however long the run. The recorder keeps the full record of a run for results; rules never read it.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.engine.core import Engine

TOLERANCE = 1e-9


class PolicyHistory:
    """The last `depth` steps of tariffs [importer, exporter, sector], export blocks and deliveries by trade
    group, with the steady state as what came before the first step, and the observations rules make of them."""

    def __init__(self, engine: Engine, baseline_tariff: np.ndarray, depth: int = 1):
        self.baseline_tariff = baseline_tariff
        groups, st = engine.groups, engine.structure
        self.groups = groups
        self.steady_delivered = np.bincount(groups.link, st.flow0, groups.n)
        n_econ, n_sec = st.n_economies, st.n_sectors
        trade = np.zeros(n_econ * n_econ * n_sec)
        np.add.at(trade, (groups.exporter * n_econ + groups.importer) * n_sec + groups.sector, self.steady_delivered)
        self.baseline_trade = trade.reshape(n_econ, n_econ, n_sec)  # [exporter, importer, sector] per step
        weights = self.baseline_trade.transpose(1, 0, 2)  # [importer, exporter, sector]
        total = weights.sum(axis=2)
        traded = total > 0
        # the weights of the trade-weighted increase: baseline trade shares, a simple mean where none was traded
        self._weights = np.where(traded[..., None], weights / np.where(traded, total, 1.0)[..., None], 1.0 / n_sec)
        # id of a tariff tensor -> (the tensor, its increases [importer, exporter])
        self._increases: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._route_masks: dict[tuple[int, int], np.ndarray] = {}  # trade groups of (exporter, importer)
        self.steps = 0  # completed steps added
        self.engine = engine
        self.last_shipped: np.ndarray | None = None  # [links] shipped in the last completed step
        self.keep(depth)

    def keep(self, depth: int) -> None:
        """Keep the last `depth` steps (at least one): set before the first step, from the rules' lookback."""
        if self.steps:
            raise RuntimeError("the history's depth is set before the first step")
        self.depth = max(1, depth)
        self._tariff: deque[np.ndarray] = deque(maxlen=self.depth)
        self._export_block: deque[np.ndarray] = deque(maxlen=self.depth)
        self._delivered: deque[np.ndarray] = deque(maxlen=self.depth)

    def add(self, tariff: np.ndarray, export_block: np.ndarray, delivered: np.ndarray, shipped: np.ndarray) -> None:
        """Add a completed step: its policy tensors (copied; a tensor the same as the last step's shares its
        copy, as policies change on few days), its deliveries by trade group and its shipments by link (the
        engine's buffer, valid until the next step)."""
        same = not self.engine.policy_changed  # the engine saw the tensors of the step before
        for rows, tensor in ((self._tariff, tariff), (self._export_block, export_block)):
            rows.append(rows[-1] if rows and (same or np.array_equal(rows[-1], tensor)) else tensor.copy())
        if len(self._increases) > 2 * self.depth + 1:  # forget the tensors the history no longer keeps
            kept = {id(self.baseline_tariff), *map(id, self._tariff)}
            for key in [key for key in self._increases if key not in kept]:
                del self._increases[key]
        self._delivered.append(delivered)
        self.last_shipped = shipped
        self.steps += 1

    def shipped_on(self, links: np.ndarray) -> float:
        """Goods shipped in the last completed step on `links` (indices into the engine's links), at baseline
        prices; 0 before the first step."""
        return 0.0 if self.last_shipped is None else float(self.last_shipped[links].sum())

    def _lagged(self, rows: deque, lag: int, before: np.ndarray | None) -> np.ndarray | None:
        if lag >= self.depth:
            raise ValueError(f"lag {lag} steps is beyond the history's depth ({self.depth} steps): a rule must "
                             "declare the steps it reads in lookback_steps")
        index = len(rows) - 1 - lag
        return rows[index] if index >= 0 else before

    def tariff(self, lag: int = 0) -> np.ndarray:
        """Tariffs applied `lag` steps before the last completed step (the calibration year's before the run)."""
        return self._lagged(self._tariff, lag, self.baseline_tariff)

    def export_block(self, lag: int = 0) -> np.ndarray | None:
        """Export blocks `lag` steps before the last completed step; None before the run (none blocked)."""
        return self._lagged(self._export_block, lag, None)

    def delivered(self, window: int) -> list[np.ndarray]:
        """Deliveries by trade group in each of the last `window` completed steps (fewer early in the run)."""
        if window > self.depth:
            raise ValueError(f"window {window} steps is beyond the history's depth ({self.depth} steps)")
        return list(self._delivered)[-window:]

    # -- observations ---------------------------------------------------------------------------
    def tariff_increases(self, importers: list[int], exporter: int, lag: int = 0) -> list[float]:
        """Each importer's tariff on exporter's goods above the calibration year, trade-weighted over sectors (a
        simple mean where they did not trade), as applied `lag` steps before the last completed step."""
        tariff = self.tariff(lag)
        known = self._increases.get(id(tariff))
        if known is None:  # once per distinct tensor: tariffs change on few days
            increases = np.einsum("ies,ies->ie", tariff - self.baseline_tariff, self._weights)
            known = self._increases[id(tariff)] = (tariff, increases)  # held: its id is never another's
        return known[1][importers, exporter].tolist()

    def tariff_increase(self, importer: int, exporter: int, lag: int = 0) -> float:
        """`tariff_increases` for one importer."""
        return self.tariff_increases([importer], exporter, lag)[0]

    def export_drop(self, exporter: int, importer: int, window: int) -> float:
        """Share by which exporter's deliveries to importer fell over the last `window` steps, against the
        steady state (0 before the first step)."""
        mask = self._route_masks.get((exporter, importer))
        if mask is None:
            groups = self.groups
            mask = self._route_masks[exporter, importer] = (groups.exporter == exporter) & (
                groups.importer == importer)
        base = self.steady_delivered[mask].sum()
        rows = self.delivered(window)
        if base <= 0 or not rows:
            return 0.0
        return float(1 - np.mean([row[mask].sum() for row in rows]) / base)

    def retaliates(self, economy: int, against: int) -> bool:
        """Has `economy` raised tariffs or export controls on `against` above the calibration year (last step)?"""
        if self.tariff_increase(importer=economy, exporter=against, lag=0) > TOLERANCE:
            return True
        blocks = self.export_block(0)
        return blocks is not None and bool(blocks[economy, against].max() > TOLERANCE)
