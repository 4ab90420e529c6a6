"""A shared bearer token, checked on every HTTP request before the workflow server sees it.

A pure ASGI middleware rather than a Starlette route dependency: llama-agents-server owns its
routes (and a debugger UI mounted at /), and this must cover all of them, streams included.
The token is compared in constant time and never logged; a refusal says only that it was one.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REFUSAL = json.dumps({"detail": "This server needs its access token: Authorization: Bearer <token>."}).encode()


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
        if scope["type"] == "websocket":  # the server has none today; refuse one all the same
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(_REFUSAL)).encode()),
                                (b"www-authenticate", b'Bearer realm="hitl-desktop"')]})
        await send({"type": "http.response.body", "body": _REFUSAL})

    def _authorized(self, scope: Scope) -> bool:
        given = [value for name, value in scope.get("headers", ()) if name == b"authorization"]
        # compare_digest: how long the comparison takes says nothing about the token.
        return len(given) == 1 and hmac.compare_digest(given[0], self._expected)
