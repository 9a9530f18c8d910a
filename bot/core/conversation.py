"""The conversation service: one citizen message in, one channel-neutral reply out.

While the bot owns the conversation it answers from the knowledge base; when the matcher
finds nothing, the citizen asks for a person, or the matcher fails, the question becomes a
ticket. While a person owns it, the citizen's messages go to the ticket and the bot is silent.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from bot.core import wording
from bot.core.answerer import HANDOFF_TAG, SMALL_TALK_TAG, Answerer
from bot.core.citizen_tickets import status_sentence
from bot.core.clock import Clock, system_clock
from bot.core.contacts import Contacts
from bot.core.conversation_state import ConversationState
from bot.core.errors import InvalidInputError
from bot.core.identity import Identity
from bot.core.kept_replies import keep_reply
from bot.core.maintenance import MAINTENANCE_KEY, MaintenanceSwitch
from bot.core.priority import underway
from bot.core.privacy import PersonalData, mask_personal_data
from bot.core.question_log import record_question
from bot.core.ratings import stars_of
from bot.core.records import Conversation, Maintenance
from bot.core.replies import Choice, GivenMark, Reply, ReplyKind
from bot.core.settings import CoreSettings
from bot.core.ticket_flow import (
    add_contacts,
    information_given,
    move_conversation,
    open_ticket,
    rate_ticket,
)
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import Author, HandoffReason, Ticket
from bot.core.workhours import WorkCalendar
from bot.storage.database import Database
from bot.storage.quick import QuickUnitOfWork
from bot.storage.unit_of_work import UnitOfWork
from matcher import Entry
from matcher.match import Action, Match
from matcher.normalize import fold_case, words

log = logging.getLogger(__name__)

PERSON_REQUESTED = "Позовите специалиста"
# How long after closing a typed "5" still rates the ticket, once a "спасибо" in between has
# given the conversation back to the bot.
MARK_AFTER_CLOSING = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What to do with a message while the bot owns the conversation."""

    match: Match | None
    reason: HandoffReason | None  # None: the bot answers
    # The citizen pressed "позвать специалиста" without writing anything (or typed only
    # "позовите оператора"): the ticket's question is the last one they asked, not the
    # button's placeholder.
    wordless_call: bool = False

    @property
    def hands_off(self) -> bool:
        return self.reason is not None


class _NumberNeeded(Exception):
    """A hand-off found the bot owning the conversation: it opens a ticket, which needs a
    number allocated outside the transaction."""


class ConversationService:
    """Handles citizens' messages on any channel."""

    def __init__(
        self,
        db: Database,
        answerer: Answerer,
        *,
        calendar: WorkCalendar,
        settings: CoreSettings | None = None,
        clock: Clock = system_clock,
        maintenance: MaintenanceSwitch | None = None,
    ) -> None:
        self._db = db
        self._answerer = answerer
        self._calendar = calendar
        self._settings = settings or CoreSettings()
        self._clock = clock
        self._maintenance = maintenance or MaintenanceSwitch(db, clock=clock)

    async def handle(
        self, identity: Identity, text: str, *, contacts: Contacts | None = None
    ) -> Reply:
        """Answer, clarify, hand off, or stay silent, depending on who owns the conversation."""
        question = self._clean(text)
        verdict = await self._judge(question)
        # The matcher reads what was typed; what is stored (and shown to staff) is masked.
        return await self._process(identity, mask_personal_data(question), verdict, contacts)

    async def request_person(
        self, identity: Identity, text: str | None = None, *, contacts: Contacts | None = None
    ) -> Reply:
        """The citizen pressed "позвать специалиста": hand off whatever they wrote."""
        question = mask_personal_data(self._clean(text)) if text else PERSON_REQUESTED
        verdict = _Verdict(
            match=None, reason=HandoffReason.ASKED_FOR_PERSON, wordless_call=not text
        )
        return await self._process(identity, question, verdict, contacts)

    async def choose(self, identity: Identity, entry_id: str) -> Reply:
        """The citizen picked one of the offered entries: show its answer."""
        entry = self._answerer.kb.get(entry_id)
        if entry is None:
            raise InvalidInputError(f"Нет ответа с идентификатором «{entry_id}».")
        if HANDOFF_TAG in entry.tags:
            return await self.request_person(identity, entry.question)
        now = self._clock()
        # The common case, a conversation the bot answers, in a quick transaction; anything
        # else (none yet, a person's, a closed one) in the full one.
        async with self._db.quick_transaction() as quick:
            found = await quick.conversations.find_reading(identity, MAINTENANCE_KEY)
            if found is not None and found[0].state is ConversationState.BOT:
                conversation, switch = found
                return await self._chosen(quick, conversation, entry, switch, now)
            quick.cancel()
        with underway():  # the quick transaction waited its turn already
            async with self._db.transaction() as uow:
                owned, switch = await self._bot_conversation(uow, identity)
                if owned is not None:
                    return await self._chosen(uow, owned, entry, switch, now)
        # People have the conversation (a button of an earlier clarification pressed after the
        # hand-off): the button's question is the citizen's message to them, added to the
        # ticket as a typed one is. Until 2026-12-05 it was dropped without a word, and the
        # chat showed the pressed question with no reply and lost it on reload.
        return await self.handle(identity, entry.question)

    async def _chosen(
        self,
        uow: UnitOfWork | QuickUnitOfWork,
        conversation: Conversation,
        entry: Entry,
        switch: dict[str, object] | None,
        now: datetime,
    ) -> Reply:
        """The picked entry's answer, written as the exchange, and the choice logged."""
        message_id = await uow.conversations.add_exchange(
            conversation.id, entry.question, entry.answer, now, entry_id=entry.id
        )
        await uow.questions.choose(conversation.id, entry.id, message_id)
        reply = Reply(
            kind=ReplyKind.ANSWER,
            text=entry.answer,
            entry_id=entry.id,
            notice=self._notice(self._maintenance.in_force(switch)),
            message_id=message_id,
        )
        return await keep_reply(uow.requests, reply)

    async def state(self, identity: Identity) -> ConversationState:
        """Who owns the conversation right now."""
        async with self._db.transaction() as uow:
            return (await uow.conversations.open(identity, self._clock())).state

    def _clean(self, text: str) -> str:
        question = " ".join(text.split())
        if not question:
            raise InvalidInputError(wording.EMPTY_QUESTION)
        limit = self._settings.max_question_length
        if len(question) > limit:
            raise InvalidInputError(
                f"Вопрос слишком длинный: {len(question)} символов, можно не больше {limit}. "
                "Сократите его или отправьте частями, несколькими сообщениями."
            )
        return question

    async def _judge(self, question: str) -> _Verdict:
        try:
            # A short question the words settle is matched on the loop's thread; the matcher
            # is CPU-bound and thread-safe: a long question (up to tens of milliseconds of
            # gibberish) and one the meaning's stage must embed (tens of milliseconds, maybe
            # waiting for the encoder) leave the event loop free.
            match = None
            if len(question) <= self._settings.inline_match_chars:
                match = self._answerer.match_by_words(question)
            if match is None:
                match = await asyncio.to_thread(self._answerer.match, question)
        except Exception:
            log.exception(
                "Поиск ответа завершился ошибкой на вопросе %r; вопрос передан людям",
                mask_personal_data(question),
            )
            return _Verdict(match=None, reason=HandoffReason.MATCHER_FAILED)
        if match.action is Action.HANDOFF or match.entry_id is None:
            return _Verdict(match=match, reason=HandoffReason.NO_ANSWER)
        if match.action is Action.ANSWER:
            entry = self._answerer.kb.get(match.entry_id)
            if entry is None:
                return _Verdict(match=match, reason=HandoffReason.NO_ANSWER)
            if HANDOFF_TAG in entry.tags:
                # "позовите оператора" typed is the button in words: the ticket's question is
                # the citizen's last one, as for the button (the queue read the call itself).
                # A call that says more ("позовите оператора, сломался ...") is the question.
                return _Verdict(
                    match=match,
                    reason=HandoffReason.ASKED_FOR_PERSON,
                    wordless_call=_only_the_call(question, entry),
                )
        return _Verdict(match=match, reason=None)

    async def _process(
        self,
        identity: Identity,
        question: str,
        verdict: _Verdict,
        contacts: Contacts | None,
    ) -> Reply:
        now = self._clock()
        stars = stars_of(question) if verdict.reason is HandoffReason.NO_ANSWER else None
        if stars is not None:
            # "5" after "оцените ответ от 1 до 5" rates the ticket just closed; elsewhere it
            # is a question like any other.
            rated = await self._rate_closed_ticket(identity, question, stars, now)
            if rated is not None:
                return rated
        if verdict.reason is HandoffReason.NO_ANSWER and not _has_words(question):
            # "👍", "+", "???", "123": nothing for people to answer either.
            asked = await self._ask_for_words(identity, question, now)
            if asked is not None:
                return asked
        if not verdict.hands_off:
            reply = await self._record_quick(identity, question, verdict, now=now)
            if reply is not None:
                return reply
            with underway():  # the quick transaction waited its turn already
                return await self._record(identity, question, verdict, contacts=contacts, now=now)
        # A message to the ticket people already have needs no number: tried first without
        # one, so a citizen's follow-ups leave no gaps in the numbers (each used to take one).
        try:
            with underway():
                return await self._record(
                    identity, question, verdict, contacts=contacts, now=now, number=None
                )
        except _NumberNeeded:
            pass
        # Allocated before the main transaction: on SQLite the number comes from its own
        # committed write, which must not wait behind ours. An unused number is a gap.
        number = await self._db.allocate_ticket_number(now)
        with underway():  # it waited for the number already
            return await self._record(
                identity, question, verdict, contacts=contacts, now=now, number=number
            )

    async def _rate_closed_ticket(
        self, identity: Identity, mark: str, stars: int, now: datetime
    ) -> Reply | None:
        """The mark as the rating of the conversation's ticket if people just closed it
        (rated again: the latest mark counts); None when there is no such ticket."""
        async with self._db.transaction() as uow:
            conversation = await uow.conversations.open(identity, now)
            ticket_id = conversation.ticket_id
            if conversation.state is ConversationState.RESOLVED and ticket_id is not None:
                ticket = await uow.tickets.get_by_id(ticket_id)
            elif conversation.state is ConversationState.BOT:
                ticket = await self._just_closed(uow, conversation, now)
            else:
                return None
            if ticket is None:
                return None
            text = await rate_ticket(uow, ticket, conversation.id, now, stars=stars, said=mark)
            reply = Reply(kind=ReplyKind.NOTICE, text=text, mark=GivenMark(ticket.number, stars))
            return await keep_reply(uow.requests, reply)

    async def _just_closed(
        self, uow: UnitOfWork, conversation: Conversation, now: datetime
    ) -> Ticket | None:
        """The conversation's latest ticket if people closed it lately and it has no mark
        yet: "спасибо" before the "5" has given the conversation back to the bot, and the
        mark still means that ticket."""
        latest = next(
            (
                t
                for t in await uow.tickets.for_citizen(conversation.citizen_id)
                if t.conversation_id == conversation.id
            ),
            None,
        )
        if (
            latest is None
            or latest.status is not TicketStatus.RESOLVED
            or latest.closed_at is None
            or now - latest.closed_at > MARK_AFTER_CLOSING
        ):
            return None
        events = await uow.tickets.events(latest.id)
        return None if any(e.action == "rated" for e in events) else latest

    async def _ask_for_words(self, identity: Identity, text: str, now: datetime) -> Reply | None:
        """A message without a word, while the bot has the conversation: asked to put the
        question in words, and no ticket; None when people have it (it goes to them)."""
        async with self._db.transaction() as uow:
            conversation = await uow.conversations.open(identity, now)
            if not conversation.state.bot_answers:
                return None
            # One by one, not as an exchange: the reply names the citizen's message, whose
            # kept text may read otherwise ("12345" is kept as "[код]").
            said_id = await uow.conversations.add_message(
                conversation.id, Author.CITIZEN, text, now
            )
            await uow.conversations.add_message(conversation.id, Author.BOT, wording.NO_WORDS, now)
            return await keep_reply(
                uow.requests,
                Reply(kind=ReplyKind.NOTICE, text=wording.NO_WORDS, said_id=said_id),
            )

    async def _record(
        self,
        identity: Identity,
        question: str,
        verdict: _Verdict,
        *,
        contacts: Contacts | None,
        now: datetime,
        number: int | None = None,
    ) -> Reply:
        """The decision's transaction: the citizen's message, the answer or the ticket
        (`number` given for a hand-off), and the question log."""
        async with self._db.transaction() as uow:
            conversation, switch = await uow.conversations.open_reading(
                identity, now, MAINTENANCE_KEY
            )
            if not conversation.state.bot_answers:
                if verdict.wordless_call:
                    told = await self._with_people_already(uow, conversation, question, contacts)
                else:
                    told = await self._to_ticket(uow, conversation, question, contacts)
                return await keep_reply(uow.requests, told)
            if verdict.hands_off and number is None:
                raise _NumberNeeded  # rolls the transaction back: nothing written yet
            maintenance = self._maintenance.in_force(switch)
            if conversation.state is ConversationState.RESOLVED:
                await move_conversation(
                    uow, conversation, ConversationState.BOT, now, ticket_id=None
                )
                conversation = await uow.conversations.open(identity, now)
            if verdict.reason is not None and number is not None:
                subject = question
                if verdict.wordless_call:
                    subject = await self._last_question(uow, conversation) or question
                # The ticket's transcript holds the question: it is written first.
                await uow.conversations.add_message(conversation.id, Author.CITIZEN, question, now)
                reply = await self._hand_off(
                    uow,
                    conversation,
                    subject,
                    reason=verdict.reason,
                    number=number,
                    contacts=contacts,
                    maintenance=maintenance,
                )
            else:
                assert verdict.match is not None
                reply = await self._answer(uow, conversation, question, verdict.match, maintenance)
            await self._log(uow, conversation, question, verdict, reply=reply, now=now)
            return await keep_reply(uow.requests, reply)

    async def _record_quick(
        self, identity: Identity, question: str, verdict: _Verdict, *, now: datetime
    ) -> Reply | None:
        """`_record` for its common cases, a conversation the bot answers and a first
        contact, without a session (see `bot/storage/quick.py`); None when the case needs the
        full path."""
        async with self._db.quick_transaction() as quick:
            found = await quick.conversations.find_reading(identity, MAINTENANCE_KEY)
            if found is None:
                found = await quick.start_reading(identity, now, MAINTENANCE_KEY)
            if found is None or found[0].state is not ConversationState.BOT:
                quick.cancel()
                return None
            conversation, switch = found
            assert verdict.match is not None  # no number: nothing to hand off
            maintenance = self._maintenance.in_force(switch)
            reply = await self._answer(quick, conversation, question, verdict.match, maintenance)
            await self._log(quick, conversation, question, verdict, reply=reply, now=now)
            return await keep_reply(quick.requests, reply)

    async def _last_question(self, uow: UnitOfWork, conversation: Conversation) -> str | None:
        """The citizen's last question the bot answered or clarified in this conversation
        since its last ticket (within the transcript a ticket keeps); None when there was
        none. Marks, files and wordless messages are no questions: the bot's reply to them
        names no entry; small talk ("спасибо") is none either."""
        messages = await uow.conversations.recent_messages(
            conversation.id, self._settings.transcript_limit
        )
        kb = self._answerer.kb
        asked: list[str] = []
        for said, reply in pairwise(messages):
            if reply.author in (Author.OPERATOR, Author.SYSTEM):
                asked.clear()  # an earlier ticket: what came before it was handled there
                continue
            if said.author is not Author.CITIZEN or reply.author is not Author.BOT:
                continue
            entry = kb.get(reply.entry_id) if reply.entry_id is not None else None
            if (entry is not None and SMALL_TALK_TAG not in entry.tags) or reply.choices:
                asked.append(said.text)
        return asked[-1] if asked else None

    @staticmethod
    async def _log(
        uow: UnitOfWork | QuickUnitOfWork,
        conversation: Conversation,
        question: str,
        verdict: _Verdict,
        *,
        reply: Reply,
        now: datetime,
    ) -> None:
        await record_question(
            uow,
            channel=conversation.identity.channel,
            conversation_id=conversation.id,
            question=question,
            match=verdict.match,
            reason=verdict.reason,
            reply=reply,
            now=now,
        )

    async def _answer(
        self,
        uow: UnitOfWork | QuickUnitOfWork,
        conversation: Conversation,
        question: str,
        match: Match,
        maintenance: Maintenance | None,
    ) -> Reply:
        """The answer or the candidates, written with the question that asked for them."""
        now = self._clock()
        kb = self._answerer.kb
        notice = self._notice(maintenance)
        if match.action is Action.ANSWER and match.entry_id is not None:
            entry = kb.get(match.entry_id)
            assert entry is not None
            message_id = await uow.conversations.add_exchange(
                conversation.id, question, entry.answer, now, entry_id=entry.id
            )
            return Reply(
                kind=ReplyKind.ANSWER,
                text=entry.answer,
                entry_id=entry.id,
                notice=notice,
                message_id=message_id,
            )
        # The close candidates the matcher chose to offer (2-3), not every one it ranked.
        choices = tuple(
            Choice(entry_id=e.id, title=e.question)
            for e in (kb.get(c.entry_id) for c in match.choices)
            if e is not None
        )
        listing = "\n".join(f"- {c.title}" for c in choices)
        text = f"{wording.CLARIFY_PROMPT}\n{listing}"
        message_id = await uow.conversations.add_exchange(
            conversation.id, question, text, now, choices=[c.entry_id for c in choices]
        )
        return Reply(
            kind=ReplyKind.CLARIFY,
            text=text,
            entry_id=match.entry_id,
            choices=choices,
            notice=notice,
            message_id=message_id,
        )

    async def _hand_off(
        self,
        uow: UnitOfWork,
        conversation: Conversation,
        question: str,
        *,
        reason: HandoffReason,
        number: int,
        contacts: Contacts | None,
        maintenance: Maintenance | None,
    ) -> Reply:
        now = self._clock()
        away_until = maintenance.until if maintenance else None
        # During maintenance the answer time counts from when people are back, not from now.
        due_at = self._calendar.due_at(now, people_away_until=away_until)
        ticket = await open_ticket(
            uow,
            number=number,
            conversation=conversation,
            question=question,
            reason=reason,
            contacts=contacts or Contacts(),
            now=now,
            due_at=due_at,
            transcript_limit=self._settings.transcript_limit,
        )
        text = wording.handoff_text(
            ticket.number,
            now,
            self._calendar,
            due_at=ticket.due_at,
            people_away_until=away_until,
        )
        message_id = await uow.conversations.add_message(conversation.id, Author.BOT, text, now)
        # The ticket's thread has it too: operators see what the citizen was promised.
        await uow.tickets.add_message(ticket.id, Author.BOT, text, now)
        return Reply(
            kind=ReplyKind.HANDOFF,
            text=text,
            ticket_number=ticket.number,
            due_text=self._calendar.describe_promise(ticket.due_at),
            notice=self._notice(maintenance),
            message_id=message_id,
        )

    async def _to_ticket(
        self,
        uow: UnitOfWork,
        conversation: Conversation,
        text: str,
        contacts: Contacts | None = None,
    ) -> Reply:
        """A message while people own the conversation: it goes to the ticket's thread, with
        the contacts given beside it ("Позвать оператора" with the form filled in)."""
        now = self._clock()
        said_id = await uow.conversations.add_message(conversation.id, Author.CITIZEN, text, now)
        assert conversation.ticket_id is not None
        ticket = await uow.tickets.get_by_id(conversation.ticket_id)
        assert ticket is not None
        await uow.tickets.add_message(ticket.id, Author.CITIZEN, text, now)
        if contacts is not None and not contacts.is_empty:
            await add_contacts(uow, ticket, contacts, now)
        await information_given(uow, ticket, now)
        if conversation.state is ConversationState.WITH_OPERATOR:
            return Reply(
                kind=ReplyKind.SILENT, text="", ticket_number=ticket.number, said_id=said_id
            )
        told = wording.ADDED_TO_TICKET.format(number=ticket.number)
        # Kept in the conversation, so a chat opened again shows it where it was said.
        await uow.conversations.add_message(conversation.id, Author.SYSTEM, told, now)
        return Reply(kind=ReplyKind.NOTICE, text=told, ticket_number=ticket.number, said_id=said_id)

    async def _with_people_already(
        self,
        uow: UnitOfWork,
        conversation: Conversation,
        call: str,
        contacts: Contacts | None,
    ) -> Reply:
        """A call for a person with nothing written, while people own the conversation: the
        ticket's status and an invitation to write, and nothing added to the ticket but the
        contacts given with the call. Until 2026-12-05 the call's placeholder went into the
        ticket as a message and the citizen was told «Добавили ваше сообщение…».

        The call itself (`call`: «Позовите специалиста» for the button, or the words typed)
        is kept in the conversation, not the ticket: the chat showed it when it was made,
        and until the night of 2026-12-05 a chat opened again lost it."""
        now = self._clock()
        said_id = await uow.conversations.add_message(conversation.id, Author.CITIZEN, call, now)
        assert conversation.ticket_id is not None
        ticket = await uow.tickets.get_by_id(conversation.ticket_id)
        assert ticket is not None
        given = contacts if contacts is not None and not contacts.is_empty else None
        if given is not None and await add_contacts(uow, ticket, given, now) != ticket.contacts:
            await information_given(uow, ticket, now)
            ticket = await uow.tickets.get_by_id(ticket.id) or ticket
        status = status_sentence(ticket, self._calendar, now)
        told = wording.ALREADY_WITH_PEOPLE.format(status=status)
        await uow.conversations.add_message(conversation.id, Author.SYSTEM, told, now)
        return Reply(kind=ReplyKind.NOTICE, text=told, ticket_number=ticket.number, said_id=said_id)

    async def _bot_conversation(
        self, uow: UnitOfWork, identity: Identity
    ) -> tuple[Conversation | None, dict[str, object] | None]:
        """The conversation if the bot owns it (None: a person does), and the maintenance
        switch read with it."""
        now = self._clock()
        conversation, switch = await uow.conversations.open_reading(identity, now, MAINTENANCE_KEY)
        if not conversation.state.bot_answers:
            return None, switch
        if conversation.state is ConversationState.RESOLVED:
            await move_conversation(uow, conversation, ConversationState.BOT, now, ticket_id=None)
        return conversation, switch

    def _notice(self, maintenance: Maintenance | None) -> str | None:
        if maintenance is None:
            return None
        return wording.maintenance_notice(maintenance.until, self._calendar)


def _has_words(text: str) -> bool:
    """True when the message has a word of two letters or more: emoji, punctuation, digits
    and a stray letter ("а", a key pressed by mistake) alone are no question.

    `text` is masked: the labels put in place of personal data are not the citizen's words
    (until 2026-12-05 "12345", an SMS code, became "[код]" and a ticket for people, and so
    did "а")."""
    for kind in PersonalData:
        text = text.replace(kind.placeholder, " ")
    return _WORD.search(text) is not None


_WORD = re.compile(r"[^\W\d_]{2}")


def _only_the_call(message: str, entry: Entry) -> bool:
    """Whether `message` says nothing but the call for a person that `entry` answers: every
    word of it is a word of the entry's phrasings ("позовите оператора пожалуйста")."""
    said = set(words(fold_case(message)))
    known = {word for phrasing in entry.phrasings for word in words(fold_case(phrasing))}
    return said <= known
