"""`faqbot serve` writes a line per request only when asked to (`--access-log`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.bot.telegram.served import serving
from tests.conftest import FIXTURE_KB

pytestmark = pytest.mark.anyio

ASK_LINE = '"POST /api/v1/ask HTTP/1.1" 200'


@pytest.mark.parametrize(("arguments", "logged"), [((), False), (("--access-log",), True)])
async def test_requests_are_logged_only_with_access_log(
    tmp_path: Path, arguments: tuple[str, ...], logged: bool
) -> None:
    async with (
        serving(tmp_path, FIXTURE_KB, {}, *arguments) as served,
        httpx.AsyncClient() as client,
    ):
        response = await client.post(
            f"{served.url}/api/v1/ask",
            json={"question": "забыл пароль", "session_id": "a" * 32},
        )
        assert response.status_code == 200
    text = served.log.read_text("utf-8")
    assert (ASK_LINE in text) is logged
    assert "забыл пароль" not in text  # a line names the request, never the question
    assert (
        "faqbot: сервер работает по адресу http://127.0.0.1:" in text
    )  # the log itself is there either way
