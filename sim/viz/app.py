"""The browser view's page: Mesa's SolaraViz around a `PageModel`, one model per browser session.

`Page` builds its model inside the session (`solara.use_memo`), so every browser tab steers its own
run. The model lives in a reactive value owned by the page; Mesa's Reset replaces it, and the
controls are re-rendered from the new model: the retaliation rules of its scenario's governments,
each showing the value the model was built with.
Run with `sim viz [SCENARIO]` or `solara run sim.viz.app`.
"""

from __future__ import annotations

import os

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import solara  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402

from sim.viz.components import (  # noqa: E402
    DisruptionPanel,
    EventPanel,
    FirmPanel,
    NetworkPanel,
    PolicyPanel,
    PolicyStatePanel,
    PricePanel,
    RunPanel,
    ThroughputPanel,
)
from sim.viz.params import PageModel, model_params, start_scenario  # noqa: E402

PLAY_INTERVAL_MS = 150
PANELS = [
    (NetworkPanel, 0),
    (RunPanel, 0),
    (EventPanel, 0),
    (ThroughputPanel, 0),
    (DisruptionPanel, 0),
    (PolicyPanel, 0),
    (PolicyStatePanel, 0),
    (PricePanel, 0),
    (FirmPanel, 0),
]


@solara.component
def Page(model: solara.Reactive[PageModel] | None = None):
    """The whole page for one browser session; pass `model` to watch and steer a reactive model of your own."""
    first = solara.use_memo(lambda: PageModel(start_scenario()) if model is None else None, [])
    own = solara.use_reactive(first)
    model = own if model is None else model
    current = model.value
    name = current.page_params["scenario_name"]
    return SolaraViz(
        model,
        components=list(PANELS),
        model_params=model_params(current),
        name=f"sim: {name}",
        play_interval=PLAY_INTERVAL_MS,
    )
