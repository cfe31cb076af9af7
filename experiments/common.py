"""Command line and output conventions shared by the research scripts in this folder.

Every script asks one question with one sweep: `--quick` shrinks it (fewer points, shorter runs)
for the test suite, `--workers N` sets the local processes (0: run in the script's process),
`--out DIR` the results folder (default `results/<experiment>/`, and `results/<experiment>-quick/`
with `--quick`, so that a quick run never overwrites a full one). The sweep's data go to `DIR/sweep/`
(or `DIR/sweep-quick/`), resumable like any sweep; figures (PNG) and a table (CSV) go to `DIR/` itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.errors import ScenarioError  # noqa: E402
from sim.sweep import SweepResult  # noqa: E402


def arguments(experiment: str, question: str) -> argparse.Namespace:
    """Parse the common options; `experiment` names the default output folder."""
    parser = argparse.ArgumentParser(description=question)
    parser.add_argument("--quick", action="store_true", help="reduced size (for tests): few points, short runs")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: all cores; 0: in this process)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: results/{experiment}/; with --quick, "
                             f"results/{experiment}-quick/)")
    parser.add_argument("--overwrite", action="store_true", help="discard earlier sweep results in the folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()
    args.experiment = experiment
    if args.out is None:  # a quick run never overwrites the figures and table of a full one
        args.out = ROOT / "results" / (f"{experiment}-quick" if args.quick else experiment)
    return args


def run_sweep(spec: dict, args: argparse.Namespace) -> SweepResult:
    """Run (or resume) the experiment's sweep and report failed runs."""
    out = args.out / ("sweep-quick" if args.quick else "sweep")
    try:
        result = sim.sweep(spec, workers=args.workers, out=out, progress=not args.quiet, overwrite=args.overwrite)
    except ScenarioError as exc:  # a bad spec or a changed one: say what, no traceback
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"{spec['name']}: {result.runs_finished}/{result.runs_total} runs finished, {result.runs_failed} failed "
          f"({result.runs_this_session} ran now, {result.wall_s:.1f} s)")
    if result.runs_failed:
        runs = result.runs()
        for row in runs[runs["status"] == "failed"].head(3).itertuples():
            print(f"  run {row.run_id} failed: {row.error}")
    return result


def write_table(table: pd.DataFrame, args: argparse.Namespace, name: str = "table.csv") -> Path:
    """Write the experiment's table as CSV and print it."""
    path = args.out / name
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.4g")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"wrote {path}")
    return path


def point_table(runs: pd.DataFrame, parameters: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean of each metric per combination of parameter values (over replicates), failed runs excluded."""
    ok = runs[runs["status"] == "ok"]
    table = ok.groupby(parameters, sort=True, observed=True)[metrics].mean().reset_index()
    table.insert(len(parameters), "runs", ok.groupby(parameters, sort=True, observed=True).size().to_numpy())
    return table
