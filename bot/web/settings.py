"""Settings of the web front end, read from the environment once at start-up.

Nothing is read at import time. Outside development the server refuses to start without a
real secret: the console's session cookies are signed with it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.core.settings import CoreSettings
from bot.mail.errors import MailSettingsError
from bot.mail.settings import SmtpSettings
from bot.web.errors import InsecureSettingsError, SettingsError

SECRET_ENV = "FAQBOT_SECRET_KEY"
ENVIRONMENT_ENV = "FAQBOT_ENV"
ORIGINS_ENV = "FAQBOT_ALLOWED_ORIGINS"
SECURE_COOKIES_ENV = "FAQBOT_SECURE_COOKIES"
# Rate limits of the public API, each `COUNT/WINDOW` (see rate_spec.py) or `off`.
RATE_LIMIT_IP_ENV = "FAQBOT_RATE_LIMIT_IP"
RATE_LIMIT_SESSION_ENV = "FAQBOT_RATE_LIMIT_SESSION"
RATE_LIMIT_EMAIL_IP_ENV = "FAQBOT_RATE_LIMIT_EMAIL_IP"
RATE_LIMIT_EMAIL_SESSION_ENV = "FAQBOT_RATE_LIMIT_EMAIL_SESSION"
# Wrong passwords on the console's log-in form, per login and per client address.
RATE_LIMIT_LOGIN_ENV = "FAQBOT_RATE_LIMIT_LOGIN"
RATE_LIMIT_LOGIN_IP_ENV = "FAQBOT_RATE_LIMIT_LOGIN_IP"
# Live-reply streams (`/api/v1/events`) open at once from one client address, or `off`.
LIVE_STREAMS_IP_ENV = "FAQBOT_LIVE_STREAMS_PER_IP"
DEVELOPMENT = "development"
MIN_SECRET_LENGTH = 32
# Values people paste from examples; never accepted outside development.
KNOWN_DEFAULT_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "development"})
DEVELOPMENT_SECRET = "development-only-secret-never-use-it-in-production"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket: `burst` requests at once, refilled at `per_second`."""

    burst: int
    per_second: float


DEFAULT_IP_RATE = RateLimit(burst=60, per_second=2.0)  # 60/30s
DEFAULT_SESSION_RATE = RateLimit(burst=20, per_second=0.5)  # 20/40s
DEFAULT_EMAIL_IP_RATE = RateLimit(burst=10, per_second=10 / 3600)  # 10/1h
DEFAULT_EMAIL_SESSION_RATE = RateLimit(burst=3, per_second=3 / 600)  # 3/10m
# Five wrong passwords for a login, then one more every three minutes; twenty from an
# address (an office behind one router), then one every three minutes.
DEFAULT_LOGIN_RATE = RateLimit(burst=5, per_second=5 / 900)  # 5/15m
DEFAULT_LOGIN_IP_RATE = RateLimit(burst=20, per_second=20 / 3600)  # 20/1h
# Each open page of a site with the widget (a chat, or a ticket being watched) holds one
# stream: enough for several citizens' tabs behind one office router.
DEFAULT_LIVE_STREAMS_PER_IP = 20


@dataclass(frozen=True, slots=True)
class WebSettings:
    """Everything `faqbot serve` is configured with; build with `from_env`."""

    kb_dir: Path
    secret_key: str
    database_url: str | None = None
    environment: str = "production"
    allowed_origins: tuple[str, ...] = ()
    core: CoreSettings = field(default_factory=CoreSettings)
    max_body_bytes: int = 64 * 1024
    ip_rate: RateLimit | None = DEFAULT_IP_RATE  # None switches a limit off
    session_rate: RateLimit | None = DEFAULT_SESSION_RATE
    email_ip_rate: RateLimit | None = DEFAULT_EMAIL_IP_RATE
    email_session_rate: RateLimit | None = DEFAULT_EMAIL_SESSION_RATE
    login_rate: RateLimit | None = DEFAULT_LOGIN_RATE  # failed log-ins only
    login_ip_rate: RateLimit | None = DEFAULT_LOGIN_IP_RATE
    smtp: SmtpSettings | None = None  # no SMTP server: no "send to my e-mail"
    history_limit: int = 50
    sse_heartbeat_seconds: float = 15.0
    live_backlog: int = 50  # events replayed or shown in the history at most
    live_poll_seconds: float = 0.5  # how often an open stream reads events of other processes
    live_retention: timedelta = timedelta(days=30)  # older events are trimmed at start-up
    live_streams_per_ip: int | None = DEFAULT_LIVE_STREAMS_PER_IP  # None: no cap
    kb_reload_interval: float = 2.0
    console_refresh_seconds: float = 15.0  # how often an open queue or ticket page refreshes
    session_max_age_seconds: int = 12 * 3600
    secure_cookies: bool = True

    @property
    def is_development(self) -> bool:
        """True for a local run (`FAQBOT_ENV=development`)."""
        return self.environment == DEVELOPMENT

    @property
    def max_question_length(self) -> int:
        """The documented limit of a question, in characters."""
        return self.core.max_question_length

    def check(self) -> None:
        """Raise `InsecureSettingsError` when the secret is missing or a default, outside dev."""
        if self.is_development:
            return
        if self.secret_key.strip().lower() in KNOWN_DEFAULT_SECRETS or (
            self.secret_key == DEVELOPMENT_SECRET
        ):
            raise InsecureSettingsError(
                f"{SECRET_ENV} не задан (или это всем известное значение): задайте случайную "
                f"строку не короче {MIN_SECRET_LENGTH} символов, например "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`, или "
                f"{ENVIRONMENT_ENV}={DEVELOPMENT} для запуска только на этом компьютере."
            )
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise InsecureSettingsError(
                f"{SECRET_ENV} слишком короткий (символов: {len(self.secret_key)}): нужно не "
                f"меньше {MIN_SECRET_LENGTH} случайных символов."
            )

    @classmethod
    def from_env(
        cls,
        *,
        kb_dir: Path,
        database_url: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> WebSettings:
        """Settings from the environment; checked, so an insecure secret fails here."""
        env = os.environ if environ is None else environ
        environment = env.get(ENVIRONMENT_ENV, "production").strip() or "production"
        secret = env.get(SECRET_ENV, "")
        if not secret and environment == DEVELOPMENT:
            secret = DEVELOPMENT_SECRET
        origins = tuple(o.strip() for o in env.get(ORIGINS_ENV, "").split(",") if o.strip())
        try:
            smtp = SmtpSettings.from_env(env)
        except MailSettingsError as error:
            raise SettingsError(str(error)) from None
        settings = cls(
            kb_dir=kb_dir,
            secret_key=secret,
            database_url=database_url,
            environment=environment,
            allowed_origins=origins,
            secure_cookies=env.get(SECURE_COOKIES_ENV, "").strip() != "0"
            and environment != DEVELOPMENT,
            smtp=smtp,
            ip_rate=_rate_limit(env, RATE_LIMIT_IP_ENV, DEFAULT_IP_RATE),
            session_rate=_rate_limit(env, RATE_LIMIT_SESSION_ENV, DEFAULT_SESSION_RATE),
            email_ip_rate=_rate_limit(env, RATE_LIMIT_EMAIL_IP_ENV, DEFAULT_EMAIL_IP_RATE),
            email_session_rate=_rate_limit(
                env, RATE_LIMIT_EMAIL_SESSION_ENV, DEFAULT_EMAIL_SESSION_RATE
            ),
            login_rate=_rate_limit(env, RATE_LIMIT_LOGIN_ENV, DEFAULT_LOGIN_RATE),
            login_ip_rate=_rate_limit(env, RATE_LIMIT_LOGIN_IP_ENV, DEFAULT_LOGIN_IP_RATE),
            live_streams_per_ip=_stream_cap(env, LIVE_STREAMS_IP_ENV, DEFAULT_LIVE_STREAMS_PER_IP),
        )
        settings.check()
        return settings


def _rate_limit(env: Mapping[str, str], name: str, default: RateLimit) -> RateLimit | None:
    """The limit set in variable `name`, or the default when it is unset or blank."""
    from bot.web.rate_spec import parse_rate_limit  # it builds this module's RateLimit

    text = env.get(name, "")
    return parse_rate_limit(name, text) if text.strip() else default


def _stream_cap(env: Mapping[str, str], name: str, default: int) -> int | None:
    """The count set in variable `name` (a whole number from 1, or `off`: None), or the
    default when it is unset or blank; `SettingsError` when malformed."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if text.lower() == "off":
        return None
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise SettingsError(
            f"{name}={text!r}: expected a whole number of streams from 1 up, such as "
            f"{default}, or 'off'."
        )
    return int(text)
