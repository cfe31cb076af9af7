"""Retaliation or not: how do the US tariff level on Malaysia and Malaysia's answer to it change
Malaysia's export loss and the chips reaching US buyers?

Base: the calibrated 2025 scenario, with the US tariff schedule on Malaysia replaced by one duty
on top of the 2024 rates from 9 Apr 2025 (chips stay exempt as in the scenario) and Malaysia's retaliation rule varied
(none, tit for tat, proportional at half, escalation). China, the rest of the schedule, the
export controls and the US–Malaysia offer stay as calibrated; the offer is accepted only from a
partner that does not retaliate. Writes heatmaps of both metrics over tariff x rule, a fan chart of
Malaysia's export loss by rule, and a table (results/retaliation/).

    python experiments/retaliation.py [--quick] [--workers N]
"""

from __future__ import annotations

import common

from sim.sweep import analysis
from sim.sweep.spec import base_mapping

SCENARIO = "us_tariffs_2025"
RULES = {
    "none": {"rule": "none"},
    "tit_for_tat": {"rule": "tit_for_tat", "against": ["US"], "delay_days": 7},
    "proportional_0.5": {"rule": "proportional", "k": 0.5, "against": ["US"], "delay_days": 7},
    "escalate": {"rule": "escalate", "step": 0.1, "cap": 1.0, "against": ["US"], "delay_days": 7},
}
METRICS = ["exports.MY.cumulative_loss_days", "exports.MY.peak_loss_pct",
           "purchases.US.chips.cumulative_loss_days", "purchases.US.chips.peak_loss_pct"]


def targets(entry: dict, key: str) -> list | str:
    value = entry.get(key, "*")
    return [value] if isinstance(value, str) and value != "*" else value


def spec(quick: bool) -> dict:
    """The sweep: US tariff on Malaysia x Malaysia's retaliation rule."""
    base = base_mapping(SCENARIO)
    applied = [e for e in base["tariffs"]["applied"]
               if not (e["importer"] == "US" and targets(e, "exporters") == ["MY"])]
    applied.append({"importer": "US", "exporters": ["MY"], "sectors": "*", "increase": 0.19,
                    "start_date": "2025-04-09", "source": "experiment: one US duty on Malaysia from 9 Apr 2025"})
    others = [r for r in base.get("retaliation", []) if r["economy"] != "MY"]
    rules = {label: [*others, {"economy": "MY", **rule}] for label, rule in RULES.items()
             if not quick or label in ("none", "tit_for_tat")}
    return {
        "name": "retaliation",
        "base": SCENARIO,
        "overrides": {"tariffs.applied": applied},
        "steps": 120 if quick else None,
        "design": {"type": "grid"},
        "replicates": 1 if quick else 2,
        "parameters": [
            {"name": "us_tariff_on_my", "path": f"tariffs.applied.{len(applied) - 1}.increase",
             "values": [0.19, 0.5] if quick else [0.0, 0.1, 0.19, 0.3, 0.5]},
            {"name": "my_rule", "path": "retaliation", "levels": rules},
        ],
        "outputs": {"metrics": METRICS, "timeseries": ["exports.MY"]},
    }


def main() -> None:
    args = common.arguments("retaliation", __doc__.splitlines()[0])
    result = common.run_sweep(spec(args.quick), args)
    runs = result.runs()
    common.write_table(common.point_table(runs, ["us_tariff_on_my", "my_rule"], METRICS), args)
    for metric, title in ((METRICS[0], "Malaysia's exports: cumulative loss (days of baseline)"),
                          (METRICS[2], "Chips delivered to US buyers: cumulative loss (days)")):
        path = analysis.heatmap(runs, "us_tariff_on_my", "my_rule", metric, args.out / f"heatmap_{metric}.png",
                                title=title)
        print(f"wrote {path}")
    path = analysis.fan_chart(result.series(["exports.MY"]), "exports.MY", args.out / "fan_exports_MY.png", runs=runs,
                              by="my_rule", title="Malaysia's exports, loss vs baseline by Malaysia's rule")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
