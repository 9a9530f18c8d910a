"""Everything the web app runs on, built once at start-up and closed at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from bot.core.accounts import Accounts
from bot.core.answer_letters import EMAIL_CHANNEL, AnswerLetters
from bot.core.citizen_tickets import CitizenTickets
from bot.core.clock import system_clock
from bot.core.conversation import ConversationService
from bot.core.delivery import DeliveryWorker
from bot.core.desk import Desk
from bot.core.email_address import mask_address
from bot.core.history import ConversationHistory
from bot.core.live_kb import LiveMatcher
from bot.core.maintenance import MaintenanceSwitch
from bot.core.outbox import SenderRegistry
from bot.core.passwords import Passwords
from bot.core.proposals import Proposals
from bot.core.queue_stats import QueueStats
from bot.core.ratings import Ratings
from bot.core.reports import Reports
from bot.core.telegram_health import TelegramHealth
from bot.core.unanswered import Unanswered
from bot.core.web_events import WebEvents
from bot.core.workhours import WorkCalendar
from bot.mail.sender import EmailSender
from bot.storage.database import Database, open_database
from bot.web.answering import RecordingAnswerer, running_answerer
from bot.web.live import WEB_CHANNEL, LiveHub, StreamSlots, WebSender
from bot.web.login_guard import LoginGuard
from bot.web.monitoring import WebMetrics
from bot.web.ratelimit import RateLimiter
from bot.web.repeats import RepeatedRequests
from bot.web.settings import WebSettings
from matcher import Morphology
from matcher.analyzer import Analysis


@dataclass(frozen=True, slots=True)
class WebServices:
    """The core's services and the web layer's own parts, shared by every request."""

    settings: WebSettings
    db: Database
    answerer: LiveMatcher
    conversations: ConversationService
    desk: Desk
    citizens: CitizenTickets
    accounts: Accounts
    proposals: Proposals
    ratings: Ratings
    history: ConversationHistory
    maintenance: MaintenanceSwitch
    queue_stats: QueueStats
    unanswered: Unanswered
    reports: Reports
    hub: LiveHub
    stream_slots: StreamSlots
    web_events: WebEvents
    repeats: RepeatedRequests
    metrics: WebMetrics
    ip_limiter: RateLimiter
    session_limiter: RateLimiter
    letters: AnswerLetters
    email_ip_limiter: RateLimiter
    email_session_limiter: RateLimiter
    login_guard: LoginGuard
    stopping: asyncio.Event
    # The Telegram bot mounted on this app, if any: `/healthz` reports it.
    telegram: TelegramHealth = field(default_factory=TelegramHealth)

    @property
    def email_enabled(self) -> bool:
        """True when an SMTP server is configured: the widget offers "send to my e-mail"."""
        return self.settings.smtp is not None


ServicesFactory = Callable[[WebSettings], AbstractAsyncContextManager[WebServices]]


@asynccontextmanager
async def build_services(
    settings: WebSettings,
    *,
    passwords: Passwords | None = None,
    morphology: Morphology | None = None,
) -> AsyncIterator[WebServices]:
    """Open the database, load the base, start delivering replies; undo it all at the end."""
    db = await open_database(settings.database_url, settings.core.storage)
    try:
        async with running_answerer(
            settings.kb_dir, morphology=morphology, interval=settings.kb_reload_interval
        ) as answerer:
            calendar = WorkCalendar(settings.core.working_hours)
            calendar.prepare(system_clock())  # the first hand-off must not load it
            maintenance = MaintenanceSwitch(db)
            hub = LiveHub()
            web_events = WebEvents(db)
            await web_events.trim(older_than=settings.live_retention)
            repeats = RepeatedRequests(db)
            await repeats.trim()
            senders = SenderRegistry()
            senders.register(WEB_CHANNEL, WebSender(web_events, hub))
            proposals = Proposals(db, settings.kb_dir, settings=settings.core.proposals)

            def analyze(text: str) -> Analysis:
                # The current base's analyzer: it follows the hot reload.
                return answerer.matcher.analyzer.analyze(text)

            services = WebServices(
                settings=settings,
                db=db,
                answerer=answerer,
                conversations=ConversationService(
                    db,
                    RecordingAnswerer(answerer),
                    calendar=calendar,
                    settings=settings.core,
                    maintenance=maintenance,
                ),
                desk=Desk(db, calendar=calendar),
                citizens=CitizenTickets(db, calendar=calendar, settings=settings.core),
                accounts=Accounts(db, policy=settings.core.passwords, passwords=passwords),
                proposals=proposals,
                ratings=Ratings(db),
                history=ConversationHistory(db),
                maintenance=maintenance,
                queue_stats=QueueStats(db),
                unanswered=Unanswered(
                    db, answerer, analyze, proposals, settings=settings.core.analytics
                ),
                reports=Reports(db, answerer, analyze, settings=settings.core),
                hub=hub,
                stream_slots=StreamSlots(settings.live_streams_per_ip),
                web_events=web_events,
                repeats=repeats,
                metrics=WebMetrics(),
                ip_limiter=RateLimiter(settings.ip_rate),
                session_limiter=RateLimiter(settings.session_rate),
                letters=AnswerLetters(db, answerer),
                email_ip_limiter=RateLimiter(settings.email_ip_rate),
                email_session_limiter=RateLimiter(settings.email_session_rate),
                login_guard=LoginGuard(
                    db, per_login=settings.login_rate, per_address=settings.login_ip_rate
                ),
                stopping=asyncio.Event(),
            )
            worker = DeliveryWorker(db, senders, settings=settings.core.outbox)
            deliveries = [asyncio.create_task(worker.run(services.stopping), name="web-delivery")]
            if settings.smtp is not None:
                # A worker of its own: a slow mail server never delays operators' replies.
                mail = SenderRegistry()
                mail.register(EMAIL_CHANNEL, EmailSender(settings.smtp), mask=mask_address)
                mailer = DeliveryWorker(db, mail, settings=settings.core.outbox)
                deliveries.append(
                    asyncio.create_task(mailer.run(services.stopping), name="email-delivery")
                )
            try:
                yield services
            finally:
                services.stopping.set()
                for delivery in deliveries:
                    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                        await asyncio.wait_for(delivery, timeout=5)
    finally:
        await db.close()
