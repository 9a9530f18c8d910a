"""A guard on the console's log-in form against password guessing.

Each attempt spends a token of its login's bucket at its client address and of the address's
own bucket before the password is checked, so parallel guesses cannot all slip through while
the first ones are being verified. The login's bucket is per address: a guesser elsewhere
cannot lock an operator out of their own desk by typing their login (with one bucket per
login, one address took every token it got back, and the right password was refused all
day). A successful log-in gives both back and starts its login afresh there, so only wrong
passwords count. Past either limit the form is refused, the right password too, until the
bucket refills.

The buckets live in the database (`login_failures`), counted in one transaction per attempt
that holds its keys' locks: every `serve` process on one database shares them, and a restart
keeps a lock-out (in memory, each process gave a guesser the full count, and a restart forgot).
A bucket is kept as the moment it is full again: a token is one interval `1 / per_second`
of it. When the database cannot be written, the attempt is refused as every console page is
in an outage (503, «Сервис временно недоступен…»): no password is checked uncounted.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock, system_clock
from bot.storage.database import Database
from bot.storage.unit_of_work import UnitOfWork
from bot.web.errors import TooManyLoginAttemptsError
from bot.web.settings import RateLimit

log = logging.getLogger(__name__)

LOGIN, ADDRESS = "login", "address"
# How the log names the limit that closed the form.
LIMIT_NAMES = {LOGIN: "по логину", ADDRESS: "по адресу"}
# Rounding of stored times (microseconds) must not refuse the last token of a bucket.
SLACK_SECONDS = 0.001
# A key the database refused is refused here until then, without asking it again: a flood of
# guesses at a closed bucket costs no write each (at most this many keys are remembered).
REMEMBERED_REFUSALS = 50_000
# Worn-off rows are deleted at most this often by one process.
PRUNE_EVERY = timedelta(minutes=1)


def login_key(login: str) -> str:
    """A typed login as one account, however it is capitalised."""
    return login.strip().lower()


def _bucket(login: str, address: str) -> str:
    """The bucket of a login tried from an address."""
    return f"{login_key(login)}\x00{address}"


def _stored_key(kind: str, bucket: str) -> str:
    """The database's key of a bucket: a hash, so a login typed is never stored."""
    return hashlib.sha256(f"{kind}\x00{bucket}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Attempt:
    """A log-in attempt let through: counted as failed until `LoginGuard.succeeded`."""

    login: str
    address: str
    # Per limit (LOGIN, ADDRESS): seconds the next attempt waits if this one fails.
    waits: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class _Limit:
    kind: str
    bucket: str
    limit: RateLimit

    @property
    def key(self) -> str:
        return _stored_key(self.kind, self.bucket)

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=1 / self.limit.per_second)

    def over(self, clear_at: datetime, now: datetime) -> float:
        """Seconds until one more token is in a bucket full again at `clear_at`; 0.0: now."""
        ahead = (clear_at - now).total_seconds()
        over = ahead - (self.limit.burst - 1) / self.limit.per_second
        return over if over > SLACK_SECONDS else 0.0


class LoginGuard:
    """Counts failed log-ins per login at a client address, and per client address."""

    def __init__(
        self,
        db: Database,
        *,
        per_login: RateLimit | None,
        per_address: RateLimit | None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._clock = clock
        self._rates = {LOGIN: per_login, ADDRESS: per_address}
        self._refused: dict[str, datetime] = {}  # key → until when the database refused it
        self._pruned_at: datetime | None = None

    async def admit(self, login: str, address: str) -> Attempt:
        """Let an attempt through, counting it as failed until `succeeded` says otherwise;
        `TooManyLoginAttemptsError` past either limit, `DatabaseUnavailableError` when the
        count cannot be kept."""
        waits = await self._take(self._limits(login, address))
        return Attempt(login, address, waits)

    def failed(self, attempt: Attempt) -> None:
        """A wrong password (already counted by `admit`): log it when it closes the form."""
        for what, wait in attempt.waits:
            if wait > 0:
                log.warning(
                    "Вход в консоль закрыт после неверных паролей (ограничение %s): логин %r "
                    "с адреса %s; следующая попытка через %d с",
                    LIMIT_NAMES.get(what, what),
                    login_key(attempt.login),
                    attempt.address,
                    math.ceil(wait),
                )

    async def succeeded(self, attempt: Attempt) -> None:
        """The right password: the login starts afresh and the address gets its token back."""
        limits = self._limits(attempt.login, attempt.address)
        if limits:
            async with self._db.transaction() as uow:
                await self._give_back(uow, limits)

    def _limits(self, login: str, address: str) -> list[_Limit]:
        buckets = {LOGIN: _bucket(login, address), ADDRESS: address}
        return [
            _Limit(kind, buckets[kind], rate)
            for kind, rate in self._rates.items()
            if rate is not None
        ]

    async def _take(self, limits: list[_Limit]) -> tuple[tuple[str, float], ...]:
        if not limits:
            return ()
        known = self._known_refusal(limits)
        if known > 0.0:
            raise TooManyLoginAttemptsError(known)
        async with self._db.transaction() as uow:
            repo = uow.login_failures
            await repo.serialise([item.key for item in limits])
            stored = await repo.clear_times([item.key for item in limits])
            now = self._clock()
            before = {item.key: max(stored.get(item.key, now), now) for item in limits}
            refused = max(item.over(before[item.key], now) for item in limits)
            if refused == 0.0:
                for item in limits:
                    await repo.put(item.key, before[item.key] + item.interval)
            if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
                await repo.prune(now)
                self._pruned_at = now
        if refused > 0.0:
            self._remember_refusal(limits, before, now)
            raise TooManyLoginAttemptsError(refused)
        return tuple(
            (item.kind, item.over(before[item.key] + item.interval, now)) for item in limits
        )

    def _known_refusal(self, limits: list[_Limit]) -> float:
        """Seconds a bucket the database refused lately stays closed; 0.0: ask the database."""
        now = self._clock()
        waits = [
            (until - now).total_seconds()
            for item in limits
            if (until := self._refused.get(item.key)) is not None
        ]
        return max([w for w in waits if w > SLACK_SECONDS], default=0.0)

    def _remember_refusal(
        self, limits: list[_Limit], before: dict[str, datetime], now: datetime
    ) -> None:
        """Keep the refused buckets' reopening times (the oldest go first past the limit)."""
        for item in limits:
            wait = item.over(before[item.key], now)
            if wait > 0.0:
                self._refused.pop(item.key, None)
                self._refused[item.key] = now + timedelta(seconds=wait)
        while len(self._refused) > REMEMBERED_REFUSALS:
            del self._refused[next(iter(self._refused))]

    async def _give_back(self, uow: UnitOfWork, limits: list[_Limit]) -> None:
        repo = uow.login_failures
        await repo.serialise([item.key for item in limits])
        stored = await repo.clear_times([item.key for item in limits])
        now = self._clock()
        for item in limits:
            clear_at = stored.get(item.key, now) - item.interval
            if item.kind == LOGIN or clear_at <= now:
                await repo.drop(item.key)
            else:
                await repo.put(item.key, clear_at)
