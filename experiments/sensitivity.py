"""Global sensitivity: which uncertain inputs drive the default scenario's headline disruption
(the cumulative loss of goods delivered against the baseline), and how wide is its uncertainty?

Base: the calibrated 2025 scenario (the project's default). Varied over ranges around the
calibrated values (most marked U, unsourced, in the scenario): supplier switching time,
inventory restoration time, spare capacity, the default international lead time (routes listed in
the scenario keep their own), chip and magnet buyers' inventory days, chip and electronics
substitution elasticities and the price elasticity of final demand for electronics. Saltelli
sampling and Sobol indices (SALib). Writes a tornado of total-order indices, a fan chart of the
throughput loss across all runs, and a table of first- and total-order indices
(results/sensitivity/).

    python experiments/sensitivity.py [--quick] [--workers N]
"""

from __future__ import annotations

import common

from sim.sweep import analysis

SCENARIO = "us_tariffs_2025"
HEADLINE = "throughput.cumulative_loss_days"
PARAMETERS = [
    {"name": "switching_days", "path": "engine.switching_days", "low": 30, "high": 180},
    {"name": "restoration_days", "path": "engine.restoration_days", "low": 5, "high": 30},
    {"name": "spare_capacity", "path": "engine.spare_capacity", "low": 0.02, "high": 0.3},
    {"name": "international_lead_days", "path": "lead_times.international_days", "low": 6, "high": 30},
    {"name": "chips_inventory_days", "path": "sectors.chips.inventory_days", "low": 2, "high": 20},
    {"name": "magnets_inventory_days", "path": "sectors.magnets.inventory_days", "low": 7, "high": 60},
    {"name": "chips_sigma", "path": "sectors.chips.armington_sigma", "low": 1, "high": 5},
    {"name": "electronics_sigma", "path": "sectors.electronics.armington_sigma", "low": 2, "high": 8},
    {"name": "electronics_demand_elasticity", "path": "sectors.electronics.final_demand_elasticity", "low": 0.5,
     "high": 2.0},
]


def spec(quick: bool) -> dict:
    """The sweep: a Sobol design over the uncertain inputs."""
    return {
        "name": "sensitivity",
        "base": SCENARIO,
        "steps": 100 if quick else None,
        "design": {"type": "sobol", "n": 2 if quick else 32},
        "replicates": 1,
        "parameters": PARAMETERS[:2] if quick else PARAMETERS,
        "outputs": {"metrics": [HEADLINE, "throughput.peak_loss_pct", "final_demand_served.cumulative_loss_days"],
                    "timeseries": ["throughput"]},
    }


def main() -> None:
    args = common.arguments("sensitivity", __doc__.splitlines()[0])
    result = common.run_sweep(spec(args.quick), args)
    indices = analysis.sobol_indices(result.out, HEADLINE)
    common.write_table(indices.reset_index(), args)
    for caveat in indices.attrs["caveats"]:
        print(f"caution: {caveat}")
    path = analysis.tornado(indices, "ST", args.out / "tornado_sobol_ST.png", error="ST_conf",
                            title=f"Total Sobol index of {HEADLINE} ({len(result.runs())} runs)")
    print(f"wrote {path}")
    path = analysis.fan_chart(result.series(["throughput"]), "throughput", args.out / "fan_throughput.png",
                              title="Goods delivered, loss vs baseline across the Sobol sample")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
