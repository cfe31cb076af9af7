"""Calibration targets: the reported figures a scenario's IO table and baseline tariffs must reproduce.

Each `targets:` entry of a scenario names a share (import, output or export share) or a
trade-weighted baseline tariff, the reported value, a tolerance and its source. `check_targets`
computes each from the IO table (which the network reproduces exactly, block by block) and returns
one row per target with the model's value, the difference and whether it is within tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenario import CalibrationTarget, Scenario


def trade_matrix(scenario: Scenario) -> np.ndarray:
    """Sales per step [exporter, importer, sector] (intermediate and final use), in io.units per step."""
    n_econ, n_sec = len(scenario.economies), len(scenario.sectors)
    sup, buy, val, fsup, fimp, fval = scenario.io_blocks()
    keys = np.concatenate(((sup // n_sec * n_econ + buy // n_sec) * n_sec + sup % n_sec,
                           (fsup // n_sec * n_econ + fimp) * n_sec + fsup % n_sec))
    flows = np.bincount(keys, np.concatenate((val, fval)), n_econ * n_econ * n_sec)
    return flows.reshape(n_econ, n_econ, n_sec)


def target_value(scenario: Scenario, target: CalibrationTarget, flows: np.ndarray | None = None) -> float:
    """The model's value of one target, from the IO table."""
    flows = trade_matrix(scenario) if flows is None else flows
    e_index = {name: i for i, name in enumerate(scenario.economy_names)}
    names = scenario.sector_names
    cols = list(range(len(names))) if target.sectors == "*" else [names.index(s) for s in target.sectors]
    if target.kind == "average_tariff":
        from sim.model import Names, tariff_tensor

        imp, exp = e_index[target.importer], e_index[target.exporter]
        rates = tariff_tensor(scenario, scenario.tariffs.baseline, Names(scenario.economy_names, names))
        weight = flows[exp, imp, cols]
        return float(rates[imp, exp, cols] @ weight / weight.sum())
    block = flows[:, :, cols].sum(axis=2)  # [exporter, importer]
    foreign = block * (1 - np.eye(len(block)))
    if target.kind == "import_share":
        imp, exp = e_index[target.importer], e_index[target.exporter]
        return float(foreign[exp, imp] / foreign[:, imp].sum())
    if target.kind == "output_share":
        output = block.sum(axis=1)
        return float(output[e_index[target.economy]] / output.sum())
    return float(foreign[e_index[target.economy]].sum() / foreign.sum())  # export_share


def check_targets(scenario: Scenario) -> pd.DataFrame:
    """One row per target: name, kind, target, model, difference, tolerance, ok, source."""
    flows = trade_matrix(scenario)
    rows = []
    for target in scenario.targets:
        model = target_value(scenario, target, flows)
        rows.append({"name": target.name, "kind": target.kind, "target": target.value, "model": model,
                     "difference": model - target.value, "tolerance": target.tolerance,
                     "ok": abs(model - target.value) <= target.tolerance, "source": target.source or ""})
    return pd.DataFrame(rows, columns=["name", "kind", "target", "model", "difference", "tolerance", "ok", "source"])
