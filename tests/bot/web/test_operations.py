"""Health, metrics, the demo page, the widget script, limits, CORS and settings."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.web.errors import InsecureSettingsError
from bot.web.settings import RateLimit, WebSettings
from matcher import KnowledgeBase, Matcher, Morphology
from tests.bot.web.conftest import Web, make_app, serving
from tests.matcher.test_background_meaning import RETRYING, FailingEncoder

pytestmark = pytest.mark.anyio


async def test_healthz_is_ok_while_it_can_answer(web: Web) -> None:
    response = await web.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    base = response.json()["knowledge_base"]
    assert base["meaning_ready"] is True
    assert base["phrasings_ready"] is True  # the phrasings' vectors too, after the passages'
    assert base["meaning_error"] is None  # why building the vectors failed, while retried


async def test_healthz_says_why_the_meaning_stage_is_not_ready_while_it_is_retried(
    web_settings: WebSettings,
    morphology: Morphology,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The background build of the entries' vectors fails (the engine out of memory): the
    service answers by the words meanwhile and says so, with the reason, while it tries again."""
    encoder = FailingEncoder(cache_file=tmp_path / "embeddings.sqlite3", failing=[0] * 1_000)

    def failing(kb: KnowledgeBase, **given: Any) -> Matcher:
        return Matcher(kb, **{**given, "encoder": encoder, "settings": RETRYING})

    monkeypatch.setattr("bot.core.live_kb.Matcher", failing)
    async with serving(web_settings, morphology) as web:
        deadline = time.monotonic() + 60.0
        while encoder.failed < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        response = await web.client.get("/healthz")

    assert encoder.failed >= 2, "the build was not tried again"
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    base = response.json()["knowledge_base"]
    assert base["meaning_ready"] is False
    assert base["phrasings_ready"] is False
    assert base["meaning_error"] == "MemoryError: не хватило памяти"


async def test_healthz_is_503_when_the_database_is_down(web: Web) -> None:
    await web.services.db.close()
    # A disposed engine reconnects; make the file unreachable instead.
    url = str(web.services.settings.database_url).removeprefix("sqlite+aiosqlite:///")
    import pathlib

    path = pathlib.Path(url)
    path.rename(path.with_suffix(".gone"))
    path.mkdir()  # a directory where the database file was: SQLite cannot open it
    response = await web.client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["reason"].startswith("база данных недоступна: ")


async def test_metrics_count_questions_and_show_the_queue(web: Web) -> None:
    await web.client.post("/api/v1/ask", json={"question": "забыл пароль"})
    await web.client.post("/api/v1/ask", json={"question": "сломался карбюратор у трактора"})
    text = (await web.client.get("/metrics")).text
    assert 'faqbot_questions_total{outcome="answer"} 1.0' in text
    assert 'faqbot_questions_total{outcome="handoff"} 1.0' in text
    assert "faqbot_answer_seconds_bucket" in text
    assert "faqbot_queue_length 1.0" in text
    assert "faqbot_overdue_tickets 0.0" in text


async def test_the_demo_page_embeds_the_widget_with_one_script_tag(web: Web) -> None:
    page = await web.client.get("/")
    assert page.status_code == 200
    assert page.text.count('<script src="/widget.js"') == 1
    widget = await web.client.get("/widget.js")
    assert widget.status_code == 200
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in widget.text
    assert "innerHTML" not in widget.text


async def _app_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_rate_limits_answer_429_with_retry_after(
    web_settings: WebSettings, morphology: Morphology
) -> None:
    from dataclasses import replace

    tight = replace(web_settings, session_rate=RateLimit(burst=2, per_second=0.01))
    app = make_app(tight, morphology)
    async with app.router.lifespan_context(app), await _app_client(app) as client:
        first = (await client.post("/api/v1/ask", json={"question": "пароль"})).json()
        session = {"question": "пароль", "session_id": first["session_id"]}
        assert (await client.post("/api/v1/ask", json=session)).status_code == 200
        limited = await client.post("/api/v1/ask", json=session)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        other = await client.post("/api/v1/ask", json={"question": "пароль"})
        assert other.status_code == 200


async def test_cors_allows_only_configured_origins(
    web_settings: WebSettings, morphology: Morphology
) -> None:
    from dataclasses import replace

    app = make_app(replace(web_settings, allowed_origins=("https://gov.example",)), morphology)
    async with app.router.lifespan_context(app), await _app_client(app) as client:
        for origin, allowed in [("https://gov.example", True), ("https://evil.example", False)]:
            response = await client.options(
                "/api/v1/ask",
                headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
            )
            assert ("access-control-allow-origin" in response.headers) is allowed
            assert response.status_code == (200 if allowed else 400)
        refused = await client.options(
            "/api/v1/ask",
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "DELETE",
                "Access-Control-Request-Headers": "X-Secret",
            },
        )
        assert refused.status_code == 400
        assert refused.headers["content-type"] == "text/plain; charset=utf-8"
        assert refused.text == (
            "Запрос с другого сайта не разрешён: сайт, с которого он отправлен (Origin), "
            "не входит в число разрешённых; метод запроса не разрешён; "
            "заголовки запроса не разрешены."
        )


@pytest.mark.parametrize(
    ("environ", "refused"),
    [
        ({}, True),
        ({"FAQBOT_SECRET_KEY": "changeme"}, True),
        ({"FAQBOT_SECRET_KEY": "short-secret"}, True),
        ({"FAQBOT_SECRET_KEY": "k" * 48}, False),
        ({"FAQBOT_ENV": "development"}, False),
    ],
)
def test_settings_refuse_a_default_secret_outside_development(
    environ: dict[str, str], refused: bool, kb_dir: object
) -> None:
    from pathlib import Path

    if refused:
        with pytest.raises(InsecureSettingsError, match="FAQBOT_SECRET_KEY"):
            WebSettings.from_env(kb_dir=Path("kb"), environ=environ)
    else:
        settings = WebSettings.from_env(kb_dir=Path("kb"), environ=environ)
        assert settings.secret_key
