"""Rate limits set through the environment: the format, start-up errors, and 429 in action."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.cli.main import main
from bot.web.errors import SettingsError
from bot.web.rate_spec import parse_rate_limit
from bot.web.settings import DEFAULT_IP_RATE, DEFAULT_LOGIN_IP_RATE, RateLimit, WebSettings
from matcher import Morphology
from tests.bot.web.conftest import SECRET, make_app

NAME = "FAQBOT_RATE_LIMIT_IP"


@pytest.mark.parametrize(
    ("text", "burst", "per_minute"),
    [
        ("60/30s", 60, 120.0),
        ("5/10m", 5, 0.5),
        ("100/1h", 100, 100 / 60),
        ("20/m", 20, 20.0),
        (" 3 / 1.5S ", 3, 120.0),
    ],
)
def test_count_per_window_is_a_bucket_of_count_refilled_over_the_window(
    text: str, burst: int, per_minute: float
) -> None:
    limit = parse_rate_limit(NAME, text)
    assert limit is not None
    assert limit.burst == burst
    assert limit.per_second * 60 == pytest.approx(per_minute)


def test_off_switches_a_limit_off() -> None:
    assert parse_rate_limit(NAME, "OFF") is None


@pytest.mark.parametrize("text", ["abc", "60", "60/", "0/1s", "10/0s", "-1/1s", "10/1d", "10/s/s"])
def test_a_malformed_limit_is_refused_with_the_variable_and_the_format(text: str) -> None:
    with pytest.raises(SettingsError) as error:
        parse_rate_limit(NAME, text)
    assert NAME in str(error.value) and "COUNT/WINDOW" in str(error.value)
    assert "60/30s" in str(error.value)


def _settings(tmp_path: Path, kb_dir: Path, **env: str) -> WebSettings:
    return WebSettings.from_env(
        kb_dir=kb_dir,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'limits.sqlite3'}",
        environ={"FAQBOT_SECRET_KEY": SECRET, **env},
    )


def test_the_settings_read_every_limit_and_keep_defaults_for_the_rest(
    tmp_path: Path, kb_dir: Path
) -> None:
    settings = _settings(
        tmp_path,
        kb_dir,
        FAQBOT_RATE_LIMIT_SESSION="2/1h",
        FAQBOT_RATE_LIMIT_EMAIL_IP="off",
        FAQBOT_RATE_LIMIT_EMAIL_SESSION="1/5m",
        FAQBOT_RATE_LIMIT_LOGIN="3/30m",
    )
    assert settings.session_rate == RateLimit(burst=2, per_second=2 / 3600)
    assert settings.ip_rate == DEFAULT_IP_RATE
    assert settings.email_ip_rate is None
    assert settings.email_session_rate == RateLimit(burst=1, per_second=1 / 300)
    assert settings.login_rate == RateLimit(burst=3, per_second=3 / 1800)
    assert settings.login_ip_rate == DEFAULT_LOGIN_IP_RATE


def test_serve_refuses_to_start_with_a_malformed_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kb_dir: Path
) -> None:
    monkeypatch.setenv("FAQBOT_ENV", "development")
    monkeypatch.setenv("FAQBOT_RATE_LIMIT_SESSION", "двадцать в минуту")
    assert main(["serve", "--kb", str(kb_dir), "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "FAQBOT_RATE_LIMIT_SESSION='двадцать в минуту'" in err and "COUNT/WINDOW" in err


@pytest.mark.anyio
async def test_limits_from_the_environment_answer_429_only_to_the_client_over_them(
    tmp_path: Path, kb_dir: Path, morphology: Morphology, anyio_backend: str
) -> None:
    settings = _settings(
        tmp_path, kb_dir, FAQBOT_RATE_LIMIT_IP="4/1h", FAQBOT_RATE_LIMIT_SESSION="2/1h"
    )
    app = make_app(settings, morphology)

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    async with (
        app.router.lifespan_context(app),
        client("10.3.0.1") as one,
        client("10.3.0.2") as two,
    ):
        first = (await one.post("/api/v1/ask", json={"question": "забыл пароль"})).json()
        again = {"question": "забыл пароль", "session_id": first["session_id"]}
        assert (await one.post("/api/v1/ask", json=again)).status_code == 200
        limited = await one.post("/api/v1/ask", json=again)
        assert limited.status_code == 429
        # 2 per hour: the next request is allowed in about half an hour.
        assert 1700 <= int(limited.headers["retry-after"]) <= 1800
        assert limited.json()["detail"].startswith("Слишком много запросов")
        # The same address, another session: still within the address's 4.
        assert (await one.post("/api/v1/ask", json={"question": "забыл пароль"})).status_code == 200
        by_address = await one.post("/api/v1/ask", json={"question": "забыл пароль"})
        assert by_address.status_code == 429 and "Retry-After" in by_address.headers
        # Another client is served as usual.
        assert (await two.post("/api/v1/ask", json={"question": "забыл пароль"})).status_code == 200
