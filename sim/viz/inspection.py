"""What the network panel tells about one economy or one firm chosen by the reader, after the last step.

`economy_frame` (shown as `economy_table`) lists an economy's sectors and its total: output lost
against the calibrated steady state, and its cross-border exports and imports as % of the steady
state's, from the recorder's last row and its steady-state row (the numbers the charts plot).
`describe_firm` describes one firm of a small network (the firm view): where it is and who owns it,
its output now (the last step's flows) and at its worst step, the days of output it lost (the
recorder's per-firm arrays), the origins of the suppliers it orders from, and its price.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.formats import number
from sim.model import SupplyChainModel
from sim.selection import deliveries
from sim.viz.firm_view import model_single_origin
from sim.viz.memo import once

NOBODY = "(none)"  # the choice that inspects nothing


def _percent(now: float, base: float) -> float:
    """now as % of base; NaN where the base is 0 (nothing to compare with)."""
    return 100.0 * now / base if base > 0 else float("nan")


def economy_frame(model: SupplyChainModel, economy: str) -> pd.DataFrame:
    """Per sector of `economy` and in total: output lost (%) and cross-border exports and imports (% of the
    steady state), after the last step; NaN where the steady state has none."""
    rec, net = model.recorder, model.network
    e = net.economies.index(economy)
    n_sec = net.n_sectors
    output = rec.latest("output")[e * n_sec:(e + 1) * n_sec]
    output0 = rec.steady["output"][e * n_sec:(e + 1) * n_sec]
    delivered, steady = rec.latest("delivered"), rec.steady["delivered"]
    rows = []
    for label, sectors in [*((s, [i]) for i, s in enumerate(net.sectors)), ("total", list(range(n_sec)))]:
        exports = deliveries(rec.groups, exporters=[e], sectors=sectors, cross_border=True)
        imports = deliveries(rec.groups, importers=[e], sectors=sectors, cross_border=True)
        rows.append((label, 100.0 - _percent(output[sectors].sum(), output0[sectors].sum()),
                     _percent(delivered[exports].sum(), steady[exports].sum()),
                     _percent(delivered[imports].sum(), steady[imports].sum())))
    return pd.DataFrame(rows, columns=["sector", "output lost, %", "exports, % of baseline",
                                       "imports, % of baseline"])


def economy_table(model: SupplyChainModel, economy: str) -> str:
    """`economy_frame` as an HTML table (two decimals, '-' where there is nothing to compare with)."""
    return economy_frame(model, economy).to_html(index=False, border=0, classes="sim-matrix", na_rep="-",
                                                 float_format=lambda v: f"{v:.2f}")


def firm_choices(model: SupplyChainModel) -> dict[str, int]:
    """The firms a reader can pick, 'firm N: ECONOMY sector' -> N (made once per model)."""
    net = model.network
    return once(model, "firm_choices", lambda: {
        f"firm {i}: {net.economies[net.firm_economy[i]]} {net.sectors[net.firm_sector[i]]}": i
        for i in range(net.n_firms)})


def describe_firm(model: SupplyChainModel, firm: int) -> list[str]:
    """One firm after the last step: place and owner, output now and at its worst, days lost, the suppliers it
    orders from, price."""
    net, rec, st = model.network, model.recorder, model.engine.structure
    flows = model.last_flows
    output = float(st.output0[firm] if flows is None else flows.output[firm])
    owner = net.firm_owner[firm]
    ordering = np.flatnonzero((st.buyer == firm) & (model.engine.state.share > 0))  # links it orders on now
    origins = {net.economies[net.firm_economy[s]] for s in st.supplier[ordering]}
    single = model_single_origin(model)
    return [
        f"firm {firm}: {net.sectors[net.firm_sector[firm]]} in {net.economies[net.firm_economy[firm]]}"
        + (f", a plant of {net.multinationals[owner]}" if owner >= 0 else ""),
        f"output now {number(_percent(output, float(st.output0[firm])))}% of its baseline, at its worst step "
        f"{100.0 * rec.firm_worst_level[firm]:.2f}%; output lost so far: {number(rec.firm_loss_days[firm])} days",
        f"orders from {len(ordering)} suppliers in {', '.join(sorted(origins)) or 'no economy (no inputs)'}"
        + ("; single-origin" if single[firm] else ""),
        f"price {model.engine.state.price[firm]:.4f} (1 = baseline)",
    ]
