"""The delivery worker: takes due replies from the outbox and hands them to channel senders.

Delivery is at-least-once: a row is leased, sent, then acknowledged in a second transaction.
If the process dies in between, another worker sends it again with the same idempotency key,
which lets the channel drop the duplicate: at once when that worker runs on the same machine
and can see that the process is gone (`bot.core.claimants`), when the lease runs out
otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.claimants import host_prefix, is_gone, worker_name
from bot.core.clock import Clock, system_clock
from bot.core.errors import DatabaseUnavailableError, RecipientRefusedError
from bot.core.outbox import SenderRegistry
from bot.core.priority import Priority, current_priority
from bot.core.records import OutboxMessage
from bot.core.settings import OutboxSettings
from bot.core.tickets import DELIVERY_REFUSED, Author
from bot.storage.database import Database
from bot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
# How often a database outage the worker keeps meeting is said again.
OUTAGE_REPEAT_SECONDS = 60.0


def retry_delay(attempts: int, settings: OutboxSettings) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: doubling, capped."""
    exponent = max(attempts - 1, 0)
    # Cap the exponent before multiplying so that a long outage cannot overflow timedelta.
    delay = settings.first_retry * (1 << min(exponent, 30))
    return min(delay, settings.max_retry)


def _refused_before(message: OutboxMessage) -> bool:
    """The reply's previous attempt was refused as well (its history says so already)."""
    return (message.last_error or "").startswith(RecipientRefusedError.__name__)


async def _record_refusal(uow: UnitOfWork, number: int, why: str, now: datetime) -> None:
    """Tell the ticket's staff, once per reply, that the citizen's channel refused it: the
    operator would otherwise believe it read (the reply itself is tried again later)."""
    ticket = await uow.tickets.get(number)
    if ticket is not None:
        await uow.tickets.add_event(ticket.id, DELIVERY_REFUSED, Author.SYSTEM, now, note=why)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass of the worker did."""

    delivered: int
    failed: int


@dataclass(frozen=True, slots=True)
class _Outage:
    """The database unreachable for the worker since `since` (monotonic seconds)."""

    since: float
    said_at: float | None = None

    def noticed(self, error: DatabaseUnavailableError) -> _Outage:
        """Log the outage at its first poll and then at most once a minute."""
        now = time.monotonic()
        if self.said_at is not None and now - self.said_at < OUTAGE_REPEAT_SECONDS:
            return self
        log.warning(
            "Очередь ответов: база данных недоступна%s, повторим: %r",
            f" уже {round(now - self.since)} с" if self.said_at is not None else "",
            error.__cause__,
        )
        return replace(self, said_at=now)


class DeliveryWorker:
    """Delivers outbox rows for the channels that have a registered sender."""

    def __init__(
        self,
        db: Database,
        senders: SenderRegistry,
        *,
        settings: OutboxSettings | None = None,
        clock: Clock = system_clock,
        worker_id: str | None = None,
    ) -> None:
        self._db = db
        self._senders = senders
        self._settings = settings or OutboxSettings()
        self._clock = clock
        self.worker_id = worker_id or worker_name()

    async def claim(self) -> list[OutboxMessage]:
        """Lease a batch of due rows to this worker (first half of `run_once`)."""
        channels = self._senders.channels
        if not channels:
            return []
        async with self._db.transaction() as uow:
            now = self._clock()
            return list(
                await uow.outbox.claim_due(
                    channels=channels,
                    worker=self.worker_id,
                    now=now,
                    lease=self._settings.lease,
                    limit=self._settings.batch_size,
                    gone=await self._gone_claimants(uow, channels, now),
                )
            )

    async def _gone_claimants(
        self, uow: UnitOfWork, channels: Collection[str], now: datetime
    ) -> list[str]:
        """Workers of this machine that hold leases on replies this worker delivers but
        whose process is gone (killed, or it crashed): those replies need not wait for the
        leases to run out."""
        prefix = host_prefix()
        if prefix is None:
            return []
        names = await uow.outbox.claimants(channels=channels, prefix=prefix, now=now)
        gone = [name for name in names if name != self.worker_id and is_gone(name)]
        if gone:
            log.info(
                "Очередь ответов: процесс, взявший ответы для доставки, остановился (%s); "
                "их доставка продолжается сейчас, не дожидаясь конца аренды",
                ", ".join(gone),
            )
        return gone

    async def deliver(self, message: OutboxMessage) -> bool:
        """Send one claimed row and record the outcome; True when it was delivered."""
        sender = self._senders.get(message.channel)
        try:
            await sender.send(message)
        except Exception as error:
            retry_at = self._clock() + retry_delay(message.attempts, self._settings)
            refused = isinstance(error, RecipientRefusedError) and not _refused_before(message)
            log.warning(
                "Ответ %s для %s:%s не доставлен с попытки %d, повтор в %s: %r",
                message.idempotency_key,
                message.channel,
                self._senders.shown_recipient(message.channel, message.recipient),
                message.attempts,
                retry_at.isoformat(),
                error,
            )
            async with self._db.transaction() as uow:
                await uow.outbox.mark_failed(
                    message.id, worker=self.worker_id, error=repr(error), retry_at=retry_at
                )
                if refused and message.ticket_number is not None:
                    await _record_refusal(uow, message.ticket_number, str(error), self._clock())
            return False
        # A personal recipient (an e-mail address) is kept only as long as delivery needs it.
        forget = self._senders.masks(message.channel)
        async with self._db.transaction() as uow:
            await uow.outbox.mark_delivered(
                message.id,
                self._clock(),
                recipient=self._senders.shown_recipient(message.channel, message.recipient)
                if forget
                else None,
            )
        return True

    async def run_once(self) -> DeliveryReport:
        """Claim due rows and try each once, in the order they were written.

        Once a reply to a recipient fails, that recipient's later replies in the batch are
        put back untried: sent now, they would arrive before the one that failed.
        """
        delivered = failed = 0
        stalled: set[tuple[str, str]] = set()
        for message in await self.claim():
            recipient = (message.channel, message.recipient)
            if recipient in stalled:
                async with self._db.transaction() as uow:
                    await uow.outbox.mark_failed(
                        message.id,
                        worker=self.worker_id,
                        error="waits for an earlier reply to the same recipient",
                        retry_at=None,  # due at once, whatever the clocks of other servers
                    )
                failed += 1
            elif await self.deliver(message):
                delivered += 1
            else:
                stalled.add(recipient)
                failed += 1
        return DeliveryReport(delivered=delivered, failed=failed)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, polling when there is nothing to do.

        Delivering finishes work already accepted (an operator's reply, a letter a citizen
        asked for), so its transactions go ahead of new questions as staff work does: under
        heavy citizen traffic the worker would otherwise wait behind every queued question
        twice a reply (sending, then recording it), and replies would reach citizens minutes
        late.
        """
        token = current_priority.set(Priority.STAFF)
        try:
            await self._run(stop)
        finally:
            current_priority.reset(token)

    async def _run(self, stop: asyncio.Event) -> None:
        outage: _Outage | None = None
        while not stop.is_set():
            try:
                report = await self.run_once()
            except DatabaseUnavailableError as error:
                # The rows are safe in the database; carry on once it is back. Said when the
                # outage begins and then once a minute, not at every poll.
                outage = (outage or _Outage(time.monotonic())).noticed(error)
                report = DeliveryReport(delivered=0, failed=0)
            except Exception:
                # A worker that dies leaves every later reply undelivered with nobody told:
                # log the bug loudly and keep delivering the rows that can be delivered.
                log.exception(
                    "Очередь ответов: проход доставки завершился ошибкой; доставка продолжается"
                )
                report = DeliveryReport(delivered=0, failed=0)
            else:
                if outage is not None:
                    log.info(
                        "Очередь ответов: база данных снова доступна (была недоступна %d с), "
                        "доставка продолжается",
                        round(time.monotonic() - outage.since),
                    )
                    outage = None
            if report.delivered or report.failed:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    stop.wait(), timeout=self._settings.poll_interval.total_seconds()
                )
