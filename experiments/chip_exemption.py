"""The chip exemption: what do US buyers and Malaysia's chip exporters gain from the blanket
exemption of chip lines, and how far does an exemption for imports made in US-owned plants
(above a threshold share) replace it?

Base: the calibrated 2025 scenario. Factor 1: the blanket exemption of chips, wafers and chip
equipment from the country rates, on (as calibrated) or off. Factor 2: a US rule exempting chips
from a partner that does not retaliate when US multinationals' plants there make more than a
threshold share of US chip imports from it (US-owned shares in the scenario: Malaysia 0.65,
Vietnam and the Philippines 0.3); a threshold of 1 never applies. Writes heatmaps over
exemption x threshold, a fan chart of the loss of chips reaching US buyers, and a table
(results/chip_exemption/).

    python experiments/chip_exemption.py [--quick] [--workers N]
"""

from __future__ import annotations

import common

from sim.sweep import analysis
from sim.sweep.spec import base_mapping

SCENARIO = "us_tariffs_2025"
METRICS = ["purchases.US.chips.cumulative_loss_days", "purchases.US.chips.peak_loss_pct",
           "exports.MY.chips.cumulative_loss_days", "tariff_revenue"]


def spec(quick: bool) -> dict:
    """The sweep: blanket exemption on/off x US-owned share threshold."""
    base = base_mapping(SCENARIO)
    own_plants = [{"economy": "US", "sectors": ["chips"], "threshold": 1.0, "start_day": 94,
                   "review_days": 30, "source": "experiment: exemption of imports made in US-owned plants"}]
    return {
        "name": "chip_exemption",
        "base": SCENARIO,
        "overrides": {"negotiation.own_plants_exemptions": own_plants},
        "steps": 120 if quick else None,
        "design": {"type": "grid"},
        "replicates": 1 if quick else 2,
        "parameters": [
            {"name": "blanket_exemption", "path": "tariffs.exemptions",
             "levels": {"on": base["tariffs"].get("exemptions", []), "off": []}},
            {"name": "own_plants_threshold", "path": "negotiation.own_plants_exemptions.0.threshold",
             "values": [0.5, 1.0] if quick else [0.2, 0.4, 0.6, 0.8, 1.0]},
        ],
        "outputs": {"metrics": METRICS, "timeseries": ["purchases.US.chips"]},
    }


def main() -> None:
    args = common.arguments("chip_exemption", __doc__.splitlines()[0])
    result = common.run_sweep(spec(args.quick), args)
    runs = result.runs()
    common.write_table(common.point_table(runs, ["blanket_exemption", "own_plants_threshold"], METRICS), args)
    for metric, title in ((METRICS[0], "Chips delivered to US buyers: cumulative loss (days)"),
                          (METRICS[2], "Malaysia's chip exports: cumulative loss (days)")):
        path = analysis.heatmap(runs, "own_plants_threshold", "blanket_exemption", metric,
                                args.out / f"heatmap_{metric}.png", title=title)
        print(f"wrote {path}")
    path = analysis.fan_chart(result.series(["purchases.US.chips"]), "purchases.US.chips",
                              args.out / "fan_purchases_US_chips.png", runs=runs, by="blanket_exemption",
                              title="Chips delivered to US buyers, loss vs baseline")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
