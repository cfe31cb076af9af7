"""SupplyChainModel: the Mesa model that wires scenario, network, agents, engine and record.

One `step()` follows docs/model.md, 'One step': the policy makers (governments and multinationals, Mesa
agents that own the scenario's policy rules, sim.policies) act phase by phase, each phase through a Mesa
AgentSet of the agents with rules in it: the schedule writes this step's tariffs and export controls
into the policy tensors, then quotas, negotiation, truces and retaliation act on them; capacity shocks
set each firm's available capacity, relocation plans move some of it; the engine runs the vectorised
firm step; the policy history (what rules observe) and the recorder (what results report) add the
step. Firms are Mesa agents that are views over the engine's arrays; for very large networks they are
created on demand (`model.firm(i)`) rather than all at once. `running` turns False once the scenario's
`time.steps` are done (Mesa's convention: `mesa.batch_run` stops there even with a larger
`max_steps`, and the browser view's Play stops); `step()` and `run_for` go on when asked. Mesa's
DataCollector gathers total output, throughput and tariff revenue each step for Mesa's tools
(`mesa.batch_run`); a run whose results come from the recorder alone (sim.run) can leave it empty.
"""

from __future__ import annotations

import bisect
import math
from pathlib import Path

import mesa
import numpy as np
from mesa.agent import AgentSet
from mesa.experimental.scenarios import Scenario as MesaScenario
from tqdm.auto import tqdm

from sim.agents import Economy, Firm, Government, Multinational
from sim.engine.core import Engine, EngineParams, Policy, StepFlows
from sim.engine.ledger import check_ledger
from sim.network import SupplyNetwork, build_network
from sim.policies import PHASES, build_rules
from sim.policies.history import PolicyHistory
from sim.recorder import Recorder
from sim.results import Results
from sim.scenario import Scenario, load_scenario
from sim.stability import capacity_shocks

EAGER_FIRM_LIMIT = 100_000
REACTING_PHASES = PHASES[1:PHASES.index("relocate")]  # the phases between the schedule and capacity shocks


class Names:
    """Name -> index lookups for economies and sectors ('*' means all)."""

    def __init__(self, economies: list[str], sectors: list[str]):
        self._economies = {n: i for i, n in enumerate(economies)}
        self._sectors = {n: i for i, n in enumerate(sectors)}

    def economy(self, name: str) -> int:
        return self._economies[name]

    def economies(self, names: list[str] | str) -> np.ndarray:
        lookup = self._economies
        return np.arange(len(lookup)) if names == "*" else np.array([lookup[n] for n in names], dtype=np.intp)

    def sectors(self, names: list[str] | str) -> np.ndarray:
        lookup = self._sectors
        return np.arange(len(lookup)) if names == "*" else np.array([lookup[n] for n in names], dtype=np.intp)

    def lines(self, economy: str, partners: list[str] | str, sectors: list[str] | str) -> tuple:
        """Index of every (economy, partner, sector) combination in a policy tensor, the economy itself never
        among its partners: tariffs and export controls fall on cross-border trade only."""
        me = self.economy(economy)
        others = self.economies(partners)
        others = others[others != me]
        sectors = self.sectors(sectors)  # the open mesh np.ix_ would build, without its checks
        return (np.full((1, 1, 1), me, dtype=np.intp), others.reshape(1, -1, 1), sectors.reshape(1, 1, -1))


    def flat_lines(self, economy: str, partners: list[str] | str, sectors: list[str] | str) -> list[int]:
        """The lines of `lines` as flat indices into a C-ordered [economy, partner, sector] tensor, in the
        same order (plain integers: cheap for the many one-line entries of a baseline table)."""
        me = self._economies[economy]
        n_econ, n_sec = len(self._economies), len(self._sectors)
        others = range(n_econ) if partners == "*" else [self._economies[n] for n in partners]
        chosen = range(n_sec) if sectors == "*" else [self._sectors[n] for n in sectors]
        return [(me * n_econ + o) * n_sec + k for o in others if o != me for k in chosen]


def tariff_tensor(scenario: Scenario, entries, names: Names) -> np.ndarray:
    """tariff[importer, exporter, sector] set by `entries` in order (later entries override). Consecutive
    entries that set a rate are applied together, each line taking the rate of the last entry naming it."""
    n_econ, n_sec = len(scenario.economies), len(scenario.sectors)
    tensor = np.zeros((n_econ, n_econ, n_sec))
    flat = tensor.reshape(-1)  # a view: writes land in the tensor
    lines: list[int] = []
    rates: list[float] = []

    def set_rates() -> None:
        if lines:
            index = np.array(lines, dtype=np.intp)
            last = len(index) - 1 - np.unique(index[::-1], return_index=True)[1]  # each line's last entry
            flat[index[last]] = np.array(rates)[last]
            lines.clear()
            rates.clear()

    for entry in entries:
        at = names.flat_lines(entry.importer, entry.exporters, entry.sectors)
        if entry.rate is not None:
            lines.extend(at)
            rates.extend([entry.rate] * len(at))
        else:  # an increase reads the rate in force: every earlier entry first
            set_rates()
            flat[at] = entry.on(flat[at])
    set_rates()
    return tensor


def baseline_tariff_tensor(scenario: Scenario, names: Names) -> np.ndarray:
    """The calibration-year tariffs of `scenario` (`tariff_tensor` of `tariffs.baseline`), read-only, worked out
    once per set of validated baseline lines: the runs of a sweep derive their scenarios from one base and share
    its line objects (sim.scenario.derive), and a real table's baseline has thousands of lines."""
    entries = scenario.tariffs.baseline
    key = (tuple(map(id, entries)), tuple(scenario.economy_names), tuple(scenario.sector_names))
    held = _baseline_tensors.get(key)
    if held is not None:
        return held[1]
    tensor = tariff_tensor(scenario, entries, names)
    tensor.flags.writeable = False
    if len(_baseline_tensors) >= 8:
        _baseline_tensors.clear()
    _baseline_tensors[key] = (list(entries), tensor)  # the lines are held, so their ids are not reused
    return tensor


_baseline_tensors: dict[tuple, tuple[list, np.ndarray]] = {}  # (ids of the lines, names) -> (the lines, tensor)


class CapacityShocks:
    """Exogenous capacity losses: each hits firms from its start, for its duration, then recovers linearly."""

    def __init__(self, scenario: Scenario, network: SupplyNetwork):
        self.shocks = []
        for shock in scenario.capacity_shocks:
            cells = [scenario.cell_index(c) for c in shock.cells]
            firms = np.union1d(np.flatnonzero(np.isin(network.firm_cell, cells)), np.array(shock.firms, dtype=np.intp))
            firms = firms[firms < network.n_firms].astype(np.intp)
            self.shocks.append((firms, shock.share, shock.start_day, shock.duration_days, shock.recovery_days))

    def capacity(self, day: float, n_firms: int) -> np.ndarray:
        """Share of baseline capacity available to each firm on `day`."""
        factor = np.ones(n_firms)
        for firms, share, start, duration, recovery in self.shocks:
            since = day - start
            if since < 0:
                continue
            if since < duration:
                lost = share
            elif recovery > 0 and since < duration + recovery:
                lost = share * (1 - (since - duration) / recovery)
            else:
                continue
            factor[firms] *= 1 - lost
        return factor


class SupplyChainModel(mesa.Model):
    """Firms on a supply network under tariffs, export controls and capacity shocks.

    Scenario fields can be overridden by dotted keyword parameters (as `sim run --set` takes them), so
    `mesa.batch_run` can sweep them: `mesa.batch_run(SupplyChainModel, {"scenario": "tiny",
    "engine.restoration_days": [10, 30]}, max_steps=30)`.

    >>> model = SupplyChainModel(load_scenario("tiny"), rng=42)
    >>> model.run_for(30)
    >>> model.results().summary()["steps"]
    30
    >>> SupplyChainModel("tiny", **{"engine.restoration_days": 30}).config.engine.restoration_days
    30.0
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        rng=None,
        network: SupplyNetwork | None = None,
        firm_agents: bool | None = None,
        data_collector: bool = True,
        **overrides,
    ):
        if isinstance(scenario, Scenario) and overrides:
            raise ValueError(f"scenario overrides ({', '.join(overrides)}) go with a scenario name or path, not "
                             "with a loaded Scenario")
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, overrides)
        # Mesa's place for a model's scenario: its seed, and sim's validated scenario as `config`
        super().__init__(scenario=MesaScenario(rng=scenario.seed if rng is None else rng, config=scenario))
        self.config = scenario
        self.index = Names(scenario.economy_names, scenario.sector_names)
        self.network = network if network is not None else build_network(scenario, self.rng)
        self.days_per_step = 365.0 / scenario.time.steps_per_year
        baseline_tariff = baseline_tariff_tensor(scenario, self.index)
        self.engine = Engine(self.network, EngineParams.from_scenario(scenario), baseline_tariff)
        self.baseline_tariff = baseline_tariff
        self.shocks = CapacityShocks(scenario, self.network)
        self.policy = Policy(baseline_tariff.copy(), np.zeros_like(baseline_tariff), np.ones(self.network.n_firms))
        self.recorder = Recorder(self.network, self.engine, self.days_per_step, scenario.time.steps,
                                 scenario.report.record_precision, scenario.report.recorded())
        self.last_flows: StepFlows | None = None
        self.check_ledger = scenario.engine.check_ledger

        self.events: list[dict] = []
        self.history = PolicyHistory(self.engine, baseline_tariff)
        self.baseline_trade = self.history.baseline_trade  # [exporter, importer, sector] per step
        self.economies = {name: Economy(self, name) for name in scenario.economy_names}
        self.governments = {name: Government(self, name) for name in scenario.economy_names}
        self.multinationals = {m.name: Multinational(self, m.name, m.home) for m in scenario.multinationals}
        rules = build_rules(self)
        for rule in rules:
            (self.governments if rule.agent == "government" else self.multinationals)[rule.owner].adopt(rule)
        self.history.keep(max((rule.lookback_steps for rule in rules), default=1))
        makers = [*self.governments.values(), *self.multinationals.values()]
        # per phase, the policy makers with rules in it, in order (governments by economy, then multinationals)
        self.acting = {phase: AgentSet([m for m in makers if phase in m.phases()], random=self.random)
                       for phase in PHASES}
        # the days on which a schedule entry starts or ends: between two of them the schedule is the same
        self._schedule_days = sorted(set().union(*(rule.change_days() for rule in rules if rule.phase == "schedule")))
        self._schedule_until = -math.inf
        self._schedule: tuple[np.ndarray, ...] = ()
        self._firms: dict[int, Firm] = {}
        self.closed_plants = np.zeros(0, dtype=np.intp)  # firms removed (Firm.remove): no capacity from then on
        if firm_agents or (firm_agents is None and self.network.n_firms <= EAGER_FIRM_LIMIT):
            for i in range(self.network.n_firms):
                self.firm(i)
        self.datacollector = mesa.DataCollector(model_reporters={
            "output": lambda m: float(m.recorder.latest("output").sum()),
            "throughput": lambda m: float(m.recorder.latest("delivered").sum()),
            "tariff_revenue": lambda m: float(m.recorder.latest("tariff_revenue").sum()),
        } if data_collector else {})

    # -- agents -------------------------------------------------------------------------------
    def firm(self, index: int) -> Firm:
        """The `Firm` agent of firm `index`, created on first use."""
        if not 0 <= index < self.network.n_firms:
            raise IndexError(f"firm {index} does not exist (the network has {self.network.n_firms} firms)")
        agent = self._firms.get(index)
        if agent is None:
            agent = self._firms[index] = Firm(self, int(index))
        return agent

    def close_plant(self, index: int) -> None:
        """Take firm `index` out of production from the next step on (what removing its Firm agent does)."""
        self.closed_plants = np.union1d(self.closed_plants, [index]).astype(np.intp)
        self._firms.pop(index, None)
        net = self.network
        cell = int(net.firm_cell[index])
        self.log_event(actor=f"firm {index}", action="plant closed", partner="",
                       sectors=net.sectors[cell % net.n_sectors], value=float(self.engine.structure.capacity0[index]),
                       rule="remove", reason=f"its Firm agent was removed; {net.economies[cell // net.n_sectors]} "
                                             "loses its capacity from the next step on", source="")

    @property
    def day(self) -> float:
        """Day (from the scenario's day 0) of the step about to run."""
        return self.engine.state.step * self.days_per_step

    def release(self) -> None:
        """Free the run's arrays now: the engine, the recorder and the policy history go, results taken before
        stay whole, and the model cannot step again. A Mesa model is held in reference cycles by its agents and
        event machinery, so without this its arrays wait for Python's cycle collector, and each run of a sweep
        would page in fresh memory (sim.run releases both of its models)."""
        self.engine = self.recorder = self.history = self.last_flows = None
        self.running = False

    def _check_live(self, action: str) -> None:
        if self.engine is None:
            raise RuntimeError(f"this model's arrays were released (SupplyChainModel.release): it cannot {action}")

    # -- one step -----------------------------------------------------------------------------
    def step(self) -> None:
        self._check_live("step again")
        day = self.day
        policy = self.policy
        self._set_schedule(policy, day)
        for phase in REACTING_PHASES:
            if self.acting[phase]:
                self.acting[phase].do("act", phase, policy)
        policy.capacity = self.shocks.capacity(day, self.network.n_firms)
        policy.capacity[self.closed_plants] = 0.0
        if self.acting["relocate"]:
            self.acting["relocate"].do("act", "relocate", policy)
        if self.engine.search_due():
            self.recorder.relinked(self.engine.revise_suppliers())
        before = self.engine.state.copy() if self.check_ledger else None
        flows = self.engine.step(policy)
        if before is not None:
            check_ledger(self.engine.structure, before, self.engine.state, flows)
        self.last_flows = flows
        self.history.add(policy.tariff, policy.export_block, flows.arrived_group, flows.shipped)
        self.recorder.record(flows, policy)
        self.datacollector.collect(self)
        # the scenario's run is over (Mesa's convention: batch_run and the browser view's Play stop); run_for
        # and step() go on stepping when asked to
        self.running = self.engine.state.step < self.config.time.steps

    def _set_schedule(self, policy: Policy, day: float) -> None:
        """The schedule's tariffs and controls for `day`: worked out by the governments' schedules on the days an
        entry starts or ends, copied from the last such day otherwise (the rules that react act on the copy)."""
        if day >= self._schedule_until:
            policy.tariff[:] = self.baseline_tariff
            policy.export_block[:] = 0.0
            policy.licensing_share[:] = 0.0
            policy.licensing_steps[:] = 0
            self.acting["schedule"].do("act", "schedule", policy)
            self._schedule = tuple(a.copy() for a in (policy.tariff, policy.export_block, policy.licensing_share,
                                                      policy.licensing_steps))
            later = self._schedule_days[bisect.bisect_right(self._schedule_days, day):]
            self._schedule_until = later[0] if later else math.inf
            return
        for target, source in zip((policy.tariff, policy.export_block, policy.licensing_share, policy.licensing_steps),
                                  self._schedule, strict=True):
            np.copyto(target, source)

    @property
    def tariff_history(self) -> np.ndarray:
        """Applied tariffs per completed step: [step, importer, exporter, sector]."""
        return self.recorder.table("tariff").reshape(-1, *self.baseline_tariff.shape)

    def log_event(self, **event) -> None:
        """Add a policy action to the event log (who, what, why), stamped with the step and day."""
        for key in ("partner", "sectors"):
            if not isinstance(event.get(key, ""), str):
                event[key] = ",".join(event[key])
        self.events.append({"step": self.engine.state.step + 1, "day": self.day} | event)

    def run(self, steps: int | None = None, progress: bool = False, label: str | None = None) -> None:
        """Run `steps` steps (default: the scenario's run length), with an optional progress bar."""
        steps = self.config.time.steps if steps is None else steps
        for _ in tqdm(range(steps), desc=label or self.config.name, unit="step", disable=not progress, leave=False):
            self.step()

    def results(self) -> Results:
        self._check_live("give results again")
        results = Results.from_recorder(
            self.recorder,
            self.config.name,
            self.network.economies,
            self.network.sectors,
            self.days_per_step,
            self.network.n_firms,
            self.network.n_links,
            self.config.io.units.removesuffix("_per_year"),
            events=self.events,
            multinationals=self.network.multinationals,
            multinational_homes=self.network.multinational_home,
            start_date=self.config.time.start_date,
        )
        results.report = self.config.report
        results.capacity_shocks = capacity_shocks(self.config)  # the instability warnings' window starts after them
        return results
