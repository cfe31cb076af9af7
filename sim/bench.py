"""`sim bench`: build and simulate synthetic networks of several sizes and report speed and memory.

Each size runs in its own process (so its peak memory is its own): a synthetic scenario of 13
economies x 12 sectors with ~`links_per_firm` links per firm, an active tariff and a capacity shock
(`sim.synthetic`); it reports the network build time, model construction time, the median and p90
seconds per step, the median CPU seconds per step (this process's CPU time, which other work on a
shared machine disturbs less than wall time), steps per second, firm-steps per second and the peak
resident memory, prints a table and writes JSON so runs can be compared. Sizes up to 20,000 firms
also time the per-agent reference engine against the vectorised one. These are measurements, not
pass/fail tests.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


REFERENCE_MAX_FIRMS = 20_000  # sizes up to this also time the per-agent reference engine
REFERENCE_STEPS = 5


def reference_speedup(model, steps: int = REFERENCE_STEPS) -> dict:
    """Median seconds per step of the per-agent reference and of the vectorised engine, same policy."""
    from sim.engine.core import Engine
    from sim.engine.reference import ReferenceEngine

    timings = {}
    for name, cls, n in (("reference", ReferenceEngine, steps), ("vectorised", Engine, 10 * steps)):
        engine = cls(model.network, model.engine.params, model.baseline_tariff)
        engine.step(model.policy)  # the first step reads the policy
        times = []
        for _ in range(n):
            started = time.perf_counter()
            engine.step(model.policy)
            times.append(time.perf_counter() - started)
        timings[name] = float(np.median(times))
    return {"reference_step_s": timings["reference"], "engine_step_s": timings["vectorised"],
            "speedup": timings["reference"] / timings["vectorised"]}


def measure(firms: int, links_per_firm: float, steps: int, seed: int) -> dict:
    """Build and run one size in this process; return its figures."""
    import sim
    from sim.synthetic import synthetic_scenario

    scenario = sim.Scenario.from_dict(synthetic_scenario(firms, links_per_firm, 13, 12, seed, steps))
    started = time.perf_counter()
    network = sim.build_network(scenario, rng=seed)
    build = time.perf_counter() - started
    started = time.perf_counter()
    model = sim.SupplyChainModel(scenario, rng=seed, network=network, firm_agents=False)
    construct = time.perf_counter() - started
    times, cpu_times, search_days = [], [], []
    for _ in range(steps):
        search_days.append(model.engine.search_due())
        started, cpu_started = time.perf_counter(), time.process_time()
        model.step()
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    step = float(np.median(times))
    extra = reference_speedup(model) if firms <= REFERENCE_MAX_FIRMS else {}
    return extra | {
        "firms": network.n_firms,
        "links": network.n_links,
        "steps": steps,
        "build_s": build,
        "construct_s": construct,
        "step_median_s": step,
        "step_p90_s": float(np.percentile(times, 90)),
        "step_cpu_median_s": float(np.median(cpu_times)),
        "step_mean_s": float(np.mean(times)),  # every step, supplier-search days included
        "search_steps": int(np.sum(search_days)),
        "search_step_median_s": float(np.median(np.array(times)[search_days])) if any(search_days) else None,
        "links_formed": sum(c.count("formed") for c in model.recorder.link_changes),
        "run_s": float(np.sum(times)),
        "steps_per_s": 1.0 / step,
        "firm_steps_per_s": network.n_firms / step,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def table(rows: list[dict]) -> str:
    header = (f"{'firms':>10} {'links':>11} {'build s':>8} {'model s':>8} {'ms/step':>9} {'p90 ms':>8} {'cpu ms':>7} "
              f"{'mean ms':>8} {'search ms':>9} {'steps/s':>8} {'firm-steps/s':>13} {'peak MiB':>9} {'run s':>7}")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['firms']:>10,} {r['links']:>11,} {r['build_s']:>8.2f} {r['construct_s']:>8.2f} "
                     f"{1e3 * r['step_median_s']:>9.1f} {1e3 * r['step_p90_s']:>8.1f} "
                     f"{1e3 * r['step_cpu_median_s']:>7.1f} {1e3 * r['step_mean_s']:>8.1f} "
                     f"{1e3 * (r['search_step_median_s'] or 0):>9.1f} {r['steps_per_s']:>8.1f} "
                     f"{r['firm_steps_per_s']:>13,.0f} {r['peak_rss_mib']:>9.0f} {r['run_s']:>7.1f}")
    lines.append("ms/step, p90, cpu: medians and 90th percentile over the steps; mean: over every step, supplier-search"
                 " days included; search: median of the search days' steps")
    for r in rows:
        if r.get("links_formed"):
            lines.append(f"at {r['firms']:,} firms supplier search ran on {r['search_steps']} days and formed "
                         f"{r['links_formed']:,} links")
    for r in rows:
        if "speedup" in r:
            lines.append(f"at {r['firms']:,} firms the per-agent reference takes {1e3 * r['reference_step_s']:.0f} ms "
                         f"per engine step, the vectorised engine {1e3 * r['engine_step_s']:.1f} ms: "
                         f"{r['speedup']:.0f}x faster")
    return "\n".join(lines)


def run(sizes=DEFAULT_SIZES, links_per_firm: float = 5.0, steps: int = 365, seed: int = 1,
        json_path: Path | None = Path("results/bench/scale.json")) -> list[dict]:
    """Measure every size in a child process, print the table, write JSON."""
    rows = []
    for firms in sizes:
        print(f"measuring {firms:,} firms, {steps} steps ...", file=sys.stderr, flush=True)
        done = subprocess.run([sys.executable, "-m", "sim.bench", "--one", str(firms), "--links-per-firm",
                               str(links_per_firm), "--steps", str(steps), "--seed", str(seed)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            raise RuntimeError(f"benchmark of {firms} firms failed")
        rows.append(json.loads(done.stdout))
    print(table(rows))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({
            "machine": {"python": platform.python_version(), "platform": platform.platform(),
                        "processor": platform.processor()},
            "links_per_firm": links_per_firm, "seed": seed, "results": rows}, indent=2))
        print(f"wrote {json_path}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sim bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="numbers of firms")
    parser.add_argument("--links-per-firm", type=float, default=5.0)
    parser.add_argument("--steps", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=Path("results/bench/scale.json"))
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child process: one size
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.links_per_firm, args.steps, args.seed)))
        return 0
    run(args.sizes, args.links_per_firm, args.steps, args.seed, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
