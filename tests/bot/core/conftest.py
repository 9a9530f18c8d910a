"""Fixtures of the core tests: the real matcher over a tiny base, services on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from bot.core.accounts import Accounts
from bot.core.citizen_tickets import CitizenTickets
from bot.core.conversation import ConversationService
from bot.core.delivery import DeliveryWorker
from bot.core.desk import Desk
from bot.core.maintenance import MaintenanceSwitch
from bot.core.outbox import SenderRegistry
from bot.core.passwords import Passwords
from bot.core.records import Operator, OutboxMessage
from bot.core.roles import Role
from bot.core.settings import CoreSettings, default_working_hours
from bot.core.workhours import WorkCalendar
from bot.storage.database import Database
from matcher import Matcher, Morphology, load_knowledge_base
from tests.bot.conftest import FakeClock

KB_DIR = Path(__file__).parent / "fixtures" / "kb"
PASSWORD = "Надёжный-пароль-2026"


@pytest.fixture(scope="session")
def core_matcher(morphology: Morphology) -> Matcher:
    """The real matcher over the tiny test base of the core, built once."""
    return Matcher(load_knowledge_base(KB_DIR), morphology=morphology)


@pytest.fixture(scope="session")
def work_calendar() -> WorkCalendar:
    """The support centre's calendar: 06:00-18:00 Moscow time on working days."""
    return WorkCalendar(default_working_hours())


class RecordingSender:
    """A channel that records what it was sent and drops repeats by idempotency key,
    as a real channel would; `failures` makes the next sends raise."""

    def __init__(self) -> None:
        self.attempts: list[OutboxMessage] = []
        self.delivered: dict[str, OutboxMessage] = {}
        self.failures = 0
        self.fail_after_sending = False

    async def send(self, message: OutboxMessage) -> None:
        self.attempts.append(message)
        if self.failures > 0 and not self.fail_after_sending:
            self.failures -= 1
            raise ConnectionError("channel is down")
        self.delivered.setdefault(message.idempotency_key, message)
        if self.failures > 0:
            # Sent, but the acknowledgement was lost on the way back.
            self.failures -= 1
            raise TimeoutError("no acknowledgement from the channel")

    @property
    def texts(self) -> list[str]:
        """What the citizen saw, once per reply."""
        return [m.text for m in self.delivered.values()]


@dataclass
class Services:
    """Everything a front end would build at start-up, on one database and one clock."""

    db: Database
    clock: FakeClock
    conversations: ConversationService
    desk: Desk
    citizens: CitizenTickets
    accounts: Accounts
    maintenance: MaintenanceSwitch
    senders: SenderRegistry
    web: RecordingSender
    telegram: RecordingSender
    worker: DeliveryWorker

    async def operator(self, login: str, role: Role = Role.OPERATOR) -> Operator:
        """A new account with the given role."""
        return await self.accounts.create(login, PASSWORD, role=role)


def fast_passwords() -> Passwords:
    """Argon2 with the cheapest parameters: the tests check behaviour, not strength."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
async def services(
    db: Database, clock: FakeClock, core_matcher: Matcher, work_calendar: WorkCalendar
) -> AsyncIterator[Services]:
    """The core's services on a fresh database."""
    settings = CoreSettings()
    maintenance = MaintenanceSwitch(db, clock=clock)
    senders = SenderRegistry()
    web, telegram = RecordingSender(), RecordingSender()
    senders.register("web", web)
    senders.register("telegram", telegram)
    yield Services(
        db=db,
        clock=clock,
        conversations=ConversationService(
            db,
            core_matcher,
            calendar=work_calendar,
            settings=settings,
            clock=clock,
            maintenance=maintenance,
        ),
        desk=Desk(db, calendar=work_calendar, clock=clock),
        citizens=CitizenTickets(db, calendar=work_calendar, settings=settings, clock=clock),
        accounts=Accounts(db, passwords=fast_passwords(), clock=clock),
        maintenance=maintenance,
        senders=senders,
        web=web,
        telegram=telegram,
        worker=DeliveryWorker(db, senders, settings=settings.outbox, clock=clock),
    )
