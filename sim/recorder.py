"""Per-step record of a run, aggregated on arrays as it goes (the model's data collector).

Each step adds one small row per table: output by cell; deliveries and tariff revenue by trade
group (exporter, importer, sector, use); unfilled orders by buyer economy, sector and use; output
prices by cell; input inventories by (economy, sector) in days of baseline use; the consumer price
index by economy; the policy tensors; and multinationals' own tariff bills. Rows are aggregates, so
the record stays small however many firms the network has. `steady` holds the same rows for the
calibrated baseline, the reference of a run when no baseline run is supplied. Deliveries and duties by
trade group, and the multinationals' duties, are summed by the engine in its delivery sweep (its `groups`,
sim.engine.groups); the other sums use narrow group indices and one compiled kernel.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.engine.core import Engine, Policy, StepFlows
from sim.engine.groups import index_dtype
from sim.engine.kernels import group_sums, record_sums, run_dot
from sim.network.graph import SupplyNetwork
from sim.scenario.schema import ALWAYS_RECORDED


class Rows:
    """One table's rows, one per step, held in a (steps x columns) buffer of `dtype` that doubles when full;
    reads are views of the rows written so far (a reader in another thread sees whole rows only). Without
    `keep`, only the latest row is held, in one of two rows taking turns: a step's row is written beside the
    last one, which stays as it was until the step after."""

    def __init__(self, width: int, capacity: int, dtype: type = np.float64, keep: bool = True):
        self._buffer = np.empty((max(1, capacity) if keep else 2, width), dtype=dtype)
        self._n = 0
        self._keep = keep
        self._latest = 0  # without `keep`: the row that holds the latest step

    def next(self) -> np.ndarray:
        """The row to write next (the same one until `commit`)."""
        if not self._keep:
            return self._buffer[1 - self._latest if self._n else 0]
        if self._n == len(self._buffer):
            grown = np.empty((2 * len(self._buffer), self._buffer.shape[1]), dtype=self._buffer.dtype)
            grown[: self._n] = self._buffer
            self._buffer = grown
        return self._buffer[self._n]

    def commit(self) -> None:
        """Count the row written as recorded."""
        if self._keep:
            self._n += 1
        else:
            self._latest, self._n = (1 - self._latest if self._n else 0), 1

    def array(self) -> np.ndarray:
        """The rows so far as a read-only (steps x columns) view."""
        n = self._n  # before the buffer: a buffer grown since holds these rows too
        view = self._buffer[:n] if self._keep else self._buffer[self._latest:self._latest + n]
        view.flags.writeable = False
        return view

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, step: int) -> np.ndarray:
        return self.array()[step]

    def __iter__(self):
        return iter(self.array())


class NotRecorded(KeyError):
    """A table the run did not record (the scenario's `report.record` left it out)."""

    def __str__(self) -> str:
        return self.args[0]


class Tables(Mapping):
    """A run's recorded tables by name, (steps x columns) each. A policy table's rows, one array shared by
    the steps while the policy does not change, are stacked into its table when it is first read. Asking for
    a table the run did not record raises `NotRecorded`, which says how to record it."""

    def __init__(self, tables: dict[str, np.ndarray | list[np.ndarray]], widths: dict[str, int]):
        self._tables, self._widths = dict(tables), widths

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._tables:
            if name in self._widths:
                raise NotRecorded(f"table '{name}' was not recorded: the scenario's report.record keeps "
                                  f"{', '.join(self._tables)}; add '{name}' to it (or set it to 'all')")
            raise KeyError(name)
        table = self._tables[name]
        if isinstance(table, list):
            table = self._tables[name] = stack_shared(table, self._widths[name])
        return table

    def __iter__(self):
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


def stack_shared(rows: list[np.ndarray], width: int) -> np.ndarray:
    """Rows (many of them the same array) as a (steps x width) array: each distinct row copied once, then taken."""
    if not rows:
        return np.zeros((0, width))
    index: dict[int, int] = {}
    distinct = []
    for row in rows:
        if id(row) not in index:
            index[id(row)] = len(distinct)
            distinct.append(row)
    return np.stack(distinct)[[index[id(row)] for row in rows]]


POLICY_TABLES = ("tariff", "export_block")  # rows shared between the steps a policy does not change
RECORD_PRECISIONS = {"float64": np.float64, "float32": np.float32}  # `report.record_precision`
AUTO_FLOAT32_BYTES = 2**20  # `auto`: the summed tables in float32 where one step's rows in float64 exceed this


class Recorder:
    """Aggregates engine arrays into per-step rows: `rows[name]` holds a table's rows (`Rows`; a list of
    1-D arrays, shared while unchanged, for the policy tables)."""

    def __init__(self, network: SupplyNetwork, engine: Engine, days_per_step: float = 1.0, steps: int = 64,
                 precision: str = "float64", recorded: tuple[str, ...] | None = None):
        st = engine.structure
        self.engine = engine
        self.network = network
        self.days_per_step = days_per_step
        # firm outcomes (sim.firms): lowest output level, cumulative loss in days of own baseline output, and
        # the links whose supplier was qualified for more volume (with the step)
        self.firm_worst_level = np.ones(network.n_firms)
        self.firm_loss_days = np.zeros(network.n_firms)
        self.qualified_steps: list[int] = []
        self.qualified_links: list[np.ndarray] = []
        # what supplier search did (`sim.engine.search.LinkChanges`), one per search that did something
        self.link_changes: list = []
        n_econ, n_sec = network.n_economies, network.n_sectors
        self.n_cells = network.n_cells
        self.firm_cell = network.firm_cell.astype(index_dtype(network.n_cells))
        groups = engine.groups  # the engine's trade groups: deliveries and duties are recorded by them
        self.n_groups = groups.n
        self.group_use, self.group_sector = groups.use, groups.sector
        self.group_importer, self.group_exporter = groups.importer, groups.exporter
        self.cell_output0 = np.bincount(self.firm_cell, st.output0, self.n_cells)
        # input inventories grouped by (buyer economy, input sector)
        firm_slots = slice(0, st.n_firm_slots)
        inventory_group = network.firm_economy[st.slot_firm] * n_sec + st.slot_sector[firm_slots]
        self.inventory_group = inventory_group.astype(index_dtype(n_econ * n_sec))
        self.n_inventory_groups = n_econ * n_sec
        use0 = np.bincount(self.inventory_group, st.slot_flow0[firm_slots], self.n_inventory_groups)
        self.days_per_use = np.divide(days_per_step, use0, out=np.zeros_like(use0), where=use0 > 0)
        # final demand: the build's links after the last firm-bought one, grouped by consuming economy
        self.final_bounds = np.append(st.slot_start[st.n_firm_slots :], st.n_base_links).astype(np.int64)
        final_slots = slice(st.n_firm_slots, st.n_slots)
        self.final_economy = st.slot_buyer[final_slots] - st.n_firms
        self.final_weight0 = np.bincount(self.final_economy, st.slot_flow0[final_slots], n_econ)
        self.n_economies = n_econ
        # buyers' input slots grouped by (buyer economy, sector, use), use 1 = final demand
        slot_economy = np.concatenate((network.firm_economy[st.slot_firm], self.final_economy))
        self.n_slot_groups = n_econ * n_sec * 2
        slot_group = (slot_economy * n_sec + st.slot_sector) * 2 + st.slot_is_final
        self.slot_group = slot_group.astype(index_dtype(self.n_slot_groups))
        self.n_multinationals = groups.n_owners
        self.steady = self._steady_state()
        self._price_divisor = np.where(self.cell_output0 > 0, self.cell_output0, 1.0)
        self._final_divisor = np.where(self.final_weight0 > 0, self.final_weight0, 1.0)
        self._summed = [name for name in self.steady if name not in POLICY_TABLES]
        row_bytes = 8 * sum(len(self.steady[name]) for name in self._summed)
        if precision == "auto":
            precision = "float32" if row_bytes > AUTO_FLOAT32_BYTES else "float64"
        self.precision = precision  # of the summed tables' rows
        dtype = RECORD_PRECISIONS[precision]
        # the tables kept step by step (`report.record`); the others hold their latest row (what the Economy
        # agents, Mesa's DataCollector and the browser view read; policy rules read the policy history)
        self.recorded = tuple(self.steady) if recorded is None else tuple(recorded)
        unknown = set(self.recorded) - set(self.steady)
        if unknown:
            raise ValueError(f"no table(s) {', '.join(sorted(unknown))} to record; allowed: {', '.join(self.steady)}")
        if not set(ALWAYS_RECORDED) <= set(self.recorded):
            raise ValueError(f"{' and '.join(ALWAYS_RECORDED)} are always recorded: throughput and disruption are "
                             "measured on them")
        self.rows: dict[str, Rows | list[np.ndarray]] = {
            name: [] if name in POLICY_TABLES else Rows(len(row), steps, dtype, keep=name in self.recorded)
            for name, row in self.steady.items()}
        # in float32 the sums are taken in float64 rows, then stored; the steady rows are rounded as they would be
        self._sums = None
        if dtype != np.float64:
            self._sums = {name: np.empty(len(self.steady[name])) for name in self._summed}
            self.steady |= {name: self.steady[name].astype(dtype).astype(np.float64) for name in self._summed}

    def relinked(self, changes) -> None:
        """Follow a supplier search: keep its record."""
        if changes.events:
            self.link_changes.append(changes)

    def record(self, flows: StepFlows, policy: Policy) -> None:
        st, state = self.engine.structure, self.engine.state
        if flows.qualified is not None and len(flows.qualified):
            self.qualified_steps.append(state.step - 1)
            self.qualified_links.append(flows.qualified)
        for name, tensor in (("tariff", policy.tariff), ("export_block", policy.export_block)):
            self._record_policy(name, tensor)
        rows = self._sums or {name: self.rows[name].next() for name in self._summed}  # where the sums are written
        record_sums(
            firm_cell=self.firm_cell, output=flows.output, price=state.price, output0=st.output0,
            days_per_step=self.days_per_step, inventory_group=self.inventory_group, inventory=state.inventory,
            slot_group=self.slot_group, ordered_slot=flows.ordered_slot, shipped_slot=flows.shipped_slot,
            price_divisor=self._price_divisor, days_per_use=self.days_per_use, cell_output=rows["output"],
            cell_price=rows["price"], worst_level=self.firm_worst_level, loss_days=self.firm_loss_days,
            group_inventory=rows["inventory"], group_unfilled=rows["unfilled"])
        rows["delivered"][:] = flows.arrived_group
        rows["tariff_revenue"][:] = flows.duty_group
        rows["multinational_tariff_bill"][:] = flows.owner_duty
        self._consumer_price(flows.landed, rows["consumer_price"])
        for name in self._summed:
            if self._sums is not None:
                self.rows[name].next()[:] = self._sums[name]
            self.rows[name].commit()

    def _record_policy(self, name: str, tensor: np.ndarray) -> None:
        """Add a policy tensor's row; a step whose tensor is the last step's shares that row (policies change
        on few days, and at the size of a real table a tensor is megabytes)."""
        rows = self.rows[name]
        if rows and (not self.engine.policy_changed or np.array_equal(rows[-1], tensor.ravel())):
            rows.append(rows[-1])
        else:
            rows.append(tensor.ravel().copy())
        if name not in self.recorded:
            del rows[:-1]

    def bytes_per_step(self) -> int:
        """Memory the recorded tables add per step, on average so far (rows shared with the step before count
        once; a table not recorded holds one row however long the run)."""
        steps = len(self.rows["output"])
        if not steps:
            return 0
        policy = [name for name in POLICY_TABLES if name in self.recorded]
        held = sum(row.nbytes for name in policy for row in {id(r): r for r in self.rows[name]}.values())
        held += sum(self.rows[name].array().nbytes for name in self.recorded if name not in POLICY_TABLES)
        return held // steps

    def _inventory_days(self, inventory: np.ndarray) -> np.ndarray:
        """Input inventory per (economy, sector) in days of baseline use."""
        return group_sums(self.inventory_group, inventory, self.n_inventory_groups) * self.days_per_use

    def _consumer_price(self, landed: np.ndarray, out: np.ndarray) -> None:
        """The consumer price index by economy, written into `out`."""
        st, state = self.engine.structure, self.engine.state
        slot_price = np.empty(st.n_slots - st.n_firm_slots)
        run_dot(self.final_bounds, state.share, landed, slot_price)
        weighted = np.bincount(self.final_economy, st.slot_flow0[st.n_firm_slots :] * slot_price, self.n_economies)
        np.divide(weighted, self._final_divisor, out=out)

    def _steady_state(self) -> dict[str, np.ndarray]:
        """One row per table for the calibrated baseline (what a run without shocks records)."""
        st = self.engine.structure
        has_final = self.final_weight0 > 0
        owner = self.engine.groups.owner  # the multinational paying a link's duties, or -1
        paid = owner >= 0
        return {
            "output": self.cell_output0,
            "delivered": np.bincount(self.engine.groups.link, st.flow0, self.n_groups),
            "unfilled": np.zeros(self.n_slot_groups),
            "tariff_revenue": np.bincount(self.engine.groups.link, st.flow0 * st.tariff0, self.n_groups),
            "multinational_tariff_bill": np.bincount(owner[paid], (st.flow0 * st.tariff0)[paid], self.n_multinationals),
            "tariff": st.route_tariff0,
            "export_block": np.zeros_like(st.route_tariff0),
            "price": np.where(self.cell_output0 > 0, 1.0, 0.0),
            "inventory": self._inventory_days(st.inventory0),
            "consumer_price": has_final.astype(float),
        }

    @property
    def groups(self) -> dict[str, np.ndarray]:
        """The trade groups' codes by key (exporter, importer, sector, use), as sim.selection takes them."""
        return {"exporter": self.group_exporter, "importer": self.group_importer, "sector": self.group_sector,
                "use": self.group_use}

    # -- reads for agents ---------------------------------------------------------------------
    def latest(self, name: str) -> np.ndarray:
        rows = self.rows[name]
        return rows[-1] if rows else self.steady[name]

    def trade(self, economy: int, exports: bool) -> float:
        """Cross-border deliveries of the last step out of (exports) or into `economy`."""
        delivered = self.latest("delivered")
        cross = self.group_exporter != self.group_importer
        side = self.group_exporter if exports else self.group_importer
        return float(delivered[cross & (side == economy)].sum())

    def tariff_revenue(self, economy: int) -> float:
        return float(self.latest("tariff_revenue")[self.group_importer == economy].sum())

    def consumer_price_index(self) -> np.ndarray:
        return self.latest("consumer_price")

    def table(self, name: str) -> np.ndarray:
        """All recorded rows of one table as a (steps x columns) array."""
        return self.tables()[name]

    def tables(self) -> Tables:
        """Every recorded table (policy tables stacked when first read)."""
        rows = self.rows
        return Tables({name: list(rows[name]) if name in POLICY_TABLES else rows[name].array()
                       for name in self.recorded}, {name: len(row) for name, row in self.steady.items()})
