"""Every tuning knob of the core and its storage, with its default, in one place.

Nothing is read at import time: `CoreSettings()` gives the defaults, `data_dir_from_env()` and
`default_database_url()` look at the environment only when called.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

from bot.core.workhours import WorkingHours

DATA_DIR_ENV = "FAQBOT_DATA_DIR"
DEFAULT_DATA_DIR = Path("data")
SQLITE_FILE_NAME = "faqbot.sqlite3"

MEGABYTE = 1024 * 1024


def default_working_hours() -> WorkingHours:
    """The support centre's hours from the support rules: 06:00-18:00 Moscow time."""
    return WorkingHours(
        opens=time(6),
        closes=time(18),
        timezone="Europe/Moscow",
        closed_days=frozenset(),
        answer_within=timedelta(hours=24),
    )


def data_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """The local data folder: `$FAQBOT_DATA_DIR`, or `./data` under the current directory."""
    env = os.environ if environ is None else environ
    value = env.get(DATA_DIR_ENV, "").strip()
    return Path(value) if value else Path.cwd() / DEFAULT_DATA_DIR


def default_database_url(data_dir: Path | None = None) -> str:
    """The SQLAlchemy URL of the default SQLite file inside the data folder."""
    folder = data_dir if data_dir is not None else data_dir_from_env()
    return f"sqlite+aiosqlite:///{(folder / SQLITE_FILE_NAME).resolve()}"


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """How the database is opened."""

    sqlite_busy_timeout: timedelta = timedelta(seconds=30)
    pool_size: int = 5  # PostgreSQL connections kept open
    max_overflow: int = 10  # more PostgreSQL connections opened under load
    # How long a transaction waits for a connection before the request gets 503.
    wait_timeout: timedelta = timedelta(seconds=30)

    def connections(self, sqlite: bool) -> int:
        """How many transactions run at once: SQLite writes one at a time."""
        return 1 if sqlite else self.pool_size + self.max_overflow


@dataclass(frozen=True, slots=True)
class AttachmentSettings:
    """Which files citizens may attach to a ticket (scans, screenshots)."""

    allowed_types: frozenset[str] = frozenset({"image/png", "image/jpeg", "application/pdf"})
    max_bytes: int = 10 * MEGABYTE
    max_per_ticket: int = 10


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    """Delivery of replies to channels: leases, retries and batch sizes."""

    lease: timedelta = timedelta(seconds=60)
    first_retry: timedelta = timedelta(seconds=5)
    max_retry: timedelta = timedelta(minutes=30)
    batch_size: int = 20
    poll_interval: timedelta = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What an operator password must look like."""

    min_length: int = 10
    min_character_classes: int = 2


@dataclass(frozen=True, slots=True)
class ProposalSettings:
    """Where approved knowledge-base proposals are written."""

    file_name: str = "proposed.yaml"
    topic: str = "Новые ответы"
    id_prefix: str = "proposed"


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """The question log, the inbox of unanswered questions and the reports."""

    retention_days: int = 365  # recorded questions older than this are purged
    inbox_days: int = 28  # how far back the inbox looks
    cluster_distance: float = 0.75  # cosine distance below which questions share a need
    max_cluster_questions: int = 1500  # distinct texts clustered at most (newest first)
    cluster_examples: int = 5
    group_page_questions: int = 50  # distinct questions a page of one group lists
    inbox_clusters: int = 30
    report_entries: int = 15  # rows in the "most asked" and "worst rated" tables
    min_ratings: int = 2  # ratings an entry needs to be ranked by feedback
    report_comments: int = 50  # citizens' latest comments on answers shown in the report


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """One-time codes that link a citizen's identities on two channels, and guessing limits."""

    digits: int = 6
    valid_for: timedelta = timedelta(minutes=10)
    failures_per_identity: int = 5  # wrong codes one chat or widget session may type...
    failures_per_source: int = 20  # ...and one client address, within `failure_window`
    failure_window: timedelta = timedelta(minutes=30)
    keep_expired: timedelta = timedelta(days=1)  # an expired code is still told apart


@dataclass(frozen=True, slots=True)
class CoreSettings:
    """All settings of the core, with defaults; build one at start-up and pass it down."""

    working_hours: WorkingHours = field(default_factory=default_working_hours)
    storage: StorageSettings = field(default_factory=StorageSettings)
    attachments: AttachmentSettings = field(default_factory=AttachmentSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    passwords: PasswordPolicy = field(default_factory=PasswordPolicy)
    proposals: ProposalSettings = field(default_factory=ProposalSettings)
    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    linking: LinkSettings = field(default_factory=LinkSettings)
    max_question_length: int = 2000
    # Questions up to this long are matched on the event loop's thread: handing one to a
    # worker thread costs more than matching it, and the longest takes about 5 ms (the
    # interpreter's own thread switch interval); longer ones go to a thread.
    inline_match_chars: int = 160
    # A chat's dialogue memory (contacts shared, a pending prompt) unchanged this long is
    # forgotten: a shared phone number is not kept for ever.
    dialogue_memory: timedelta = timedelta(days=30)
    transcript_limit: int = 20
