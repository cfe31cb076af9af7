"""BoARIO side by side on many tables: pymrio's test MRIO and seeded random MRIOs, several shocks each.

One table proves little, so the ARIO-like comparison of `sim.validation.peer` is repeated on the
random tables of `sim.validation.tables` (3 x 4 to 8 x 10) and on pymrio's test table, each with
shocks drawn from the table's seed (10-50% of capacity lost, for 10-60 days, in one to three
industries of one or two regions, then a linear recovery over 30 days), under both inventory
settings (BoARIO's default 90 days with a 60-day restoration, and lean 10 / 10 days). The
criterion is the same on every case; the report lists every case, the worst one, and each case
that fails with the rule that explains it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from sim.validation.peer import PART, ArioCase, compare_case
from sim.validation.result import CheckResult, new_figure
from sim.validation.settings import Size
from sim.validation.tables import TABLES, TableSpec, random_mrio
from sim.validation.theory import pymrio_test_table

LOSS_TOLERANCE = 0.20  # relative difference of cumulative loss ...
LOSS_FLOOR_DAYS = 0.01  # ... or this many days of baseline output, whichever is larger
RECOVERY_TOLERANCE = 0.20  # relative difference of recovery time ...
RECOVERY_FLOOR_DAYS = 7.0  # ... or this many days, whichever is larger
INVENTORY_SETTINGS = ((90, 60), (10, 10))  # (inventory days, restoration days)
SHARES, DURATIONS = (0.1, 0.25, 0.5), (10, 30, 60)


def drawn_shocks(io_system: Any, seed: int, count: int) -> list[ArioCase]:
    """`count` shocks drawn from `seed`: share, duration and one to three industries of one or two regions."""
    rng = np.random.default_rng(seed)
    regions, sectors = list(io_system.get_regions()), list(io_system.get_sectors())
    cases = []
    for _ in range(count):
        n_regions = int(rng.integers(1, 3))
        n_sectors = int(rng.integers(1, 4 - n_regions))  # at most three industries in all
        cases.append(ArioCase(
            label="", share=float(rng.choice(SHARES)), duration_days=int(rng.choice(DURATIONS)),
            regions=tuple(str(r) for r in rng.choice(regions, n_regions, replace=False)),
            sectors=tuple(str(s) for s in rng.choice(sectors, n_sectors, replace=False)),
            start_day=5, recovery_days=30))
    return cases


def tables(size: Size) -> list[tuple[str, Any, int]]:
    """(label, pymrio system, seed of its shocks) for pymrio's test table and the random tables."""
    chosen: tuple[TableSpec, ...] = TABLES if size.many_tables else TABLES[:2]
    return [("pymrio test MRIO", pymrio_test_table(), 7)] + [(spec.label, random_mrio(spec), spec.seed)
                                                           for spec in chosen]


def within(ours: float | None, theirs: float | None, relative: float, floor: float) -> bool:
    """|ours - theirs| <= max(relative * |theirs|, floor); two unrecovered runs agree, one alone does not."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) <= max(relative * abs(theirs), floor)


def compare_tables(size: Size, order_rule: str = "ario") -> pd.DataFrame:
    """One row per (table, shock, inventory setting): both models' total loss and recovery, and the verdict."""
    rows = []
    for label, io_system, seed in tables(size):
        for k, shock in enumerate(drawn_shocks(io_system, seed, size.shocks_per_table)):
            for inventory_days, restoration_days in INVENTORY_SETTINGS:
                case = replace(shock, label=label, inventory_days=inventory_days, restoration_days=restoration_days,
                               order_rule=order_rule)
                figures, ours, theirs = compare_case(io_system, case, size.boario_steps)
                m_ours, m_theirs = ours.metrics(), theirs.metrics()
                loss_ok = within(m_ours["cumulative_loss_days"], m_theirs["cumulative_loss_days"], LOSS_TOLERANCE,
                                 LOSS_FLOOR_DAYS)
                recovery_ok = within(m_ours["recovery_days"], m_theirs["recovery_days"], RECOVERY_TOLERANCE,
                                     RECOVERY_FLOOR_DAYS)
                rows.append({
                    "table": label, "shock": k + 1, "industries": case.where, "share": case.share,
                    "days": case.duration_days, "inventory / restoration": f"{inventory_days} / {restoration_days}",
                    "sim loss (days)": m_ours["cumulative_loss_days"],
                    "BoARIO loss (days)": m_theirs["cumulative_loss_days"],
                    "sim recovery (days)": m_ours["recovery_days"], "BoARIO recovery (days)": m_theirs["recovery_days"],
                    "sim peak (%)": m_ours["peak_loss_pct"], "BoARIO peak (%)": m_theirs["peak_loss_pct"],
                    "largest daily gap (pp)": figures["trajectory gap (pp)"],
                    "loss within": loss_ok, "recovery within": recovery_ok, "passed": loss_ok and recovery_ok})
    return pd.DataFrame(rows)


def _loss_excess(table: pd.DataFrame) -> pd.Series:
    """How far each case's loss gap is from its allowance (<= 1 passes): |gap| / max(20% |BoARIO|, floor)."""
    allowance = np.maximum(LOSS_TOLERANCE * table["BoARIO loss (days)"].abs(), LOSS_FLOOR_DAYS)
    return (table["sim loss (days)"] - table["BoARIO loss (days)"]).abs() / allowance


def check_boario_tables(size: Size, order_rule: str = "ario") -> CheckResult:
    """Cumulative loss and recovery time of both models on many tables and shocks, against one criterion."""
    started = time.perf_counter()
    table = compare_tables(size, order_rule)
    excess = _loss_excess(table)
    worst = int(np.argmax(excess.to_numpy()))
    failed = table[~table["passed"]]
    figure, (loss_ax, gap_ax) = new_figure(2, width=4.2, height=3.6)
    for setting, marker in zip(table["inventory / restoration"].unique(), "os", strict=True):
        part = table[table["inventory / restoration"] == setting]
        loss_ax.scatter(part["BoARIO loss (days)"], part["sim loss (days)"], marker=marker, s=18,
                        label=f"inventory / restoration {setting} days")
        gap_ax.scatter(part["BoARIO loss (days)"].abs(), excess[part.index], marker=marker, s=18, label=setting)
    low = min(table["BoARIO loss (days)"].min(), table["sim loss (days)"].min())
    high = max(table["BoARIO loss (days)"].max(), table["sim loss (days)"].max())
    loss_ax.plot([low, high], [low, high], "k:", lw=0.8)
    loss_ax.set_xlabel("BoARIO cumulative loss (days)")
    loss_ax.set_ylabel("sim cumulative loss (days)")
    loss_ax.legend(fontsize=7)
    gap_ax.axhline(1.0, color="k", ls=":", lw=0.8)
    gap_ax.set_xscale("symlog", linthresh=LOSS_FLOOR_DAYS)
    gap_ax.set_xlabel("|BoARIO cumulative loss| (days)")
    gap_ax.set_ylabel("loss gap / allowance (pass <= 1)")
    cases = len(table)
    return CheckResult(
        name="peer.boario_tables", part=PART, title="Many tables, many shocks: cumulative loss and recovery time",
        criterion=f"on every case: cumulative losses within {LOSS_TOLERANCE:.0%} of BoARIO's (or "
                  f"{LOSS_FLOOR_DAYS:g} days of baseline output, whichever is larger) and recovery times within "
                  f"{RECOVERY_TOLERANCE:.0%} (or {RECOVERY_FLOOR_DAYS:g} days); sim runs the `{order_rule}` order rule",
        passed=bool(table["passed"].all()),
        figures={"cases": cases, "tables": int(table["table"].nunique()), "cases failed": len(failed),
                 "worst loss gap / allowance": float(excess.iloc[worst]),
                 "worst case": f"{table['table'][worst]}, shock {table['shock'][worst]}, "
                               f"{table['inventory / restoration'][worst]} days",
                 "largest daily gap (pp)": float(table["largest daily gap (pp)"].max())},
        table=table, more_tables={"Cases that fail": failed} if len(failed) else {}, figure=figure,
        seconds=time.perf_counter() - started,
        notes=f"{cases} cases: pymrio's test table and {table['table'].nunique() - 1} seeded random MRIOs "
              "(`sim.validation.tables`: lognormal coefficients, structural zeros, home bias), each with "
              f"{size.shocks_per_table} shocks drawn from the table's seed, under both inventory settings. Both models "
              "run as in the single-table check above (same shock path; sim in the ARIO-like configuration with "
              "`engine.order_rule: ario`). Losses count gains negative: with 90-day inventories, restocking after "
              "the shock makes output rise above baseline for weeks in both models, so the net loss is a small "
              "difference of a loss and a gain, and the floor keeps cases with a net effect under "
              f"{LOSS_FLOOR_DAYS:g} days from being judged on rounding.")
