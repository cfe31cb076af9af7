"""Checks against theory: the Leontief identity, stationarity, Armington shares and the conservation ledger.

Each runs on a calibrated network (the record scenario) and, where the brief asks, on a network built
from a multi-regional table (pymrio's test MRIO, with several firms per cell so the firm network is
more than the table). Tolerances are stated once below and printed in the report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.engine import LedgerError
from sim.network import SupplyNetwork, build_network
from sim.scenario import ExportControl, Scenario
from sim.validation.result import CheckResult, new_figure
from sim.validation.settings import (
    ARMINGTON_SCENARIO,
    ARMINGTON_SECTOR,
    GLOVES,
    IMPORTER,
    MAGNETS,
    NON_RETALIATOR,
    RECORD_SCENARIO,
    TAXED_ORIGIN,
    Size,
)

PART = "Theory"
IDENTITY_TOLERANCE = 1e-9  # relative, for Leontief, stationarity and the ledger
ARMINGTON_TOLERANCE = 0.01  # relative error of each origin's long-run share


def _rel(a: np.ndarray, b: np.ndarray | float) -> float:
    """Largest relative difference of a from b (0 for empty arrays)."""
    a = np.asarray(a, float)
    b = np.broadcast_to(np.asarray(b, float), a.shape)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12))) if a.size else 0.0


def pymrio_test_table() -> Any:
    """pymrio's 6-region x 8-sector test MRIO with A, x and L computed."""
    import pymrio

    io_system = pymrio.load_test()
    io_system.calc_all()
    return io_system


def networks(seed: int = 7) -> dict[str, tuple[Scenario, Any]]:
    """The two tables the theory checks run on: (scenario, pymrio system or None) by label."""
    io_system = pymrio_test_table()
    mrio = sim.scenario_from_mrio(io_system, name="pymrio_test", firms_per_cell=3, suppliers_per_buyer=2)
    return {f"calibrated ({RECORD_SCENARIO})": (sim.load_scenario(RECORD_SCENARIO), None),
            "MRIO-built (pymrio test table, 3 firms per cell)": (mrio, io_system)}


def leontief_errors(scenario: Scenario, network: SupplyNetwork, io_system: Any = None) -> dict[str, float]:
    """Relative errors of the identities: firm outputs per cell = X = Z1 + Y1 = (I - A)^-1 Y1, link flows
    summed per block = Z, and (for an MRIO) X = pymrio's own x (per day)."""
    z, y = scenario.io_matrices()
    x = network.cell_output()
    a = np.divide(z, x[None, :], out=np.zeros_like(z), where=x[None, :] > 0)
    solved = np.linalg.solve(np.eye(len(x)) - a, y.sum(axis=1))
    final = network.link_is_final
    supplier_cell = network.firm_cell[network.link_supplier]
    rebuilt = np.zeros_like(z)
    np.add.at(rebuilt, (supplier_cell[~final], network.firm_cell[network.link_buyer[~final]]),
              network.link_flow[~final])
    errors = {"X = Z1 + Y1": _rel(x, z.sum(axis=1) + y.sum(axis=1)), "X = (I - A)^-1 Y1": _rel(solved, x),
              "link flows = Z": _rel(rebuilt[z > 0], z[z > 0])}
    if io_system is not None:
        days = scenario.time.steps_per_year
        errors["X = pymrio x"] = _rel(x, io_system.x.to_numpy().ravel() / days)
        errors["X = pymrio L Y1"] = _rel(x, io_system.L.to_numpy() @ io_system.Y.to_numpy().sum(axis=1) / days)
    return errors


def check_leontief(size: Size) -> CheckResult:
    """Firm outputs summed per cell reproduce X, and X solves the Leontief system, on both tables."""
    started = time.perf_counter()
    rows = []
    figure, axes = new_figure(2, width=4.2, height=3.6)
    for ax, (label, (scenario, io_system)) in zip(axes, networks().items(), strict=True):
        network = build_network(scenario, np.random.default_rng(scenario.seed))
        for identity, error in leontief_errors(scenario, network, io_system).items():
            rows.append({"table": label, "identity": identity, "max relative error": error})
        z, y = scenario.io_matrices()
        x = network.cell_output()
        a = np.divide(z, x[None, :], out=np.zeros_like(z), where=x[None, :] > 0)
        solved = np.linalg.solve(np.eye(len(x)) - a, y.sum(axis=1))
        keep = x > 0
        ax.loglog(solved[keep], x[keep], "o", ms=3)
        lo, hi = x[keep].min(), x[keep].max()
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.6)
        ax.set_title(label.split(" (")[0], fontsize=9)
        ax.set_xlabel("(I - A)^-1 Y1 per cell (per day)")
        ax.set_ylabel("firm outputs summed per cell")
    table = pd.DataFrame(rows)
    worst = float(table["max relative error"].max())
    return CheckResult(
        name="theory.leontief", part=PART, title="Leontief identity on calibrated and MRIO-built networks",
        criterion=f"every identity holds to a relative error below {IDENTITY_TOLERANCE:g}",
        passed=worst < IDENTITY_TOLERANCE, figures={"worst relative error": worst}, table=table, figure=figure,
        notes="The network is built from each table (random firm sizes and couplings); the identities are then "
              "recomputed from the firms' link flows. For the MRIO the reference x and L are pymrio's own.",
        seconds=time.perf_counter() - started)


def stationarity_path(scenario: Scenario, steps: int, rng: int = 11) -> np.ndarray:
    """Largest relative deviation from the calibrated state per step (outputs, flows, prices, stocks, orders)."""
    model = sim.SupplyChainModel(scenario, rng=rng, firm_agents=False)
    st = model.engine.structure
    path = np.zeros(steps)
    for t in range(steps):
        model.step()
        s, f = model.engine.state, model.last_flows
        path[t] = max(_rel(f.output, st.output0), _rel(f.shipped, st.flow0), _rel(f.arrived, st.flow0),
                      _rel(s.price, 1.0), _rel(s.inventory, st.inventory0), _rel(s.orders, st.flow0),
                      _rel(s.share, st.w0))
    return path


def check_stationarity(size: Size, cases: Mapping[str, Scenario] | None = None) -> CheckResult:
    """Without a shock every quantity stays at its calibrated value for the whole run."""
    started = time.perf_counter()
    if cases is None:
        cases = {label: scenario.without_shocks() for label, (scenario, _) in networks().items()}
    figure, (ax,) = new_figure()
    rows = []
    for label, scenario in cases.items():
        path = stationarity_path(scenario, size.stationarity_steps)
        rows.append({"table": label, "steps": size.stationarity_steps, "max relative deviation": float(path.max())})
        ax.semilogy(np.arange(1, len(path) + 1), np.maximum(path, 1e-18), label=label, lw=1)
    ax.axhline(IDENTITY_TOLERANCE, color="r", ls="--", lw=0.8, label="criterion")
    ax.set_xlabel("day")
    ax.set_ylabel("max relative deviation from baseline")
    ax.legend(fontsize=7)
    table = pd.DataFrame(rows)
    worst = float(table["max relative deviation"].max())
    return CheckResult(
        name="theory.stationarity", part=PART, title="Stationarity without shocks",
        criterion=f"outputs, shipments, arrivals, prices, inventories, orders and order shares stay within a "
                  f"relative {IDENTITY_TOLERANCE:g} of baseline on every step",
        passed=worst < IDENTITY_TOLERANCE, figures={"worst relative deviation": worst,
                                                    "steps": size.stationarity_steps},
        table=table, figure=figure, seconds=time.perf_counter() - started,
        notes="Deviations of exactly zero are drawn at 1e-18.")


def armington_shares(sigma: float, rate: float, steps: int, overrides: Mapping[str, Any] | None = None
                     ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Baseline, simulated and CES-formula shares of the importer's intermediate purchases by origin."""
    # the CES law at sector level is that of buyers sharing the cell's mix: the homogeneous draw (under
    # heterogeneous sourcing it holds buyer by buyer, tests/test_engine.py); slack means spare capacity and no
    # limit on the volume a buyer moves to a supplier, and no supplier search (CES within the suppliers there are)
    settings = {"network.sourcing": "homogeneous", "engine.volume_flexibility": None, "engine.search_days": None,
                "engine.spare_capacity": 3.0,
                "engine.switching_days": 20.0,
                f"sectors.{ARMINGTON_SECTOR}.armington_sigma": sigma,
                "tariffs.applied": [{"importer": IMPORTER, "exporters": [TAXED_ORIGIN], "sectors": [ARMINGTON_SECTOR],
                                     "rate": rate}]}
    settings.update(overrides or {})
    res = sim.run(ARMINGTON_SCENARIO, steps=steps, overrides=settings)
    base = res.baseline.import_shares(IMPORTER, ARMINGTON_SECTOR, "intermediate").iloc[-1]
    simulated = res.import_shares(IMPORTER, ARMINGTON_SECTOR, "intermediate").iloc[-1]
    wedge = pd.Series(1.0, index=base.index)
    wedge[TAXED_ORIGIN] = 1.0 + rate
    formula = base * wedge ** -sigma
    return base, simulated, formula / formula.sum()


def check_armington(size: Size, overrides: Mapping[str, Any] | None = None) -> CheckResult:
    """Long-run import shares after a tariff follow share0 (1 + tau)^-sigma, renormalised, across sigma and tau."""
    started = time.perf_counter()
    rows = []
    for sigma in size.armington_sigmas:
        for rate in size.armington_rates:
            base, simulated, formula = armington_shares(sigma, rate, size.armington_steps, overrides)
            present = base > 0
            rows.append({"sigma": sigma, "tariff": rate, f"{TAXED_ORIGIN} share before": base[TAXED_ORIGIN],
                         f"{TAXED_ORIGIN} share simulated": simulated[TAXED_ORIGIN],
                         f"{TAXED_ORIGIN} share formula": formula[TAXED_ORIGIN],
                         "max relative error (all origins)": _rel(simulated[present], formula[present])})
    table = pd.DataFrame(rows)
    worst = float(table["max relative error (all origins)"].max())
    figure, (left, right) = new_figure(2, width=4.4)
    for sigma, group in table.groupby("sigma"):
        line, = right.plot(group["tariff"], group[f"{TAXED_ORIGIN} share formula"], "-", lw=1,
                           label=f"sigma {sigma:g}")
        right.plot(group["tariff"], group[f"{TAXED_ORIGIN} share simulated"], "o", color=line.get_color())
        left.plot(group[f"{TAXED_ORIGIN} share formula"], group[f"{TAXED_ORIGIN} share simulated"], "o",
                  color=line.get_color(), label=f"sigma {sigma:g}")
    left.plot([0, table[f"{TAXED_ORIGIN} share before"].max()], [0, table[f"{TAXED_ORIGIN} share before"].max()],
              "k-", lw=0.6)
    left.set_xlabel("formula share0 (1+tau)^-sigma (renormalised)")
    left.set_ylabel("simulated share")
    right.set_xlabel(f"tariff on {TAXED_ORIGIN} {ARMINGTON_SECTOR}")
    right.set_ylabel(f"{TAXED_ORIGIN} share of {IMPORTER} purchases")
    right.legend(fontsize=7, title="lines: formula, dots: simulated", title_fontsize=7)
    return CheckResult(
        name="theory.armington", part=PART, title="Armington import shares after a tariff",
        criterion=f"with capacity slack, every origin's long-run share is within {ARMINGTON_TOLERANCE:.0%} "
                  "(relative) of the CES formula, for every sigma and tariff level in the grid",
        passed=worst < ARMINGTON_TOLERANCE, figures={"worst relative error": worst, "runs": len(table)},
        table=table, figure=figure, seconds=time.perf_counter() - started,
        notes=f"Scenario `{ARMINGTON_SCENARIO}`: {IMPORTER} firms' purchases of {ARMINGTON_SECTOR} from "
              f"every origin, tariff on {TAXED_ORIGIN} only, spare capacity 300%, "
              f"switching time 20 days, shares read on the last of {size.armington_steps} days.")


def ledger_scenario() -> Scenario:
    """The record scenario with the ledger on, a capacity shock and an export licence, so every identity is used."""
    scenario = sim.load_scenario(RECORD_SCENARIO, overrides={
        "engine.check_ledger": True,
        "capacity_shocks": [{"cells": [f"{NON_RETALIATOR}.{GLOVES}"], "share": 0.5, "start_day": 20,
                             "duration_days": 30, "recovery_days": 30}],
    })
    scenario.export_controls.append(ExportControl(exporter=TAXED_ORIGIN, importers=[IMPORTER], sectors=[MAGNETS],
                                                  share=0.5, licensing_days=20, start_day=200, end_day=260))
    return scenario


def check_ledger(size: Size, scenario: Scenario | None = None) -> CheckResult:
    """Goods are conserved: the per-firm ledger holds every step and the economy-wide stock balances."""
    started = time.perf_counter()
    scenario = scenario or ledger_scenario()
    model = sim.SupplyChainModel(scenario, rng=3, firm_agents=False)
    st = model.engine.structure
    scale = st.flow0.sum()

    def stock() -> float:
        state = model.engine.state
        return float(state.inventory.sum() + state.in_transit_by_link().sum())

    residual, error = np.zeros(size.ledger_steps), ""
    before = stock()
    for t in range(size.ledger_steps):
        try:
            model.step()
        except LedgerError as exc:
            error = f"day {t}: {exc}"
            residual = residual[:t]
            break
        f = model.last_flows
        after = stock()
        expected = f.shipped.sum() - f.used.sum() - f.arrived[st.link_is_final].sum()  # links change by search
        residual[t] = max(abs((after - before) - expected), abs(f.output.sum() - f.shipped.sum())) / scale
        before = after
    worst = float(residual.max()) if residual.size else float("nan")
    figure, (ax,) = new_figure()
    ax.semilogy(np.arange(1, len(residual) + 1), np.maximum(residual, 1e-18), lw=1)
    ax.axhline(IDENTITY_TOLERANCE, color="r", ls="--", lw=0.8, label="criterion")
    ax.set_xlabel("day")
    ax.set_ylabel("economy-wide imbalance / daily flow")
    ax.legend(fontsize=7)
    passed = not error and worst < IDENTITY_TOLERANCE
    return CheckResult(
        name="theory.ledger", part=PART, title="Conservation ledgers under shocks and policies",
        criterion=f"per step, for every firm and input slot: produced = shipped, inventory change = arrivals - use, "
                  f"transit change = shipped - arrived, nothing negative (relative {IDENTITY_TOLERANCE:g}); and "
                  "economy-wide: change in (inventories + goods in transit or awaiting a licence) = shipped - used - "
                  "delivered to final demand",
        passed=passed, figures={"steps checked": len(residual), "worst economy-wide imbalance": worst,
                                "ledger violation": error or None},
        figure=figure, seconds=time.perf_counter() - started,
        notes=f"`{RECORD_SCENARIO}` with its tariffs, retaliation and export controls, plus a 50% capacity loss of "
              f"{NON_RETALIATOR}.{GLOVES} and a licensing lag on {TAXED_ORIGIN} {MAGNETS} to {IMPORTER}; "
              "`engine.check_ledger` checks the per-firm identities inside every step.")
