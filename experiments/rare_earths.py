"""Rare-earth export controls: how do the share of China's rare-earth and magnet exports to the US
that is blocked, how long the block lasts, and how many days of stock US buyers hold change the
supply of magnets to US buyers, the loss of US magnet and auto/EV output and the time to recover?

Base: the calibrated 2024 network without any policy (so the control is the only shock), with one
Chinese export control on processed rare earths and magnets to the US from day 0. Inventory days
are set for both sectors' buyers. Writes heatmaps over blocked share x inventory days (for the
longest block), a fan chart of US auto output by duration, and a table (results/rare_earths/).

    python experiments/rare_earths.py [--quick] [--workers N]
"""

from __future__ import annotations

import common

from sim.sweep import analysis

SCENARIO = "baseline_2024"
SECTORS = ["rare_earth_processing", "magnets"]
METRICS = ["purchases.US.magnets.peak_loss_pct", "purchases.US.magnets.cumulative_loss_days",
           "output.US.magnets.peak_loss_pct", "output.US.magnets.cumulative_loss_days",
           "output.US.autos.peak_loss_pct", "output.US.autos.cumulative_loss_days",
           "output.US.autos.recovery_days", "output.US.magnets.recovery_days"]


def spec(quick: bool) -> dict:
    """The sweep: share blocked x duration x inventory days."""
    control = {"exporter": "CN", "importers": ["US"], "sectors": SECTORS, "share": 1.0, "start_day": 0,
               "end_day": 90, "source": "experiment: China blocks a share of its RE/magnet exports to the US"}
    return {
        "name": "rare_earths",
        "base": SCENARIO,
        "overrides": {"export_controls": [control]},
        "steps": 90 if quick else 365,
        "design": {"type": "grid"},
        "replicates": 1,
        "parameters": [
            {"name": "share_blocked", "path": "export_controls.0.share",
             "values": [0.5, 1.0] if quick else [0.25, 0.5, 0.75, 1.0]},
            {"name": "duration_days", "path": "export_controls.0.end_day",
             "values": [30] if quick else [30, 90, 180]},
            {"name": "inventory_days", "paths": [f"sectors.{s}.inventory_days" for s in SECTORS],
             "values": [15, 60] if quick else [15, 30, 60, 120]},
        ],
        "outputs": {"metrics": METRICS, "timeseries": ["output.US.autos"]},
    }


def main() -> None:
    args = common.arguments("rare_earths", __doc__.splitlines()[0])
    result = common.run_sweep(spec(args.quick), args)
    runs = result.runs()
    table = common.point_table(runs, ["share_blocked", "duration_days", "inventory_days"], METRICS)
    common.write_table(table, args)
    longest = runs[runs["duration_days"] == runs["duration_days"].max()]
    days = int(longest["duration_days"].iloc[0])
    block = f"{days}-day block"
    for metric, title in (
            ("purchases.US.magnets.cumulative_loss_days", f"Magnets delivered to US buyers: loss (days), {block}"),
            ("output.US.autos.cumulative_loss_days", f"US auto/EV output: cumulative loss (days), {block}"),
            ("output.US.autos.recovery_days", f"US auto/EV output: days to recover (– = not by the end), {block}"),
    ):
        path = analysis.heatmap(longest, "share_blocked", "inventory_days", metric, args.out / f"heatmap_{metric}.png",
                                title=title)
        print(f"wrote {path}")
    path = analysis.fan_chart(result.series(["output.US.autos"]), "output.US.autos",
                              args.out / "fan_output_US_autos.png", runs=runs, by="duration_days",
                              title="US auto/EV output, loss vs baseline, by block length")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
