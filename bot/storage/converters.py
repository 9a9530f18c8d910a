"""Turn ORM rows into the core's frozen values; the only place that knows both."""

from __future__ import annotations

from bot.core.attachments import Attachment
from bot.core.contacts import Contacts
from bot.core.conversation_state import ConversationState
from bot.core.identity import Identity
from bot.core.records import (
    Conversation,
    ConversationMessage,
    Operator,
    OutboxMessage,
    OutgoingKind,
    Proposal,
    ProposalStatus,
    Rating,
    RatingScale,
)
from bot.core.roles import Role
from bot.core.ticket_status import TicketStatus
from bot.core.tickets import (
    Author,
    HandoffReason,
    SupportLine,
    Ticket,
    TicketEvent,
    TicketMessage,
    Via,
)
from bot.storage.tables import (
    AttachmentRow,
    ConversationMessageRow,
    ConversationRow,
    IdentityRow,
    OperatorRow,
    OutboxRow,
    ProposalRow,
    RatingRow,
    TicketEventRow,
    TicketMessageRow,
    TicketRow,
)


def to_identity(row: IdentityRow) -> Identity:
    """An identity row as a value."""
    return Identity(channel=row.channel, external_id=row.external_id)


def to_ticket(row: TicketRow, identity: IdentityRow) -> Ticket:
    """A ticket row, with the identity it replies to, as a value."""
    return Ticket(
        id=row.id,
        number=row.number,
        citizen_id=row.citizen_id,
        reply_to=to_identity(identity),
        conversation_id=row.conversation_id,
        question=row.question,
        status=TicketStatus(row.status),
        line=SupportLine(row.line),
        reason=HandoffReason(row.reason),
        contacts=Contacts(name=row.contact_name, phone=row.contact_phone, email=row.contact_email),
        created_at=row.created_at,
        updated_at=row.updated_at,
        due_at=row.due_at,
        assignee_id=row.assignee_id,
        closed_at=row.closed_at,
    )


def to_ticket_message(row: TicketMessageRow) -> TicketMessage:
    """A ticket thread row as a value."""
    return TicketMessage(
        id=row.id,
        author=Author(row.author),
        text=row.text,
        created_at=row.created_at,
        operator_id=row.operator_id,
        via=Via(row.via) if row.via is not None else None,
    )


def to_ticket_event(row: TicketEventRow) -> TicketEvent:
    """A ticket history row as a value."""
    return TicketEvent(
        id=row.id,
        action=row.action,
        author=Author(row.author),
        created_at=row.created_at,
        operator_id=row.operator_id,
        from_status=TicketStatus(row.from_status) if row.from_status else None,
        to_status=TicketStatus(row.to_status) if row.to_status else None,
        note=row.note,
    )


def to_attachment(row: AttachmentRow, ticket_number: int) -> Attachment:
    """An attachment row's description as a value."""
    return Attachment(
        id=row.id,
        ticket_number=ticket_number,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
    )


def to_conversation(row: ConversationRow, identity: IdentityRow) -> Conversation:
    """A conversation row as a value."""
    return Conversation(
        id=row.id,
        citizen_id=identity.citizen_id,
        identity=to_identity(identity),
        state=ConversationState(row.state),
        ticket_id=row.ticket_id,
        updated_at=row.updated_at,
    )


def to_conversation_message(row: ConversationMessageRow) -> ConversationMessage:
    """A conversation message row as a value."""
    return ConversationMessage(
        id=row.id,
        author=Author(row.author),
        text=row.text,
        created_at=row.created_at,
        entry_id=row.entry_id,
        choices=tuple(row.choices or ()),
    )


def to_operator(row: OperatorRow) -> Operator:
    """An operator row, without the password hash, as a value."""
    return Operator(
        id=row.id,
        login=row.login,
        display_name=row.display_name,
        role=Role(row.role),
        active=row.active,
        created_at=row.created_at,
        telegram_user_id=row.telegram_user_id,
    )


def to_outbox_message(row: OutboxRow) -> OutboxMessage:
    """An outbox row as a value."""
    return OutboxMessage(
        id=row.id,
        idempotency_key=row.idempotency_key,
        channel=row.channel,
        recipient=row.recipient,
        text=row.text,
        attempts=row.attempts,
        created_at=row.created_at,
        ticket_number=row.ticket_number,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        kind=OutgoingKind(row.kind),
    )


def to_proposal(row: ProposalRow, ticket_number: int) -> Proposal:
    """A proposal row as a value."""
    return Proposal(
        id=row.id,
        ticket_number=ticket_number,
        question=row.question,
        alternatives=tuple(row.alternatives),
        answer=row.answer,
        topic=row.topic,
        status=ProposalStatus(row.status),
        proposed_by=row.proposed_by,
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        entry_id=row.entry_id,
        decision_note=row.decision_note,
    )


def to_rating(row: RatingRow, ticket_number: int | None) -> Rating:
    """A rating row as a value."""
    return Rating(
        id=row.id,
        conversation_id=row.conversation_id,
        scale=RatingScale(row.scale),
        score=row.score,
        created_at=row.created_at,
        message_id=row.message_id,
        entry_id=row.entry_id,
        ticket_number=ticket_number,
        comment=row.comment,
    )
