"""Serving the browser view: `sim viz [SCENARIO] [--port N]` serves the page on 127.0.0.1 (uvicorn running
solara's app behind `sim.viz.guard`, which answers only this machine's own address and origin).

The scenario is checked before the server starts (a bad name exits with the usual message), the
port is checked to be free (0 picks a free one), and the address is printed. The page needs the
`viz` extra (solara and its front end); without it `sim viz` says how to install it. The front end is
served from the locally installed solara assets, so the page works without internet; if solara is
there but its assets are not, a warning says how to add them. Telemetry is switched off.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys

from sim.errors import ScenarioError
from sim.extras import install_hint, missing

log = logging.getLogger(__name__)
HOST = "127.0.0.1"
SCENARIO_ENV = "SIM_VIZ_SCENARIO"  # the scenario the page opens with (read by sim.viz.params)
DEFAULT_PORT = 8765
APP = "sim.viz.app"
ASGI_APP = "sim.viz.asgi:app"  # solara's app behind the local-only guard


def free_port(port: int, host: str = HOST) -> int:
    """`port` if it can be bound on `host` (0: any free port), else a ScenarioError naming --port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ScenarioError(f"port {port} is not free on {host} ({exc.strerror}); allowed: a free port, "
                                "or 0 for any", field="--port") from None
        return sock.getsockname()[1]


def server_command(port: int, host: str = HOST) -> list[str]:
    """The command line that runs the page's server: uvicorn serving solara's app behind `sim.viz.asgi`."""
    return [sys.executable, "-m", "uvicorn", ASGI_APP, "--host", host, "--port", str(port), "--no-access-log",
            "--log-level", "warning"]


def server_env(scenario: str) -> dict[str, str]:
    """The server's environment: the page to serve, the scenario to open with, production mode, telemetry off."""
    return os.environ | {SCENARIO_ENV: scenario, "SOLARA_APP": APP, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
                         "SOLARA_MODE": "production"}


def serve(scenario: str | None = None, port: int = DEFAULT_PORT, host: str = HOST) -> int:
    """Check the scenario and port, print the address and become the server (runs until interrupted)."""
    from sim.scenario import DEFAULT_SCENARIO, load_scenario

    name = scenario or DEFAULT_SCENARIO
    load_scenario(name)
    if not 0 <= port <= 65535:
        raise ScenarioError(f"bad port {port}: allowed: 0 to 65535", field="--port")
    absent = missing("viz")
    if set(absent) - {"solara_assets"}:
        raise ScenarioError(f"the browser view needs {', '.join(absent)} (the 'viz' extra); allowed: install it "
                            f"with {install_hint('viz')}", field="sim viz")
    port = free_port(port, host)
    if absent:
        log.warning("solara's front-end assets are not installed, so the page loads them from a CDN; "
                    "install them with: %s", install_hint("viz"))
    print(f"Browser view of '{name}' at http://{host}:{port}/  (Ctrl+C stops)", flush=True)
    command = server_command(port, host)
    os.execve(command[0], command, server_env(name))  # the server takes over this process (and its Ctrl+C)
    return 0


def cmd_viz(args: argparse.Namespace) -> int:
    """`sim viz [SCENARIO] [--port N]`."""
    return serve(args.scenario, args.port)
