"""`sim validate [--out DIR] [--quick]`: run every validation check and write DIR/validation.md with its figures.

Prints one line per check as it finishes (verdict, seconds, title) and exits with status 1 if any
check fails, so `make validate` fails too. A missing validation extra (BoARIO, pymrio) is reported
as a user error naming the install command.
"""

from __future__ import annotations

import argparse
import json
import logging

from sim.extras import require

log = logging.getLogger(__name__)


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the checks at the chosen size and write the report."""
    require("validation", field="sim validate")
    from sim.validation.report import write_report
    from sim.validation.suite import run_checks

    def show(result) -> None:
        if not args.json:
            print(f"{result.verdict}  {result.seconds:6.1f} s  {result.name:<24} {result.title}", flush=True)

    results = run_checks(quick=args.quick, report=show)
    page = write_report(results, args.out, quick=args.quick)
    failed = [r.name for r in results if not r.passed]
    if args.json:
        print(json.dumps({"passed": len(results) - len(failed), "checks": len(results), "report": str(page),
                          "results": [{"name": r.name, "title": r.title, "verdict": r.verdict, "seconds": r.seconds}
                                      for r in results]}, indent=2))
    else:
        print(f"\n{len(results) - len(failed)} of {len(results)} checks pass")
        if failed:
            print(f"failed: {', '.join(failed)}")
    log.info("Wrote %s and its figures in %s/", page, page.parent / "figures")
    return 1 if failed else 0
