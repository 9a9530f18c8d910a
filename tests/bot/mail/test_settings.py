"""SMTP settings from the environment: defaults, clear start-up errors, no password in logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.mail.settings import Security, SmtpSettings
from bot.web.errors import SettingsError
from bot.web.settings import WebSettings
from tests.bot.web.conftest import SECRET

PASSWORD = "очень-секретный-пароль-smtp"


def _web(tmp_path: Path, **env: str) -> WebSettings:
    return WebSettings.from_env(kb_dir=tmp_path, environ={"FAQBOT_SECRET_KEY": SECRET, **env})


def test_without_a_host_there_is_no_email(tmp_path: Path) -> None:
    assert _web(tmp_path).smtp is None


@pytest.mark.parametrize(
    ("security", "port"), [("", 587), ("starttls", 587), ("TLS", 465), ("none", 25)]
)
def test_the_port_follows_the_security_unless_given(
    tmp_path: Path, security: str, port: int
) -> None:
    smtp = _web(
        tmp_path,
        FAQBOT_SMTP_HOST="smtp.example.ru",
        FAQBOT_SMTP_FROM="faqbot@example.ru",
        FAQBOT_SMTP_SECURITY=security,
    ).smtp
    assert smtp is not None and smtp.port == port
    assert smtp.security is Security(security.lower() or "starttls")


def test_all_settings_are_read_and_the_password_stays_out_of_repr(tmp_path: Path) -> None:
    settings = _web(
        tmp_path,
        FAQBOT_SMTP_HOST="smtp.example.ru",
        FAQBOT_SMTP_PORT="2525",
        FAQBOT_SMTP_USER="faqbot@example.ru",
        FAQBOT_SMTP_PASSWORD=PASSWORD,
        FAQBOT_SMTP_TIMEOUT="2.5",
    )
    assert settings.smtp == SmtpSettings(
        host="smtp.example.ru",
        sender="faqbot@example.ru",  # the log-in doubles as the From address
        port=2525,
        username="faqbot@example.ru",
        password=PASSWORD,
        timeout_seconds=2.5,
    )
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings.smtp)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "FAQBOT_SMTP_FROM"),
        ({"FAQBOT_SMTP_FROM": "faqbot"}, "FAQBOT_SMTP_FROM"),
        ({"FAQBOT_SMTP_FROM": "a@b.ru", "FAQBOT_SMTP_PORT": "70000"}, "FAQBOT_SMTP_PORT"),
        ({"FAQBOT_SMTP_FROM": "a@b.ru", "FAQBOT_SMTP_SECURITY": "ssl"}, "starttls, tls, none"),
        ({"FAQBOT_SMTP_FROM": "a@b.ru", "FAQBOT_SMTP_TIMEOUT": "0"}, "FAQBOT_SMTP_TIMEOUT"),
        ({"FAQBOT_SMTP_FROM": "a@b.ru", "FAQBOT_SMTP_PASSWORD": PASSWORD}, "FAQBOT_SMTP_USER"),
    ],
)
def test_a_wrong_setting_stops_the_start_with_what_to_fix(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError) as error:
        _web(tmp_path, FAQBOT_SMTP_HOST="smtp.example.ru", **env)
    assert says in str(error.value)
    assert PASSWORD not in str(error.value)
