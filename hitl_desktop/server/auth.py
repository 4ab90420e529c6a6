"""Who may talk to the server, checked on every HTTP request before the workflow server sees it.

- `BearerTokenAuth`: with a shared token, every request must carry it. Compared in constant
  time and never logged; a refusal says only that it was one.
- `SameOriginOnly`: without a token (loopback only), a web page the reviewer happens to visit
  could still send the server requests (a browser lets a page POST anywhere), starting runs or
  deciding reviews. Browsers name the page's origin on such requests; one from another origin
  is refused. The desktop app sends none, and the server's own debugger page is same-origin.

Pure ASGI middleware rather than Starlette route dependencies: llama-agents-server owns its
routes (and the debugger UI mounted at /), and these must cover all of them, streams included.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NO_TOKEN = "This server needs its access token: Authorization: Bearer <token>."
_OTHER_ORIGIN = "Requests from web pages of other sites are refused."


class BearerTokenAuth:
    """Lets a request through only with `Authorization: Bearer <token>`; anything else gets 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("an empty token would let everyone in")
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._authorized(scope):
            await self._app(scope, receive, send)  # lifespan events carry no request to check
            return
        await _refuse(scope, send, 401, _NO_TOKEN, [(b"www-authenticate", b'Bearer realm="hitl-desktop"')])

    def _authorized(self, scope: Scope) -> bool:
        given = [value for name, value in scope.get("headers", ()) if name == b"authorization"]
        # compare_digest: how long the comparison takes says nothing about the token.
        return len(given) == 1 and hmac.compare_digest(given[0], self._expected)


class SameOriginOnly:
    """Refuses a request that a web page of another origin sent (its Origin is not this host)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers", ()))
            origin = headers.get(b"origin")
            # "null" (a sandboxed page, a file) has no host, so it is refused too.
            if origin is not None and urlsplit(origin.decode("latin-1")).netloc != headers.get(b"host", b"").decode("latin-1"):
                await _refuse(scope, send, 403, _OTHER_ORIGIN)
                return
        await self._app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, status: int, detail: str,
                  headers: list[tuple[bytes, bytes]] | None = None) -> None:
    if scope["type"] == "websocket":  # the server has none today; refuse one all the same
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
