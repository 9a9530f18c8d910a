"""A lean HTTP/1.1 client for load generators: one keep-alive connection, JSON POSTs.

A load generator shares the machine's cores with the server it measures, and at one session
every microsecond it spends is counted in the latency it reports. aiohttp spends about 1 ms
of CPU per request here (the client CPU column of `bench_http.py`), a third of what the web
path itself costs. This client writes a prepared request and parses the answer with
httptools (uvicorn's parser, already installed): tens of microseconds a request.

It is for measuring only: no redirects, cookies, proxies, TLS or chunked requests.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httptools


class HttpError(Exception):
    """The connection failed or the server sent something unreadable."""


class _Exchange(asyncio.Protocol):
    """The connection's protocol: one response awaited at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(HttpError(f"unreadable response: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._fail(HttpError(f"connection closed: {exc}"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        body, self._body = b"".join(self._body), []
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result((self._parser.get_status_code(), body))

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    @property
    def closed(self) -> bool:
        return self._transport is None

    async def send(self, request: bytes, timeout: float) -> tuple[int, bytes]:
        if self._transport is None:
            raise HttpError("connection closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        async with asyncio.timeout(timeout):
            return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class LeanClient:
    """One client with its own keep-alive connection (from `local_address`, if given)."""

    def __init__(self, host: str, port: int, *, local_address: str | None = None) -> None:
        self._host, self._port = host, port
        self._local = (local_address, 0) if local_address else None
        self._exchange: _Exchange | None = None

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._exchange is not None:
            self._exchange.close()
            self._exchange = None

    async def post_json(self, path: str, body: Any, *, timeout: float) -> tuple[int, Any]:
        """POST `body` as JSON; the status and the decoded JSON answer (None if not JSON)."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        if self._exchange is None or self._exchange.closed:  # first, or the server closed it
            loop = asyncio.get_running_loop()
            try:
                _, self._exchange = await loop.create_connection(
                    _Exchange, self._host, self._port, local_addr=self._local
                )
            except OSError as error:
                raise HttpError(f"cannot connect: {error}") from error
        status, answer = await self._exchange.send(request, timeout)
        try:
            return status, json.loads(answer)
        except ValueError:
            return status, None
