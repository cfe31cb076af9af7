"""The list of validation checks and a runner: each check takes a `Size` and returns a `CheckResult`.

Order is the report's order: theory, the peer model, the record. `run_checks(quick=True)` runs the
reduced size the tests use; the default size is the one `make validate` writes to docs/validation.md.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.validation import firm_level, peer, peer_tables, record, statics, theory
from sim.validation.result import CheckResult
from sim.validation.settings import FULL, QUICK, Size

Check = Callable[[Size], CheckResult]

CHECKS: tuple[Check, ...] = (
    theory.check_leontief,
    theory.check_stationarity,
    theory.check_armington,
    theory.check_ledger,
    statics.check_comparative_statics,
    firm_level.check_heterogeneity,
    peer.check_boario,
    peer_tables.check_boario_tables,
    peer.check_boario_stress,
    peer.check_reports_and_speed,
    record.check_pass_through,
    record.check_diversion_2018,
    record.check_diversion_2025,
    record.check_magnets,
    record.check_exports_2025,
)


def run_checks(quick: bool = False, report: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run every check at the quick or full size; `report` is called with each result as it arrives."""
    size = QUICK if quick else FULL
    results = []
    for check in CHECKS:
        result = check(size)
        if report is not None:
            report(result)
        results.append(result)
    return results
