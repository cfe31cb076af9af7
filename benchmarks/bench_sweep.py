"""Sweep speed and driver memory (a report, not a test).

1. Runs per minute of the default scenario (full horizon, baseline run included) on 1 and 2 local
   worker processes, the median of `--repeat` sweeps, and the scaling efficiency
   rate(2) / (2 x rate(1)); for a sweep over a policy field (the US increase on Malaysia: networks and
   baseline runs are reused, sim.sweep.worker) and over an engine setting (switching days: every
   run builds its network and simulates its baseline). Wall time of `sim.sweep` end to end, worker
   start-up included. The same for the tiny scenario.
2. Where a run's time goes: the functions below timed (wrapped) over the runs of one task in this
   process (policy sweep), as shares of the run time: the engine step, the policy rules, the recorder, scenario
   validation, the network build and baseline run (when not reused), results and metrics.
3. Driver memory of sweeps of the tiny scenario with a short horizon, 1,000 and 10,000 runs on 2
   workers: the driver's resident memory is sampled every 0.2 s; its growth over the sweep should
   not depend on the number of runs.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 200] [--engine-runs 40] [--tiny-runs 2000] [--repeat 3]
        [--small-runs 1000 10000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil

import sim
from sim.sweep import worker
from sim.sweep.profile import profile

PARAMETERS = {  # what a sweep varies: a policy field (reused networks and baselines) or an engine setting
    "policy": {"name": "my_increase", "path": "tariffs.applied.0.increase", "low": 0.1, "high": 0.6},
    "engine": {"name": "switching_days", "path": "engine.switching_days", "low": 60, "high": 120},
}
TINY_POLICY = {"name": "cn_rate", "path": "tariffs.applied.0.rate", "low": 0.1, "high": 0.6}


class MemorySampler:
    """Resident memory of this process, sampled in a thread: at start, peak, and at the end."""

    def __init__(self, every: float = 0.2):
        self.process = psutil.Process()
        self.every = every
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.process.memory_info().rss)
            time.sleep(self.every)

    def __enter__(self) -> MemorySampler:
        self.start = self.process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.end = self.process.memory_info().rss

    def report(self) -> dict:
        mb = 1 / 2**20
        n = len(self.samples)
        return {"rss_start_mb": round(self.start * mb, 1), "rss_peak_mb": round(max(self.samples) * mb, 1),
                "rss_end_mb": round(self.end * mb, 1), "rss_at_10pct_mb": round(self.samples[n // 10] * mb, 1),
                "rss_at_90pct_mb": round(self.samples[9 * n // 10] * mb, 1),
                "growth_mb": round((max(self.samples) - self.start) * mb, 1)}


def sweep_spec(base: str, parameter: dict, runs: int) -> dict:
    """`runs` runs of `base` (2 replicate seeds), one parameter drawn at random."""
    return {"name": f"bench_{base}_{parameter['name']}", "base": base, "replicates": 2,
            "design": {"type": "random", "n": max(1, runs // 2)}, "parameters": [parameter],
            "outputs": {"metrics": ["throughput.cumulative_loss_days", "exports.MY.peak_loss_pct", "tariff_revenue"]}}


def rate(base: str, parameter: dict, workers: int, runs: int, repeat: int, out: Path) -> dict:
    """Runs per minute of `runs` runs on `workers` processes: the median over `repeat` sweeps."""
    spec, walls = sweep_spec(base, parameter, runs), []
    for i in range(repeat):
        started = time.perf_counter()
        result = sim.sweep(spec, workers=workers, out=out / f"{spec['name']}_{workers}_{i}", progress=False)
        walls.append(time.perf_counter() - started)
        assert result.runs_finished == result.runs_total, result
    wall = statistics.median(walls)
    return {"scenario": base, "parameter": parameter["path"], "workers": workers, "runs": result.runs_total,
            "wall_s": [round(w, 2) for w in walls], "runs_per_min": round(60 * result.runs_total / wall, 1)}


def breakdown(base: str, parameter: dict, runs: int) -> dict:
    """Shares of the wall time of `runs` runs of one task in this process by part (`sim.sweep.profile`)."""
    report = profile(sweep_spec(base, parameter, runs), runs)
    return {"scenario": base, "runs": report["runs"], "wall_s": round(report["wall_s"], 2),
            "s_per_run": round(report["s_per_run"], 3),
            "shares": {label: round(share, 3) for label, share in report["shares"].items()}}


def small_memory(runs: int, out: Path) -> dict:
    """Driver memory over a sweep of `runs` runs of the tiny scenario (10 steps) on 2 workers."""
    spec = {"name": f"bench_tiny_{runs}", "base": "tiny", "steps": 10, "design": {"type": "random", "n": runs},
            "parameters": [{"name": "switching_days", "path": "engine.switching_days", "low": 10, "high": 120},
                           {"name": "inventory", "path": "sectors.chips.inventory_days", "low": 2, "high": 30}],
            "outputs": {"metrics": ["throughput.cumulative_loss_days", "exports.MY.peak_loss_pct"]}}
    started = time.perf_counter()
    with MemorySampler() as memory:
        result = sim.sweep(spec, workers=2, out=out / f"tiny_{runs}", progress=False)
    wall = time.perf_counter() - started
    assert result.runs_finished == runs, result
    parts = len(list((out / f"tiny_{runs}" / "runs").glob("*.parquet")))
    return {"runs": runs, "wall_s": round(wall, 1), "runs_per_min": round(60 * runs / wall), "parquet_parts": parts,
            **memory.report()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs of the default scenario per policy sweep (and "
                        "of the breakdown); a worker's start (imports, the base, a network and baseline per seed) "
                        "weighs on fewer")
    parser.add_argument("--engine-runs", type=int, default=40, help="runs per sweep over an engine setting (each "
                        "builds its network and simulates its baseline)")
    parser.add_argument("--tiny-runs", type=int, default=2000, help="runs of the tiny scenario per sweep")
    parser.add_argument("--repeat", type=int, default=3, help="sweeps per figure (the median is reported)")
    parser.add_argument("--small-runs", type=int, nargs="*", default=[1000, 10000],
                        help="sizes of the memory sweeps (none: skip)")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/out/sweep.json"))
    args = parser.parse_args()
    report: dict = {"default_scenario": sim.DEFAULT_SCENARIO, "cpus": psutil.cpu_count(),
                    "load_average_at_start": [round(x, 2) for x in psutil.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        rates = []
        cases = ((sim.DEFAULT_SCENARIO, "policy", args.runs), (sim.DEFAULT_SCENARIO, "engine", args.engine_runs),
                 ("tiny_trade_war", "tiny", args.tiny_runs))
        for base, kind, runs in cases:
            parameter = TINY_POLICY if kind == "tiny" else PARAMETERS[kind]
            pair = [rate(base, parameter, w, runs, args.repeat, Path(tmp)) for w in (1, 2)]
            efficiency = pair[1]["runs_per_min"] / (2 * pair[0]["runs_per_min"])
            for r in pair:
                print(f"{base}, sweeping {parameter['path']}, {r['workers']} worker(s): {r['runs_per_min']} runs/min "
                      f"(median of {args.repeat} sweeps of {r['runs']} runs: {r['wall_s']} s)")
            print(f"  scaling efficiency 1 -> 2 workers: {efficiency:.0%}")
            rates.append({"runs": pair, "scaling_efficiency": round(efficiency, 3)})
        report["rates"] = rates
        parts = breakdown(sim.DEFAULT_SCENARIO, PARAMETERS["policy"], args.runs)
        print(f"where a run's time goes ({parts['runs']} runs of {parts['scenario']} in this process, "
              f"{parts['s_per_run']} s each):")
        for label, share in parts["shares"].items():
            print(f"  {label:46s} {share:6.1%}")
        report["breakdown"] = parts
        worker._reused.clear()  # the memory sweeps measure the driver as a sweep finds it
        memory = [small_memory(n, Path(tmp)) for n in args.small_runs]
        for m in memory:
            print(f"tiny x {m['runs']} runs: {m['runs_per_min']} runs/min, {m['parquet_parts']} Parquet parts; "
                  f"driver RSS start {m['rss_start_mb']} MB, at 10% {m['rss_at_10pct_mb']}, "
                  f"at 90% {m['rss_at_90pct_mb']}, peak {m['rss_peak_mb']} MB (+{m['growth_mb']} MB)")
        report["driver_memory"] = memory
    report["load_average_at_end"] = [round(x, 2) for x in psutil.getloadavg()]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
