"""Command line: `sim run [SCENARIO] [--steps N] [--set path=value ...] [--out DIR]`, `sim list`, `sim sweep`,
`sim validate`, `sim viz`, `sim bench`.

Bad input (a missing file, a bad field, a bad override) prints one message naming the file, the
field and what is allowed, and exits with status 2 without a traceback. Every command takes
`--quiet` and `--verbose` (sim/log.py: results on stdout, notes and warnings on stderr); `run`,
`sweep`, `list` and `validate` take `--json` for one machine-readable document on stdout instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from sim.errors import ScenarioError
from sim.folders import storage_error, writable_folder

log = logging.getLogger(__name__)


def cmd_run(args: argparse.Namespace) -> int:
    from sim.headline import headline_text
    from sim.report import events_table, summary_table, write_report
    from sim.run import run
    from sim.scenario import load_scenario, parse_override

    if args.steps is not None and args.steps <= 0:
        raise ScenarioError(f"bad value {args.steps}: allowed: a positive number of steps", field="--steps")
    overrides = dict(parse_override(text) for text in args.overrides)
    scenario = load_scenario(args.scenario, overrides)
    steps, per_year = args.steps or scenario.time.steps, scenario.time.steps_per_year
    if steps > MAX_YEARS * per_year:
        raise ScenarioError(f"bad value {steps}: allowed: at most {MAX_YEARS} years of steps "
                            f"({MAX_YEARS * per_year:g} at {per_year:g} a year)",
                            field="--steps" if args.steps else "time.steps")
    out = args.out or Path("results") / scenario.name
    writable_folder(out)  # before the run, so that a bad --out costs nothing
    started = time.perf_counter()
    results = run(scenario, steps=args.steps, rng=args.seed, progress=not (args.quiet or args.json))
    elapsed = time.perf_counter() - started
    try:
        written = write_report(results, out, table_format=args.format)
    except OSError as exc:
        raise storage_error(out, exc, "allowed: a folder with space and write permission") from None
    summary = results.summary()
    if args.json:
        document = summary | {"seconds": elapsed, "out": str(out), "files": {k: str(p) for k, p in written.items()}}
        print(json.dumps(document, indent=2, default=str))
    else:
        print(summary_table(summary))
        if results.report.indicators or results.report.diversion:
            print()
            print(headline_text(results, results.report))
        print()
        print(events_table(results.events, start_date=results.start_date))
    for warning in summary["warnings"]:  # after the tables, where a reader's eyes are
        log.warning(warning["message"])
    log.info("Ran in %.1f s. Wrote %d files to %s/: %s", elapsed, len(written), out,
             ", ".join(sorted(p.name for p in written.values())))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from sim.catalog import catalog, catalog_text

    print(json.dumps(catalog(), indent=2) if args.json else catalog_text())
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from sim.bench import DEFAULT_SIZES, run

    if any(n <= 0 for n in args.sizes or ()) or args.steps <= 0:
        raise ScenarioError("sizes and steps must be positive", field="--sizes/--steps")
    run(args.sizes or DEFAULT_SIZES, args.links_per_firm, args.steps, json_path=args.json)
    return 0


MAX_YEARS = 100  # the recorder keeps every step in memory; a century of daily steps is far past any study


def _seed(text: str) -> int:
    """A random seed: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; allowed: an integer >= 0") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; allowed: an integer >= 0")
    return value


def _parser() -> argparse.ArgumentParser:
    """Every subcommand: its arguments and, via `set_defaults(handler=...)`, the function that runs it."""
    parser = argparse.ArgumentParser(
        prog="sim", description="Supply-chain disruption under tariffs and export controls"
    )
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    talk = argparse.ArgumentParser(add_help=False)
    loudness = talk.add_mutually_exclusive_group()
    loudness.add_argument("--quiet", "-q", action="store_true", help="results and warnings only: no progress, no notes")
    loudness.add_argument("--verbose", "-v", action="store_true", help="also debug messages, with times")
    machine = argparse.ArgumentParser(add_help=False)
    machine.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of tables")
    listing = commands.add_parser("list", parents=[talk, machine],
                                  help="the scenarios, sweep specs and experiments that ship with sim")
    listing.set_defaults(handler=cmd_list)
    run = commands.add_parser("run", parents=[talk, machine],
                              help="run a scenario and its no-policy baseline, write tables and plots")
    run.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario YAML file or name in configs/scenarios (default: the calibrated default)",
    )
    run.add_argument("--steps", type=int, default=None, help="steps to run (default: the scenario's time.steps)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field by dotted path, e.g. --set engine.restoration_days=30 (repeatable)",
    )
    run.add_argument("--seed", type=_seed, default=None, help="random seed (default: the scenario's seed)")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: results/<scenario name>)")
    run.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                     help="file format of every table written (default: parquet)")
    run.set_defaults(handler=cmd_run)
    bench = commands.add_parser("bench", parents=[talk],
                                help="speed and memory at 10k, 100k and 1M firms (a report, not a test)")
    bench.add_argument("--sizes", type=int, nargs="+", default=None, help="numbers of firms")
    bench.add_argument("--links-per-firm", type=float, default=5.0)
    bench.add_argument("--steps", type=int, default=365)
    bench.add_argument("--json", type=Path, default=Path("results/bench/scale.json"),
                       help="where the figures go (default: results/bench/scale.json)")
    bench.set_defaults(handler=cmd_bench)
    # sweep: parameter sweeps; options and handler (set_defaults(handler=cmd_sweep)) in sim/sweep/cli.py
    from sim.sweep.cli import add_parser as add_sweep_parser

    add_sweep_parser(commands, parents=[talk, machine])
    # viz: the browser view (Mesa SolaraViz); logic in sim/viz/server.py
    from sim.viz.server import DEFAULT_PORT, cmd_viz

    viz = commands.add_parser("viz", parents=[talk], help="serve the browser view on 127.0.0.1 and print its address")
    viz.add_argument("scenario", nargs="?", default=None,
                     help="scenario YAML file or name in configs/scenarios (default: the calibrated default)")
    viz.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free port)")
    viz.set_defaults(handler=cmd_viz)
    # validate: the validation report (theory, BoARIO, the record); logic in sim/validation/command.py
    from sim.validation.command import cmd_validate

    validate = commands.add_parser("validate", parents=[talk, machine],
                                   help="run the validation checks and write their report")
    validate.add_argument("--out", type=Path, default=Path("results/validation"),
                          help="folder for validation.md and figures/validation_*.png (default: results/validation; "
                               "make validate writes docs/)")
    validate.add_argument("--quick", action="store_true", help="the reduced size the tests run")
    validate.set_defaults(handler=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from sim.log import configure

    configure(quiet=args.quiet, verbose=args.verbose)
    try:
        return args.handler(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
