"""ORM mapping of the core's tables; the migrations in `migrations/versions` create them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.columns import UtcDateTime

# SQLite gives AUTOINCREMENT semantics only to INTEGER PRIMARY KEY columns.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of the core's tables."""


def table_of(mapped: type[Base]) -> Table:
    """The Core table behind a mapped class, for the hot path's prepared statements: they
    skip the unit of work's bookkeeping, which costs more than the statement itself."""
    table = mapped.__table__
    assert isinstance(table, Table)
    return table


class CitizenRow(Base):
    __tablename__ = "citizens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdentityRow(Base):
    __tablename__ = "citizen_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConversationRow(Base):
    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("citizen_identities.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConversationMessageRow(Base):
    __tablename__ = "conversation_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    author: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A clarification's offered entries (ids), in the order they were offered.
    choices: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class TicketRow(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_queue", "status", "assignee_id", "due_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("citizen_identities.id"))
    # No foreign key: conversations already point at tickets, and SQLite cannot add the
    # second edge of a cycle after both tables exist.
    conversation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    channel: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    contact_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TicketNumberRow(Base):
    """SQLite's ticket number counter: AUTOINCREMENT never hands out a number twice."""

    __tablename__ = "ticket_numbers"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TicketMessageRow(Base):
    __tablename__ = "ticket_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author: Mapped[str] = mapped_column(String(20))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    via: Mapped[str | None] = mapped_column(String(20), nullable=True)


class TicketEventRow(Base):
    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    author: Mapped[str] = mapped_column(String(20))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The queued message a «held behind a refusal» line was said with (migration 0014).
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AttachmentRow(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OperatorRow(Base):
    __tablename__ = "operators"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The operator's Telegram account: may act in the operators' forum group.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, unique=True)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "delivered_at", "next_attempt_at"),
        # A reply waits for an earlier undelivered one to the same recipient (`claim_due`).
        Index("ix_outbox_waiting", "channel", "recipient", "delivered_at", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    ticket_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # None: due as soon as possible (queued, or put back untried); a retry's time otherwise,
    # by the clock of the worker that failed (see migration 0015).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # An `OutgoingKind`: an operator's words, the service's news, or news asking for a mark.
    kind: Mapped[str] = mapped_column(String(16), server_default="reply")


class SettingRow(Base):
    """Switches shared by all processes (the maintenance switch)."""

    __tablename__ = "app_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProposalRow(Base):
    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    question: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    proposed_by: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    entry_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RatingRow(Base):
    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation_messages.id"), nullable=True
    )
    entry_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    scale: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class QuestionLogRow(Base):
    """One citizen question and what became of it; the text is masked before it is written."""

    __tablename__ = "question_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    text: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    handoff_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    entry_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Plain numbers, no foreign keys: records outlive purged conversations and tickets.
    conversation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    chosen_entry_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    feedback_scale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    feedback_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ticket_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    triage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # The entry of the base an operator answered the question's ticket with, if any.
    operator_entry_id: Mapped[str | None] = mapped_column(String(200), nullable=True)


class WebEventRow(Base):
    """A reply or ticket notice delivered to a widget session, shared by every process."""

    __tablename__ = "web_events"
    __table_args__ = (Index("ix_web_events_session", "session_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    ticket_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(16), server_default="reply")


class RequestReplyRow(Base):
    """The reply given to a widget request that came with the client's `request_id`: the
    same request sent again (an answer lost on the way) gets it back and records nothing.
    `reply` is null while the first request is still being answered."""

    __tablename__ = "request_replies"
    __table_args__ = (UniqueConstraint("session_id", "action", "request_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(64))
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # The process answering the request (`bot.core.claimants`); None: unknown (migration 0017).
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class StaffTopicRow(Base):
    """A ticket's forum topic in the operators' Telegram group: claimed, created, kept in sync.

    `thread_id` is null while the topic is being created (claimed until `claimed_until`);
    the cursors are where the topic began: every history event and message up to them is
    dealt with (the card sums them up). Those above are dealt with once `staff_topic_items`
    holds them: ids are not committed in order on PostgreSQL, so a cursor moved past the
    newest id shown would skip an older one committed later (migration 0016).
    """

    __tablename__ = "staff_topics"
    __table_args__ = (UniqueConstraint("chat_id", "ticket_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    last_message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StaffTopicItemRow(Base):
    """A ticket event or message past its topic's cursors that the topic has dealt with:
    posted, or passed over as nothing for the group (an operator's reply written there)."""

    __tablename__ = "staff_topic_items"
    topic_id: Mapped[int] = mapped_column(ForeignKey("staff_topics.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "event" or "message"
    item_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class LinkCodeRow(Base):
    """A one-time code that links the identity which asked for it to another channel's."""

    __tablename__ = "link_codes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # SHA-256 of the code: the digits themselves are never stored.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class LinkFailureRow(Base):
    """A wrong link code typed by an identity or from an address, counted to stop guessing."""

    __tablename__ = "link_failures"
    __table_args__ = (Index("ix_link_failures_key", "key", "failed_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(250))
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DialogueRow(Base):
    """What a chat's dialogue remembers between messages (contacts shared, a pending prompt)."""

    __tablename__ = "dialogue_memory"
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class LoginFailureRow(Base):
    """Wrong passwords on the console's log-in form counted against one key (a login at a
    client address, or an address), shared by every `serve` process: a token bucket kept as
    the moment it is full again. A row past `clear_at` counts nothing and is pruned."""

    __tablename__ = "login_failures"
    # SHA-256 of the key: what was typed as a login (a password, by mistake) is not stored.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    clear_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
