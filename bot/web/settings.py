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
from bot.web.errors import InsecureSettingsError

SECRET_ENV = "FAQBOT_SECRET_KEY"
ENVIRONMENT_ENV = "FAQBOT_ENV"
ORIGINS_ENV = "FAQBOT_ALLOWED_ORIGINS"
SECURE_COOKIES_ENV = "FAQBOT_SECURE_COOKIES"
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
    ip_rate: RateLimit = RateLimit(burst=60, per_second=2.0)
    session_rate: RateLimit = RateLimit(burst=20, per_second=0.5)
    history_limit: int = 50
    sse_heartbeat_seconds: float = 15.0
    live_backlog: int = 50  # events replayed or shown in the history at most
    live_poll_seconds: float = 0.5  # how often an open stream reads events of other processes
    live_retention: timedelta = timedelta(days=30)  # older events are trimmed at start-up
    kb_reload_interval: float = 2.0
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
                f"{SECRET_ENV} is not set (or is a well-known default): set it to a random "
                f"string of at least {MIN_SECRET_LENGTH} characters, e.g. "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`, or set "
                f"{ENVIRONMENT_ENV}={DEVELOPMENT} for a local run."
            )
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise InsecureSettingsError(
                f"{SECRET_ENV} is {len(self.secret_key)} characters long; use at least "
                f"{MIN_SECRET_LENGTH} random characters."
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
        settings = cls(
            kb_dir=kb_dir,
            secret_key=secret,
            database_url=database_url,
            environment=environment,
            allowed_origins=origins,
            secure_cookies=env.get(SECURE_COOKIES_ENV, "").strip() != "0"
            and environment != DEVELOPMENT,
        )
        settings.check()
        return settings
