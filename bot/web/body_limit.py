"""An ASGI middleware that refuses request bodies over a size limit with 413."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True, slots=True)
class LargerBodies:
    """Paths (a full-match regular expression) that take larger bodies: file uploads."""

    path: str
    max_bytes: int
    message: str  # what a refused request is told


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes` (or a `LargerBodies` limit for its paths) before the
    app sees them.

    A body with `Content-Length` is judged by that header (the server never delivers more).
    A streamed body (chunked, no length) is read here up to the limit and then handed to the
    app whole: refusing it from inside the app's own read would surface as FastAPI's generic
    400 "error parsing the body" instead of a 413 that says what is wrong.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: Sequence[LargerBodies] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._larger = [(re.compile(rule.path), rule) for rule in larger]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, message = self._limit(scope.get("path", ""))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if value.isdigit() and int(value) > max_bytes:
                    await self._refuse(send, message)
                else:
                    await self.app(scope, receive, send)
                return
        body = bytearray()
        while True:
            received = await receive()
            if received["type"] == "http.disconnect":
                return
            body += received.get("body", b"")
            if len(body) > max_bytes:
                await self._refuse(send, message)
                return
            if not received.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    def _limit(self, path: str) -> tuple[int, str]:
        for pattern, rule in self._larger:
            if pattern.fullmatch(path):
                return rule.max_bytes, rule.message
        return self.max_bytes, f"Запрос слишком большой: не больше {self.max_bytes} байт."

    async def _refuse(self, send: Send, message: str) -> None:
        body = json.dumps({"detail": message}, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the buffered body once, then whatever the client sends next."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
