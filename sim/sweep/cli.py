"""`sim sweep SWEEP.yaml [--workers N | --scheduler tcp://host:port | --dask-local N] [--out DIR]`.

Validates the spec (a bad one exits with status 2 before any run), runs what is not finished yet in
the output folder, prints how it went and writes the standard figures of the design. With
`--profile [N]` it runs only the design's first N runs in this process and reports where their time
goes (`sim.sweep.profile`), writing nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from sim.errors import ScenarioError

log = logging.getLogger(__name__)


def add_parser(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """The `sweep` subcommand and its options (`parents`: the options every command shares)."""
    p = commands.add_parser("sweep", parents=parents,
                            help="run a parameter sweep (resumable), stream results to Parquet")
    p.add_argument("spec", help="sweep YAML file, or the name of one in configs/sweeps (e.g. tiny_grid)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="local worker processes (default: all cores; 0: run in this process)")
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    where.add_argument("--dask-local", type=int, default=None, metavar="N", help="start a Dask LocalCluster of N")
    p.add_argument("--out", type=Path, default=None, help="results folder (default: results/sweeps/<name>)")
    p.add_argument("--retry-failed", action="store_true", help="run failed runs again")
    p.add_argument("--overwrite", action="store_true", help="discard results already in --out")
    p.add_argument("--no-figures", action="store_true", help="do not write the standard figures")
    p.add_argument("--profile", type=int, nargs="?", const=20, default=None, metavar="N",
                   help="instead of the sweep: time its first N runs (default 20) in this process, by part; "
                        "nothing is written, and the options about workers and outputs do not apply")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help="csv: also write the runs table as runs.csv (the results stay in Parquet, for resuming)")
    p.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.sweep.analysis import load_runs, sensitivity_caveats, write_figures
    from sim.sweep.runner import sweep

    if args.workers is not None and args.workers < 0:
        raise ScenarioError(f"bad value {args.workers}: allowed: 0 (this process) or more", field="--workers")
    if args.dask_local is not None and args.dask_local <= 0:
        raise ScenarioError(f"bad value {args.dask_local}: allowed: a positive number", field="--dask-local")
    if args.profile is not None:
        return _profile(args)
    result = sweep(args.spec, workers=args.workers, scheduler=args.scheduler, dask_local=args.dask_local,
                   out=args.out, progress=not (args.quiet or args.json), retry_failed=args.retry_failed,
                   overwrite=args.overwrite)
    for repair in result.repairs:
        log.warning(repair)
    runs = load_runs(result.out)
    failed = runs[runs["status"] != "ok"] if not runs.empty else runs
    metrics = [m for m in result.spec.outputs.metrics if m in runs.columns]
    ok = runs.loc[runs["status"] == "ok", metrics] if metrics and not runs.empty else None
    written = [] if args.no_figures else write_figures(result.out)
    caveats = sensitivity_caveats(result.out)
    if args.format == "csv":
        written.append(result.out / "runs.csv")
        runs.to_csv(written[-1], index=False)
    if args.json:
        document = {"sweep": result.spec.name, "out": str(result.out), "runs_total": result.runs_total,
                    "runs_finished": result.runs_finished, "runs_failed": result.runs_failed,
                    "runs_lost": result.runs_lost, "runs_this_session": result.runs_this_session,
                    "seconds": result.wall_s, "repairs": list(result.repairs),
                    "failed": [{"run_id": int(r.run_id), "status": r.status, "error": r.error}
                               for r in failed.itertuples()],
                    "metrics": ({} if ok is None else
                                json.loads(ok.describe().T[["mean", "min", "max"]].to_json(orient="index"))),
                    "caveats": caveats, "figures": [str(p) for p in written]}
        print(json.dumps(document, indent=2, default=str))
        return 0
    lost = f", {result.runs_lost} lost to dead workers (they run again on resume)" if result.runs_lost else ""
    print(f"{result.spec.name}: {result.runs_finished}/{result.runs_total} runs finished, {result.runs_failed} failed"
          f"{lost}; {result.runs_this_session} ran now in {result.wall_s:.1f} s")
    for row in failed.head(5).itertuples():
        print(f"  {row.status} run {row.run_id}: {row.error}")
    if ok is not None:
        print(ok.describe().T[["mean", "min", "max"]].to_string())
    for metric, notes in caveats.items():
        for note in notes:
            log.warning("sensitivity of %s: %s", metric, note)
    log.info("Results in %s/ (manifest.json, runs/, series/)%s", result.out,
             f"; files: {', '.join(str(p) for p in written)}" if written else "")
    return 0


def _profile(args: argparse.Namespace) -> int:
    """`sim sweep SPEC --profile [N]`: where the time of the first N runs goes (nothing is written)."""
    from sim.sweep.profile import profile, profile_lines

    if args.profile <= 0:
        raise ScenarioError(f"bad value {args.profile}: allowed: a positive number of runs", field="--profile")
    report = profile(args.spec, args.profile)
    print(json.dumps(report, indent=2) if args.json else "\n".join(profile_lines(report)))
    if report["failed"]:
        log.warning("%d of %d profiled runs failed", len(report["failed"]), report["runs"])
        return 1
    return 0
