"""Speed and memory of the vectorised engine on a large synthetic scenario (not a timed test).

Builds a synthetic scenario in memory (E economies x S sectors, a sparse input-output table with
a 50% input share so value added is never negative, final demand to the home economy and one or
two export markets, lognormal values), sized so the network comes out near
`firms * links_per_firm` links. It carries an active tariff (economy 0 taxes sector 1 from
economy 1 at 25% from day 0) and a capacity shock (30% of one cell from day 10, 30 days, then a
30-day recovery), so the timed steps exercise the policy paths.

Measures: network build time (`sim.build_network`), model construction time
(`sim.SupplyChainModel(..., firm_agents=False)`, which builds its own network), wall time of each
`model.step()` (median and p90 over the steps of a run; over `--repeat` runs the median of the
per-run figures), the engine's share of it, steps and firm-steps per second, peak RSS
(`ru_maxrss`), and the number of firms, links and input slots built. Then profiles one engine
step: `cProfile` over 20 steps of `model.engine.step(model.policy)` (top 15 by cumulative time),
and a per-pass breakdown of `Engine.step` from line events (`sys.monitoring`), grouped by the
step's numbered pass comments (`# 2. prices ...`), with the costliest lines; and the costliest
lines of what `model.step()` adds around the engine (policy schedule, recorder, data collector).

    .venv/bin/python benchmarks/bench_engine.py --firms 10000 --steps 100 --repeat 1
    .venv/bin/python benchmarks/bench_engine.py            # 100k firms, ~1M links, 365 steps x 3
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import inspect
import io
import json
import os
import platform
import pstats
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

import sim
from sim.engine.core import Engine
from sim.recorder import Recorder
from sim.synthetic import synthetic_scenario

TARGET_STEP_MS = 50.0  # goal at 100k firms / 1M links


# ---------------------------------------------------------------------------------------------
# memory


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mib() -> float | None:
    """Current resident set size (Linux only; None elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# profiles


def cprofile_engine(model: sim.SupplyChainModel, steps: int, top: int) -> tuple[str, list[dict]]:
    """cProfile over `steps` calls of `model.engine.step(model.policy)`: the top functions by cumtime."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        model.engine.step(model.policy)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
    stats.print_stats(top)
    rows = []
    for (file, line, func), (_, ncalls, tottime, cumtime, _) in sorted(
        stats.stats.items(), key=lambda item: item[1][3], reverse=True
    )[:top]:
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({func})",
                "ncalls": ncalls,
                "tottime_s": tottime,
                "cumtime_s": cumtime,
            }
        )
    return text.getvalue(), rows


def pass_map(func) -> tuple[dict[int, str], dict[int, str]]:
    """Line number -> pass label for a function whose passes start with '# N. name: ...' comments."""
    lines, first = inspect.getsourcelines(func)
    label, labels, source = "setup", {}, {}
    for offset, text in enumerate(lines):
        number = first + offset
        match = re.match(r"\s*#\s*(\d+)\.\s*([^:]*)", text)
        if match:
            label = f"{match.group(1)}. {match.group(2).strip()}"
        elif text.strip().startswith("return "):
            label = "return StepFlows"
        labels[number] = label
        source[number] = text.strip()
    return labels, source


def line_times(functions: list, run) -> dict[tuple[str, int], float]:
    """Seconds spent on each line of `functions` while `run()` runs (line events via sys.monitoring).

    Time runs from one line event to the next (or to the return), so a line's figure includes the
    calls it makes to functions not in `functions` (e.g. the transit pipeline); time inside a
    listed callee is counted on the callee's lines. Overhead: a few microseconds per line event.
    Keys are (function qualname, line number).
    """
    mon = sys.monitoring
    tool = next((t for t in (5, 4, 3) if mon.get_tool(t) is None), None)
    if tool is None:
        return {}
    names = {f.__code__: f.__qualname__ for f in functions}
    totals: dict[tuple[str, int], float] = defaultdict(float)
    current: list = [None, 0.0]

    def on_line(code, line):
        now = time.perf_counter()
        if current[0] is not None:
            totals[current[0]] += now - current[1]
        current[0] = (names.get(code, code.co_name), line)
        current[1] = time.perf_counter()

    def on_return(_code, _offset, _value):
        if current[0] is not None:
            totals[current[0]] += time.perf_counter() - current[1]
        current[0] = None

    mon.use_tool_id(tool, "bench_engine")
    try:
        mon.register_callback(tool, mon.events.LINE, on_line)
        mon.register_callback(tool, mon.events.PY_RETURN, on_return)
        for code in names:
            mon.set_local_events(tool, code, mon.events.LINE | mon.events.PY_RETURN)
        run()
    finally:
        for code in names:
            mon.set_local_events(tool, code, 0)
        mon.register_callback(tool, mon.events.LINE, None)
        mon.register_callback(tool, mon.events.PY_RETURN, None)
        mon.free_tool_id(tool)
    return dict(totals)


def source_lines(func) -> dict[int, str]:
    lines, first = inspect.getsourcelines(func)
    return {first + i: text.strip() for i, text in enumerate(lines)}


# ---------------------------------------------------------------------------------------------
# the benchmark


def summarise(values: list[float]) -> dict[str, float]:
    return {"median": float(np.median(values)), "min": float(np.min(values)), "max": float(np.max(values))}


def timed_run(scenario: sim.Scenario, args: argparse.Namespace) -> tuple[dict[str, Any], sim.SupplyChainModel]:
    """One timed run: build the network, construct a fresh model, time each of `args.steps` steps.

    Returns the run's figures (seconds) and the model (for the profiles). Nothing else keeps a
    reference to the model, so the caller can free it before the next run.
    """
    t0 = time.perf_counter()
    network = sim.build_network(scenario, rng=args.seed)
    build_s = time.perf_counter() - t0
    counts = {"firms": network.n_firms, "links": network.n_links}
    del network
    gc.collect()

    t0 = time.perf_counter()
    model = sim.SupplyChainModel(scenario, rng=args.seed, firm_agents=False)
    construct_s = time.perf_counter() - t0
    rss_after_construct = current_rss_mib()
    structure = model.engine.structure
    counts.update(
        model_firms=model.network.n_firms,
        model_links=model.network.n_links,
        slots=structure.n_slots,
        firm_slots=structure.n_firm_slots,
    )

    # time the engine's share of each step by wrapping this instance's bound method
    engine_step = model.engine.step
    engine_times: list[float] = []

    def timed_engine_step(policy):
        t = time.perf_counter()
        flows = engine_step(policy)
        engine_times.append(time.perf_counter() - t)
        return flows

    model.engine.step = timed_engine_step
    times = np.empty(args.steps)
    for i in range(args.steps):
        t = time.perf_counter()
        model.step()
        times[i] = time.perf_counter() - t
    del model.engine.step  # back to the class method
    engine = np.array(engine_times)
    run = {
        "build_s": build_s,
        "construct_s": construct_s,
        "rss_after_construct": rss_after_construct,
        "counts": counts,
        "step_median": float(np.median(times)),
        "step_p90": float(np.percentile(times, 90)),
        "step_mean": float(times.mean()),
        "step_max": float(times.max()),
        "steps_total_s": float(times.sum()),
        "engine_median": float(np.median(engine)),
        "engine_p90": float(np.percentile(engine, 90)),
    }
    return run, model


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    rss_start = current_rss_mib()
    t0 = time.perf_counter()
    raw = synthetic_scenario(
        args.firms, args.links_per_firm, args.economies, args.sectors, args.seed, args.steps, args.suppliers_per_buyer
    )
    scenario = sim.Scenario.from_dict(raw)
    scenario_s = time.perf_counter() - t0
    print(
        f"scenario: {len(scenario.economies)} economies x {len(scenario.sectors)} sectors, "
        f"{len(scenario.io.intermediate)} intermediate blocks, {len(scenario.io.final_demand)} final-demand "
        f"blocks ({scenario_s:.2f} s to generate and validate)",
        flush=True,
    )

    runs: list[dict[str, Any]] = []
    model = None
    for r in range(args.repeat):
        model = None  # free the previous run's model first, so peak memory is that of one model
        gc.collect()
        run, model = timed_run(scenario, args)
        runs.append(run)
        print(
            f"run {r + 1}/{args.repeat}: build {run['build_s']:.2f} s, construct {run['construct_s']:.2f} s, "
            f"step median {1e3 * run['step_median']:.1f} ms, p90 {1e3 * run['step_p90']:.1f} ms "
            f"(engine {1e3 * run['engine_median']:.1f} ms), {args.steps} steps in {run['steps_total_s']:.1f} s",
            flush=True,
        )
    counts = runs[-1]["counts"]
    build_s, construct_s = [r["build_s"] for r in runs], [r["construct_s"] for r in runs]
    rss_after_construct = [r["rss_after_construct"] for r in runs]
    step_median, step_p90 = [r["step_median"] for r in runs], [r["step_p90"] for r in runs]
    step_mean, step_max = [r["step_mean"] for r in runs], [r["step_max"] for r in runs]
    engine_median, engine_p90 = [r["engine_median"] for r in runs], [r["engine_p90"] for r in runs]

    med = float(np.median(step_median))
    result: dict[str, Any] = {
        "config": vars(args) | {"json": str(args.json)},
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "note": "shared machine, noisy: figures are medians",
        },
        "counts": counts,
        "links_per_firm_built": counts["links"] / counts["firms"],
        "scenario_generate_validate_s": scenario_s,
        "build_network_s": summarise(build_s),
        "model_construct_s": summarise(construct_s),
        "step_ms": {
            "median": 1e3 * med,
            "p90": 1e3 * float(np.median(step_p90)),
            "mean": 1e3 * float(np.median(step_mean)),
            "max": 1e3 * float(np.max(step_max)),
            "per_run_median": [1e3 * v for v in step_median],
            "per_run_p90": [1e3 * v for v in step_p90],
        },
        "engine_step_ms": {
            "median": 1e3 * float(np.median(engine_median)),
            "p90": 1e3 * float(np.median(engine_p90)),
        },
        "steps_per_s": 1.0 / med,
        "firm_steps_per_s": counts["firms"] / med,
        "link_steps_per_s": counts["links"] / med,
        "target_step_ms": TARGET_STEP_MS,
        "memory_mib": {
            "peak_rss": peak_rss_mib(),
            "rss_at_start": rss_start,
            "rss_after_construct": summarise([v for v in rss_after_construct if v is not None])
            if any(v is not None for v in rss_after_construct)
            else None,
        },
    }

    # profiles of the engine step alone, on the last model (its state carries on)
    assert model is not None
    text, rows = cprofile_engine(model, args.profile_steps, 15)
    result["cprofile_top15"] = rows
    result["cprofile_text"] = text
    n = args.profile_steps

    def engine_steps() -> None:
        for _ in range(n):
            model.engine.step(model.policy)

    per_line = {line: sec for (_, line), sec in line_times([Engine.step], engine_steps).items()}
    labels, source = pass_map(Engine.step)
    per_pass: dict[str, float] = defaultdict(float)
    for line, seconds in per_line.items():
        per_pass[labels.get(line, "other")] += seconds
    result["passes_ms_per_step"] = {k: 1e3 * v / n for k, v in per_pass.items()}
    result["lines_ms_per_step"] = [
        {"line": line, "source": source.get(line, ""), "pass": labels.get(line, "other"), "ms": 1e3 * sec / n}
        for line, sec in sorted(per_line.items(), key=lambda item: item[1], reverse=True)
    ]

    # what model.step() adds around the engine: policy, recorder, data collector
    def model_steps() -> None:
        for _ in range(n):
            model.step()

    outer = [sim.SupplyChainModel.step, Recorder.record]
    texts = {f.__qualname__: source_lines(f) for f in outer}
    rows = [
        {"function": name, "line": line, "source": texts[name].get(line, ""), "ms": 1e3 * sec / n}
        for (name, line), sec in line_times(outer, model_steps).items()
    ]
    rows.sort(key=lambda row: row["ms"], reverse=True)
    result["model_step_lines_ms_per_step"] = rows
    return result


def print_report(result: dict[str, Any], profile_steps: int) -> None:
    c, step, eng, mem = result["counts"], result["step_ms"], result["engine_step_ms"], result["memory_mib"]
    rows = [
        ("firms", f"{c['firms']:,}"),
        ("links", f"{c['links']:,} ({result['links_per_firm_built']:.2f} per firm)"),
        ("input slots (firm + final)", f"{c['slots']:,} ({c['firm_slots']:,} firm)"),
        ("build_network", f"{result['build_network_s']['median']:.2f} s"),
        ("SupplyChainModel(...) incl. build", f"{result['model_construct_s']['median']:.2f} s"),
        ("model.step() median", f"{step['median']:.1f} ms"),
        ("model.step() p90", f"{step['p90']:.1f} ms"),
        ("model.step() mean / max", f"{step['mean']:.1f} / {step['max']:.1f} ms"),
        ("engine.step() median / p90", f"{eng['median']:.1f} / {eng['p90']:.1f} ms"),
        ("steps per second", f"{result['steps_per_s']:.1f}"),
        ("firm-steps per second", f"{result['firm_steps_per_s']:,.0f}"),
        ("link-steps per second", f"{result['link_steps_per_s']:,.0f}"),
        ("peak RSS (ru_maxrss)", f"{mem['peak_rss']:,.0f} MiB"),
    ]
    if mem["rss_after_construct"]:
        rows.append(("RSS after construction", f"{mem['rss_after_construct']['median']:,.0f} MiB"))
    width = max(len(k) for k, _ in rows)
    print()
    print("engine benchmark (medians; shared machine, noisy)")
    print("-" * (width + 30))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    target = result["target_step_ms"]
    if c["firms"] >= 100_000 and c["links"] >= 900_000:
        verdict = "meets" if step["median"] < target else "misses"
    else:
        verdict = "not applicable at this size"
    print(f"{'target':<{width}}  < {target:g} ms per model.step() at 100k firms / 1M links: {verdict}")

    print(f"\ncProfile: {profile_steps} x engine.step(policy), top 15 by cumulative time")
    print(result["cprofile_text"].rstrip())

    print(f"\nEngine.step by pass (line events, ms per step, over {profile_steps} steps)")
    passes = result["passes_ms_per_step"]
    total = sum(passes.values())
    for label, ms in sorted(passes.items(), key=lambda kv: kv[1], reverse=True):
        print(f"  {ms:7.2f} ms  {100 * ms / total:5.1f}%  {label}")
    print(f"  {total:7.2f} ms  total")
    print("\ncostliest lines of Engine.step (ms per step)")
    for row in result["lines_ms_per_step"][:12]:
        print(f"  {row['ms']:7.2f} ms  L{row['line']:<4} [{row['pass'].split('.')[0]}] {row['source'][:90]}")
    print("\nmodel.step() around the engine: costliest lines of SupplyChainModel.step and Recorder.record")
    for row in result["model_step_lines_ms_per_step"][:10]:
        where = f"{row['function']}:L{row['line']}"
        print(f"  {row['ms']:7.2f} ms  {where:<28} {row['source'][:80]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--firms", type=int, default=100_000, help="number of firms (spread over the cells)")
    parser.add_argument("--links-per-firm", type=float, default=10.0, help="target links per firm")
    parser.add_argument("--steps", type=int, default=365, help="steps per timed run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (fresh model each)")
    parser.add_argument("--economies", type=int, default=13)
    parser.add_argument("--sectors", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--suppliers-per-buyer", type=int, default=1, help="network.suppliers_per_buyer (couplings per block)"
    )
    parser.add_argument("--profile-steps", type=int, default=20, help="engine steps under the profilers")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/out/engine.json"), help="where to write results")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.repeat < 1 or args.profile_steps < 1:
        parser.error("--steps, --repeat and --profile-steps must be at least 1")

    result = run_benchmark(args)
    print_report(result, args.profile_steps)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
