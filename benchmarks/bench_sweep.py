"""Sweep speed and driver memory (a report, not a test).

1. Runs per minute of the default scenario (full horizon) on 1 and 2 local worker processes, and
   the scaling efficiency rate(2) / (2 x rate(1)). Wall time of `sim.sweep` end to end, worker
   start-up included.
2. Driver memory of sweeps of the tiny scenario with a short horizon, 1,000 and 10,000 runs on 2
   workers: the driver's resident memory is sampled every 0.2 s; its growth over the sweep should
   not depend on the number of runs.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 12] [--small-runs 1000 10000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import psutil

import sim


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


def default_rate(workers: int, runs: int, out: Path) -> dict:
    """Runs per minute of the default scenario on `workers` processes."""
    spec = {"name": f"bench_default_{workers}", "base": sim.DEFAULT_SCENARIO, "design": {"type": "random", "n": runs},
            "parameters": [{"name": "switching_days", "path": "engine.switching_days", "low": 60, "high": 120}],
            "outputs": {"metrics": ["throughput.cumulative_loss_days", "exports.MY.peak_loss_pct"]}}
    started = time.perf_counter()
    result = sim.sweep(spec, workers=workers, out=out / f"default_{workers}", progress=False, runs_per_task=1)
    wall = time.perf_counter() - started
    assert result.runs_finished == runs, result
    runs_table = result.runs()
    return {"workers": workers, "runs": runs, "wall_s": round(wall, 2), "runs_per_min": round(60 * runs / wall, 1),
            "mean_run_s": round(float(runs_table["elapsed_s"].mean()), 3)}


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
    parser.add_argument("--runs", type=int, default=12, help="runs of the default scenario per worker count")
    parser.add_argument("--small-runs", type=int, nargs="*", default=[1000, 10000],
                        help="sizes of the memory sweeps (none: skip)")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/out/sweep.json"))
    args = parser.parse_args()
    report: dict = {"default_scenario": sim.DEFAULT_SCENARIO, "cpus": psutil.cpu_count(),
                    "load_average_at_start": [round(x, 2) for x in psutil.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        rates = [default_rate(w, args.runs, Path(tmp)) for w in (1, 2)]
        for r in rates:
            print(f"default scenario, {r['workers']} worker(s): {r['runs_per_min']} runs/min "
                  f"({r['runs']} runs in {r['wall_s']} s, {r['mean_run_s']} s per run)")
        efficiency = rates[1]["runs_per_min"] / (2 * rates[0]["runs_per_min"])
        print(f"scaling efficiency 1 -> 2 workers: {efficiency:.0%}")
        report.update(rates=rates, scaling_efficiency=round(efficiency, 3))
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
