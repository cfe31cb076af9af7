"""The browser view's web server: solara's ASGI app behind a guard that keeps it to this machine.

`sim viz` runs `uvicorn sim.viz.asgi:app` on 127.0.0.1 (solara's documented way to serve an app
without `solara run`). `LocalOnly` wraps solara's app and answers 403 to any request whose `Host` is
not this server's own address (127.0.0.1 or localhost at its port), which defeats DNS rebinding, and
refuses a websocket whose `Origin` is another site, so a page the user visits elsewhere cannot drive
the model. Every HTTP answer carries security headers: a content security policy that allows only
this origin (no CDN, no framing), `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff` and
`Referrer-Policy: no-referrer`. The port comes from `SIM_VIZ_PORT`, set by `sim viz`.
"""

from __future__ import annotations

import os

os.environ.setdefault("SOLARA_APP", "sim.viz.app")
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

from solara.server.starlette import app as solara_app  # noqa: E402

PORT_ENV = "SIM_VIZ_PORT"
HOST_NAMES = ("127.0.0.1", "localhost")


def allowed_hosts(port: int) -> set[str]:
    """The `Host` header values this server answers: its own address, by IP or by name."""
    return {f"{name}:{port}" for name in HOST_NAMES}


def security_headers(port: int) -> list[tuple[bytes, bytes]]:
    """Headers added to every HTTP answer (the page's scripts, styles and websocket come from this origin)."""
    sockets = " ".join(f"ws://{host}" for host in sorted(allowed_hosts(port)))
    policy = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
              "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
              f"connect-src 'self' {sockets}; worker-src 'self' blob:; frame-ancestors 'none'; "
              "base-uri 'self'; form-action 'self'")
    return [(b"content-security-policy", policy.encode()), (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class LocalOnly:
    """ASGI middleware: only this machine's own address as Host, only this origin for websockets."""

    def __init__(self, app, port: int):
        self.app, self.hosts = app, allowed_hosts(port)
        self.origins = {f"http://{host}" for host in self.hosts}
        self.headers = security_headers(port)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        foreign_origin = scope["type"] == "websocket" and headers.get("origin") not in self.origins
        if headers.get("host") not in self.hosts or foreign_origin:
            return await self._refuse(scope, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = message | {"headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)

    async def _refuse(self, scope, send) -> None:
        if scope["type"] == "websocket":  # closing before accepting answers the handshake with 403
            await send({"type": "websocket.close", "code": 1008})
            return
        body = b"403: this server answers only http://127.0.0.1 and http://localhost at its own port\n"
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode()),
                                *self.headers]})
        await send({"type": "http.response.body", "body": body})


app = LocalOnly(solara_app, int(os.environ.get(PORT_ENV, "8765")))
