"""Real MRIO shapes at full size: load, build, step time and peak memory (a benchmark, not a timed test).

Generates a seeded synthetic table of a real table's shape (economies x sectors) and density: Z has
non-zero blocks on a random `density` share of the cell pairs (always the diagonal), lognormal values
scaled so every cell's inputs are half its output; Y is positive for every cell's home economy and
for one other economy. It is handed to pymrio as an `IOSystem` and read the way a real table is
(`sim.scenario_from_mrio`), then the network is built and a model steps a few times. Each case runs
in a process of its own, so its peak RSS (`ru_maxrss`) is its own. Reported per case: non-zeros, the
time to make the IOSystem (not counted), load (IOSystem -> validated scenario), build (`build_network`),
model set-up, the median step, links, the record's memory per step (policy tensors kept once while
they do not change), and peak RSS. Values are lognormal.

    .venv/bin/python benchmarks/bench_tables.py                      # the issue's two reference sizes
    .venv/bin/python benchmarks/bench_tables.py --shape icio --steps 3              # 77 x 45, 60% dense
    .venv/bin/python benchmarks/bench_tables.py --shape icio --fine 4x20            # 20 firms per cell in 4 sectors
    .venv/bin/python benchmarks/bench_tables.py --shape icio --fine 4x20 --transit float32  # transit in float32
    .venv/bin/python benchmarks/bench_tables.py --shape icio --record price         # report.record: [price]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

SHAPES = {"icio": (77, 45, 0.6), "adb": (62, 35, 0.6), "exiobase": (49, 163, 0.3)}


def make_iosystem(n_econ: int, n_sec: int, density: float, seed: int):
    """A pymrio IOSystem with a synthetic Z and Y of the given shape and density (annual values)."""
    import pandas as pd
    import pymrio

    rng = np.random.default_rng(seed)
    n = n_econ * n_sec
    regions = [f"R{e:02d}" for e in range(n_econ)]
    sectors = [f"S{s:03d}" for s in range(n_sec)]
    index = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    output = rng.lognormal(3.0, 1.0, n)
    z = np.where(rng.random((n, n)) < density, rng.lognormal(0.0, 1.0, (n, n)), 0.0)
    np.fill_diagonal(z, np.maximum(z.diagonal(), 1.0))
    z *= 0.5 * output / z.sum(axis=0)  # each column's inputs are half the cell's output drawn
    output = np.maximum(output, z.sum(axis=1) * 1.01)  # raised where its sales to firms exceed it
    final = np.maximum(output - z.sum(axis=1), 1e-3)
    y = np.zeros((n, n_econ))
    home = np.repeat(np.arange(n_econ), n_sec)
    other = (home + 1 + rng.integers(0, n_econ - 1, n)) % n_econ
    y[np.arange(n), home] = 0.7 * final
    y[np.arange(n), other] += 0.3 * final
    columns = pd.MultiIndex.from_product([regions, ["final"]], names=["region", "category"])
    io = pymrio.IOSystem(Z=pd.DataFrame(z, index=index, columns=index),
                         Y=pd.DataFrame(y, index=index, columns=columns), unit=None, name="synthetic")
    return io


def run_case(n_econ: int, n_sec: int, density: float, seed: int, steps: int, fine: tuple[int, int],
             sourcing: str = "heterogeneous", transit: str = "auto", record: str = "all") -> dict:
    """One case in this process (see the module docstring); `fine` = (k, n): n firms per cell in the first k
    sectors (one elsewhere)."""
    import sim
    from sim.network import build_network

    started = time.perf_counter()
    io = make_iosystem(n_econ, n_sec, density, seed)
    made = time.perf_counter() - started
    started = time.perf_counter()
    network = {"firms_per_cell": 1, "suppliers_per_buyer": 1, "sourcing": sourcing,
               "sectors": {f"S{s:03d}": fine[1] for s in range(fine[0])}}
    scenario = sim.scenario_from_mrio(io, name="bench", time={"steps": steps},
                                      engine={"search_days": None, "transit_precision": transit}, network=network,
                                      report={"record": record if record == "all" else record.split(",")})
    loaded = time.perf_counter() - started
    del io
    started = time.perf_counter()
    network = build_network(scenario, seed)
    built = time.perf_counter() - started
    started = time.perf_counter()
    model = sim.SupplyChainModel(scenario, rng=seed, network=network, firm_agents=False)
    set_up = time.perf_counter() - started
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - started)
    return {"shape": f"{n_econ}x{n_sec}" + (f"+{fine[0]}x{fine[1]}" if fine[0] else ""), "cells": n_econ * n_sec,
            "transit": transit, "transit_held": "float64" if model.engine.state.transit_exact else "float32",
            "record": record,
            "density": density,
            "nonzeros": int(len(scenario.io.intermediate) + len(scenario.io.final_demand)),
            "make_iosystem_s": round(made, 2), "load_s": round(loaded, 2), "build_s": round(built, 2),
            "model_setup_s": round(set_up, 2), "step_median_s": round(statistics.median(times), 3),
            "firms": network.n_firms, "links": network.n_links,
            "record_mb_per_step": round(model.recorder.bytes_per_step() / 2**20, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", action="append", help="EconomiesxSectors (e.g. 77x45) or icio, adb, exiobase")
    parser.add_argument("--density", type=float, action="append", help="share of non-zero Z blocks, per --shape")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fine", default="0x1", help="KxN: N firms per cell in the first K sectors (e.g. 4x20)")
    parser.add_argument("--sourcing", default="heterogeneous", choices=("heterogeneous", "homogeneous"))
    parser.add_argument("--transit", default="auto", choices=("auto", "float64", "float32"),
                        help="engine.transit_precision: how goods in transit are held")
    parser.add_argument("--record", default="all", help="report.record: all, or tables separated by commas")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: one case in this process
    args = parser.parse_args(argv)
    if args.case:
        n_econ, n_sec, density = json.loads(args.case)
        fine = tuple(int(x) for x in args.fine.lower().split("x"))
        print(json.dumps(run_case(n_econ, n_sec, density, args.seed, args.steps, fine, args.sourcing, args.transit,
                                  args.record)))
        return
    cases = []
    shapes = args.shape or ["20x20", "60x50"]
    densities = args.density or ([1.0, 0.1] if args.shape is None else [])
    for k, shape in enumerate(shapes):
        if shape in SHAPES:
            n_econ, n_sec, density = SHAPES[shape]
        else:
            n_econ, n_sec = (int(x) for x in shape.lower().split("x"))
            density = densities[k] if k < len(densities) else 1.0
        cases.append((n_econ, n_sec, densities[k] if k < len(densities) else density))
    print(f"{'shape':>14} {'cells':>6} {'dens':>5} {'nonzeros':>10} {'load s':>7} {'build s':>8} {'setup s':>8} "
          f"{'step s':>7} {'links':>10} {'transit':>8} {'rec MB/step':>11} {'peak MB':>8}")
    for case in cases:
        proc = subprocess.run([sys.executable, __file__, "--case", json.dumps(case), "--steps", str(args.steps),
                               "--seed", str(args.seed), "--fine", args.fine, "--sourcing", args.sourcing,
                               "--transit", args.transit, "--record", args.record],
                              capture_output=True, text=True)
        if proc.returncode:
            print(f"{case}: failed\n{proc.stderr[-2000:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{r['shape']:>14} {r['cells']:>6} {r['density']:>5} {r['nonzeros']:>10,} {r['load_s']:>7} "
              f"{r['build_s']:>8} {r['model_setup_s']:>8} {r['step_median_s']:>7} {r['links']:>10,} "
              f"{r['transit_held']:>8} {r['record_mb_per_step']:>11} "
              f"{r['peak_rss_mb']:>8,}")


if __name__ == "__main__":
    main()
