"""The fake Bot API server the Telegram tests stand on: "down" must look down to the bot and
keep its port, or a test that brings it back can find the port taken by another test's server
(it did once, while a slow `serve` started between the two)."""

from __future__ import annotations

import errno
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.bot.telegram.conftest import TOKEN
from tests.bot.telegram.fake_api import FakeBotApi

pytestmark = pytest.mark.anyio


async def test_down_refuses_connections_keeps_the_port_and_comes_back_on_it(
    api: FakeBotApi,
) -> None:
    port = urlsplit(api.base_url).port
    assert port is not None
    await api.stop()
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"{api.base_url}/bot{TOKEN}/getMe")
    with socket.socket() as other, pytest.raises(OSError) as taken:
        other.bind(("127.0.0.1", port))
    assert taken.value.errno == errno.EADDRINUSE
    assert await api.start(port) == f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{api.base_url}/bot{TOKEN}/getMe")
    assert answer.status_code == 200 and answer.json()["ok"]
