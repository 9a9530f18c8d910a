"""Everything the bot runs on, built once at start-up and closed at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.core.accounts import Accounts
from bot.core.citizen_tickets import CitizenTickets
from bot.core.clock import system_clock
from bot.core.conversation import ConversationService
from bot.core.desk import Desk
from bot.core.dialogues import DialogueMemory
from bot.core.live_kb import LiveMatcher
from bot.core.maintenance import MaintenanceSwitch
from bot.core.ratings import Ratings
from bot.core.settings import default_database_url
from bot.core.staff_board import StaffBoard
from bot.core.wording import hours_phrase
from bot.core.workhours import WorkCalendar
from bot.storage.database import Database, open_database
from bot.telegram.render import RenderOptions
from bot.telegram.settings import TelegramSettings
from bot.web.answering import running_answerer
from matcher import Morphology


@dataclass(frozen=True, slots=True)
class TelegramServices:
    """The core's services the bot's handlers use."""

    settings: TelegramSettings
    db: Database
    answerer: LiveMatcher
    conversations: ConversationService
    citizens: CitizenTickets
    ratings: Ratings
    render_options: RenderOptions
    desk: Desk
    accounts: Accounts
    dialogues: DialogueMemory  # aiogram's FSM storage: what chats said before, kept in the database
    staff: StaffBoard | None = None  # the operators' group, when one is configured


@asynccontextmanager
async def build_services(
    settings: TelegramSettings, *, morphology: Morphology | None = None
) -> AsyncIterator[TelegramServices]:
    """Open the database and load the hot-reloading knowledge base; close them at the end."""
    url = settings.database_url or default_database_url()
    db = await open_database(url, settings.core.storage)
    try:
        async with running_answerer(
            settings.kb_dir, morphology=morphology, interval=settings.kb_reload_interval
        ) as answerer:
            yield services_on(settings, db, answerer)
    finally:
        await db.close()


def services_on(
    settings: TelegramSettings,
    db: Database,
    answerer: LiveMatcher,
) -> TelegramServices:
    """The bot's services over an open database and a loaded base (`serve` shares its own)."""
    calendar = WorkCalendar(settings.core.working_hours)
    calendar.prepare(system_clock())  # the first hand-off must not load it
    return TelegramServices(
        settings=settings,
        db=db,
        answerer=answerer,
        conversations=ConversationService(
            db,
            answerer,
            calendar=calendar,
            settings=settings.core,
            maintenance=MaintenanceSwitch(db),
        ),
        citizens=CitizenTickets(db, calendar=calendar, settings=settings.core),
        ratings=Ratings(db),
        render_options=RenderOptions(
            answer_within=hours_phrase(settings.core.working_hours.answer_within)
        ),
        desk=Desk(db, calendar=calendar),
        accounts=Accounts(db, policy=settings.core.passwords),
        dialogues=DialogueMemory(db, ttl=settings.core.dialogue_memory),
        staff=StaffBoard(db, chat_id=settings.staff_chat_id)
        if settings.staff_chat_id is not None
        else None,
    )
