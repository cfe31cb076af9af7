"""Friend-shoring: how do the investment lag of relocating US multinationals' electronics plants
from China to Vietnam and Malaysia and the size of the US tariff wedge on Chinese electronics
shape US electronics supply and the shift of output from China to Vietnam?

Base: the calibrated friend-shoring scenario (three years; US electronics multinationals move 40%
of their Chinese capacity to Vietnam and 20% to Malaysia once the US tariff on China exceeds that
on the destination by 10 points for 90 days). The US tariff schedule on Chinese electronics is
replaced by one duty on top of the 2024 rate from 5 Apr 2025 (the wedge is that duty minus the
4-8% added on Vietnam and Malaysia); the lag from decision to first capacity is varied for both
moves. Writes heatmaps over lag x tariff, a fan chart of Vietnam's electronics output by tariff, and
a table (results/friendshoring/).

    python experiments/friendshoring.py [--quick] [--workers N]
"""

from __future__ import annotations

import common

from sim.sweep import analysis
from sim.sweep.spec import base_mapping

SCENARIO = "friendshoring"
MOVER = "US_electronics_multinationals"
METRICS = ["purchases.US.electronics.cumulative_loss_days", "purchases.US.electronics.final_level_pct",
           "output.VN.electronics.cumulative_loss_days", "output.CN.electronics.cumulative_loss_days",
           "output.VN.electronics.final_level_pct"]


def spec(quick: bool) -> dict:
    """The sweep: relocation lag x US tariff on Chinese electronics."""
    base = base_mapping(SCENARIO)
    applied = [e for e in base["tariffs"]["applied"]
               if not (e["importer"] == "US" and e.get("exporters") == ["CN"] and e.get("sectors") == ["electronics"])]
    applied.append({"importer": "US", "exporters": ["CN"], "sectors": ["electronics"], "increase": 0.5,
                    "start_date": "2025-04-05", "source": "experiment: one US duty on Chinese electronics"})
    mover = next(m for m in base["multinationals"] if m["name"] == MOVER)
    lags = [f"multinationals.{MOVER}.relocations.{i}.lag_days" for i in range(len(mover["relocations"]))]
    return {
        "name": "friendshoring",
        "base": SCENARIO,
        "overrides": {"tariffs.applied": applied},
        "steps": 200 if quick else None,
        "design": {"type": "grid"},
        "replicates": 1,
        "parameters": [
            {"name": "lag_days", "paths": lags, "values": [30, 90] if quick else [90, 180, 365, 730]},
            {"name": "us_tariff_on_cn_electronics", "path": f"tariffs.applied.{len(applied) - 1}.increase",
             "values": [0.1, 0.5] if quick else [0.1, 0.3, 0.5, 0.8]},
        ],
        "outputs": {"metrics": METRICS, "timeseries": ["purchases.US.electronics", "output.VN.electronics"]},
    }


def main() -> None:
    args = common.arguments("friendshoring", __doc__.splitlines()[0])
    result = common.run_sweep(spec(args.quick), args)
    runs = result.runs()
    common.write_table(common.point_table(runs, ["lag_days", "us_tariff_on_cn_electronics"], METRICS), args)
    for metric, title in (
            (METRICS[0], "Electronics delivered to US buyers: cumulative loss (days)"),
            (METRICS[2], "Vietnam's electronics output: cumulative loss (days; negative = gain)"),
            (METRICS[3], "China's electronics output: cumulative loss (days)"),
    ):
        path = analysis.heatmap(runs, "us_tariff_on_cn_electronics", "lag_days", metric,
                                args.out / f"heatmap_{metric}.png", title=title)
        print(f"wrote {path}")
    path = analysis.fan_chart(result.series(["output.VN.electronics"]), "output.VN.electronics",
                              args.out / "fan_output_VN_electronics.png", runs=runs, by="us_tariff_on_cn_electronics",
                              title="Vietnam's electronics output, loss vs baseline (negative = gain), by US tariff "
                                    "on China (fan: across lags)")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
