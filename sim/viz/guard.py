"""The browser view's guard: an ASGI middleware that keeps the server to this machine.

`LocalOnly` answers 403 to any request whose `Host` is not this server's own address (127.0.0.1 or
localhost at the port the request came in on; the bare name on port 80), which defeats DNS
rebinding, and refuses a websocket whose `Origin` is not this server's own (a page the user visits
elsewhere cannot drive the model; closing before accepting answers the handshake with 403). Every
HTTP answer carries security headers: a content security policy that allows only this origin (no
CDN, no framing), `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff` and
`Referrer-Policy: no-referrer`. `sim.viz.asgi` puts it in front of solara's app.
"""

from __future__ import annotations

HOST_NAMES = ("127.0.0.1", "localhost")


def allowed_hosts(port: int) -> set[str]:
    """The `Host` header values the server answers on `port`: its own address, by IP or by name."""
    return {f"{name}:{port}" for name in HOST_NAMES} | (set(HOST_NAMES) if port == 80 else set())


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

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):  # lifespan and the like pass through
            return await self.app(scope, receive, send)
        port = (scope.get("server") or ("", 80))[1] or 80
        hosts, extra = allowed_hosts(port), security_headers(port)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        foreign_origin = scope["type"] == "websocket" and headers.get("origin") not in {f"http://{h}" for h in hosts}
        if headers.get("host") not in hosts or foreign_origin:
            return await _refuse(scope, send, extra)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = message | {"headers": [*message.get("headers", []), *extra]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


async def _refuse(scope, send, headers: list[tuple[bytes, bytes]]) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b"403: this server answers only http://127.0.0.1 and http://localhost at its own port\n"
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})
