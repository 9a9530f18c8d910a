"""Tickets shown to a staff chat, one topic each: which to announce, what changed since.

A channel (the Telegram operators' group) polls this board: new open tickets are claimed
with a lease, the channel creates the topic and posts the ticket's card, and records both;
then it asks for news (status changes, citizens' messages, operators' messages written
elsewhere, such as the web console) that each topic has not dealt with yet. The claim, and
the record of what each topic has dealt with, live in the database, so a restart neither
loses nor repeats a topic or a message, whichever process (web or Telegram) created the ticket.

What a topic has dealt with is recorded item by item, not as a cursor past the newest id
shown: on PostgreSQL ids are not committed in their order, and an event committed after a
later-numbered one was shown (a delivery refusal, written without the ticket's lock, beside
a file the citizen attached) fell behind such a cursor and was never posted (until 2026-12-05).
The cursors still move, past the items a topic dealt with, once no transaction in progress
can commit a lower id (`_fold`), so each pass looks through a few recent items per topic.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import timedelta

from bot.core.attachments import Attachment
from bot.core.clock import Clock, system_clock
from bot.core.staff_cards import StaffTopic, StatusChange, TicketCard, TopicMessage, TopicNews
from bot.core.tickets import (
    ATTACHED,
    CONTACTS_GIVEN,
    DELIVERY_REFUSED,
    Author,
    TicketEvent,
    TicketMessage,
    Via,
)
from bot.storage.database import Database
from bot.storage.staff_topic_repo import IdHorizon
from bot.storage.unit_of_work import UnitOfWork

# Events without a status change the topic still shows: the group sees neither the ticket's
# files nor its contacts otherwise (a scan the operator asked for came without a word).
SHOWN_EVENTS = frozenset({ATTACHED, CONTACTS_GIVEN, DELIVERY_REFUSED})

# Passes whose newest ids are kept to fold the cursors up to (a pass a second: while a
# transaction runs longer, the cursors wait for the newest passes once it ends).
HORIZONS_KEPT = 64

# The staff chat is the operators' Telegram group: what was written there is shown there already.
WRITTEN_IN_STAFF_CHAT = Via.TELEGRAM


def shows(message: TicketMessage) -> bool:
    """Whether the staff chat must be shown the message: a citizen's, or an operator's written
    elsewhere (messages older than `via` are skipped: the cursors passed them long ago)."""
    if message.author is Author.CITIZEN:
        return True
    return (
        message.author is Author.OPERATOR
        and message.via is not None
        and message.via is not WRITTEN_IN_STAFF_CHAT
    )


class StaffBoard:
    """Announcing tickets to one staff chat and following their changes."""

    def __init__(
        self,
        db: Database,
        *,
        chat_id: int,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 10,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self.chat_id = chat_id
        self._lease = lease
        self._batch = batch
        self._clock = clock
        # The newest ids seen by recent passes, oldest first, until no transaction that
        # could still commit a lower one is in progress (`_fold`).
        self._horizons: deque[IdHorizon] = deque(maxlen=HORIZONS_KEPT)

    async def claim(self) -> list[tuple[StaffTopic, TicketCard]]:
        """Topics this process must create (or finish): new open tickets and stale claims."""
        now = self._clock()
        async with self._db.transaction() as uow:
            claimed = list(
                await uow.staff_topics.reclaim_unfinished(
                    self.chat_id, now=now, lease=self._lease, limit=self._batch
                )
            )
            ticket_ids = await uow.staff_topics.unannounced_tickets(self.chat_id, self._batch)
            for ticket_id in ticket_ids:
                added = await uow.staff_topics.add_claimed(
                    self.chat_id, ticket_id, now=now, lease=self._lease
                )
                if added is not None:  # None: another process claimed it first
                    claimed.append(added)
        cards = []
        for topic in claimed:
            async with self._db.transaction() as uow:
                cards.append((topic, await self._card(uow, topic.ticket_number)))
        return cards

    async def topic_created(self, topic: StaffTopic, thread_id: int) -> StaffTopic:
        """Record the topic the chat created for the ticket."""
        async with self._db.transaction() as uow:
            await uow.staff_topics.set_thread(topic.id, thread_id)
        return replace(topic, thread_id=thread_id, card_message_id=None)

    async def card_posted(self, topic: StaffTopic, message_id: int) -> None:
        """Record the card's message: the topic is complete."""
        async with self._db.transaction() as uow:
            await uow.staff_topics.set_card(topic.id, message_id)

    async def failed(self, topic: StaffTopic, *, retry_after: timedelta) -> None:
        """Let the claim go, to be retried after `retry_after`."""
        async with self._db.transaction() as uow:
            await uow.staff_topics.release(topic.id, retry_at=self._clock() + retry_after)

    async def news(self) -> list[TopicNews]:
        """Topics with status changes or messages (see `shows`) they do not show yet; what a
        topic has not dealt with and is not to show (a reply written in it) is passed over."""
        found = []
        async with self._db.transaction() as uow:
            await self._fold(uow)
            topics = await uow.staff_topics.with_news(self.chat_id, self._batch)
            for topic in topics:
                card = await self._card(uow, topic.ticket_number)
                event_ids, message_ids = await uow.staff_topics.pending(topic.id)
                events = [e for e in await uow.tickets.events(topic.ticket_id) if e.id in event_ids]
                messages = [
                    m for m in await uow.tickets.messages(topic.ticket_id) if m.id in message_ids
                ]
                changes = []
                for event in events:
                    if event.action == "opened":
                        continue
                    if event.to_status is None and event.action not in SHOWN_EVENTS:
                        continue
                    changes.append(StatusChange(event, await self._name(uow, event.operator_id)))
                shown = [
                    TopicMessage(m, await self._name(uow, m.operator_id))
                    for m in messages
                    if shows(m)
                ]
                news = TopicNews(
                    topic=topic,
                    card=card,
                    changes=tuple(changes),
                    messages=tuple(shown),
                    event_ids=frozenset(e.id for e in events),
                    message_ids=frozenset(m.id for m in messages),
                )
                if changes or shown:
                    found.append(news)
                else:  # nothing to post (a reply written in the topic): passed over here
                    await self._dealt_with(uow, news)
        return found

    async def shown(self, news: TopicNews) -> None:
        """The topic now shows `news` (and has passed over what it is not to show)."""
        async with self._db.transaction() as uow:
            await self._dealt_with(uow, news)

    async def _fold(self, uow: UnitOfWork) -> None:
        """Move the topics' cursors past what they dealt with, up to the newest ids a pass
        saw before every transaction now in progress began (and, for another role's, which
        PostgreSQL does not show, after every transaction that had written then ended): none
        of those transactions took a lower id, so none can still be committed below the
        cursors. A pass with nothing to fold asks no more (the horizons seen stay true)."""
        if not await uow.staff_topics.any_dealt_with():
            return
        self._horizons.append(await uow.staff_topics.horizon())
        now = await uow.staff_topics.in_progress()
        settled = [i for i, h in enumerate(self._horizons) if h.settled(now)]
        if settled:
            # The newest settled one covers the older ones, whatever the clock did meanwhile.
            await uow.staff_topics.fold(self.chat_id, self._horizons[settled[-1]])
            for _ in range(settled[-1] + 1):
                self._horizons.popleft()

    @staticmethod
    async def _dealt_with(uow: UnitOfWork, news: TopicNews) -> None:
        await uow.staff_topics.dealt_with(
            news.topic.id, event_ids=news.event_ids, message_ids=news.message_ids
        )

    async def attached_file(
        self, number: int, event: TicketEvent
    ) -> tuple[Attachment, bytes] | None:
        """The file an `attached` event of ticket `number` records, with its bytes (whichever
        channel it came from); None when the ticket has no such file."""
        async with self._db.transaction() as uow:
            ticket = await uow.tickets.get(number)
            if ticket is None:
                return None
            # The event names the file and was written in the same transaction as it.
            same_name = [
                a
                for a in await uow.tickets.attachments(ticket)
                if a.filename == event.note and a.created_at <= event.created_at
            ]
            if not same_name:
                return None
            exact = [a for a in same_name if a.created_at == event.created_at]
            return await uow.tickets.attachment(ticket, (exact or same_name)[-1].id)

    async def topic_of_thread(self, thread_id: int) -> StaffTopic | None:
        """The ticket topic a forum thread of the chat belongs to, or None."""
        async with self._db.transaction() as uow:
            return await uow.staff_topics.by_thread(self.chat_id, thread_id)

    async def topic_of_ticket(self, number: int) -> StaffTopic | None:
        """The topic of ticket `number` in the chat, or None."""
        async with self._db.transaction() as uow:
            ticket = await uow.tickets.get(number)
            if ticket is None:
                return None
            return await uow.staff_topics.for_ticket(self.chat_id, ticket.id)

    async def topics(self) -> list[StaffTopic]:
        """Every topic of the chat."""
        async with self._db.transaction() as uow:
            return list(await uow.staff_topics.all_in_chat(self.chat_id))

    async def card(self, number: int) -> TicketCard:
        """The card of a ticket as it is now."""
        async with self._db.transaction() as uow:
            return await self._card(uow, number)

    async def _card(self, uow: UnitOfWork, number: int) -> TicketCard:
        ticket = await uow.tickets.get(number)
        if ticket is None:  # tickets are never deleted; a broken row is a bug worth a trace
            raise LookupError(f"ticket № {number} of a staff topic is missing")
        events = await uow.tickets.events(ticket.id)
        last_change = next((e for e in reversed(events) if e.operator_id is not None), None)
        return TicketCard(
            ticket=ticket,
            assignee_name=await self._name(uow, ticket.assignee_id),
            last_actor=await self._name(uow, last_change.operator_id if last_change else None),
        )

    @staticmethod
    async def _name(uow: UnitOfWork, operator_id: int | None) -> str | None:
        if operator_id is None:
            return None
        operator = await uow.operators.by_id(operator_id)
        return operator.display_name if operator else None
