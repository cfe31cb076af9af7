"""The browser view's web app: solara's ASGI app (the page `sim.viz.app`) behind `sim.viz.guard.LocalOnly`.

`sim viz` runs `python -m uvicorn sim.viz.asgi:app` on 127.0.0.1, solara's documented way to serve an
app without `solara run`; the guard answers only this machine's own address and origin.
"""

from __future__ import annotations

import os

os.environ.setdefault("SOLARA_APP", "sim.viz.app")  # read when solara's server module loads
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

from solara.server.starlette import app as solara_app  # noqa: E402

from sim.viz.guard import LocalOnly  # noqa: E402

app = LocalOnly(solara_app)
