"""Request and response bodies of the public API (pydantic models, validated at the boundary).

The documented question limit is `CoreSettings.max_question_length` (2000 characters after
spaces are collapsed); `HARD_TEXT_LIMIT` only stops absurd bodies before they reach the core.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

HARD_TEXT_LIMIT = 8000
MAX_EMAIL_FIELD = 320
MAX_COMMENT = 2000
MAX_SESSION_FIELD = 200  # a session id is 16-64 characters (`deps.checked_session_id`)


# Record ids and ticket numbers are 64-bit in the database: a larger number is a 4xx here,
# not an overflow in the driver.
MAX_RECORD_ID = 2**63 - 1

# A request's own id, made by the client (the widget: a random one per question, kept when the
# question is sent again): a repeat in the same session gets the first reply, recorded once.
RequestId = Annotated[
    str | None,
    Field(
        default=None,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the client's id of this request: sent again, the same reply, recorded once",
    ),
]


def without_nul(value: Any) -> Any:
    """`value` with U+0000 dropped from every string in it: PostgreSQL's text cannot hold the
    character (the insert failed, a 500), and it means nothing to a reader."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {key: without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        return without_nul(data)


class AskRequest(_Body):
    """`POST /api/v1/ask`."""

    question: str = Field(max_length=HARD_TEXT_LIMIT)
    session_id: str | None = None
    request_id: RequestId = None


class ChooseRequest(_Body):
    """`POST /api/v1/choose`: the citizen picked one of the offered entries."""

    entry_id: str = Field(min_length=1, max_length=200)
    session_id: str
    request_id: RequestId = None


class FeedbackRequest(_Body):
    """`POST /api/v1/feedback`: 👍 (`helpful: true`) or 👎 for one message."""

    message_id: int = Field(ge=1, le=MAX_RECORD_ID)
    helpful: bool
    comment: str | None = Field(default=None, max_length=MAX_COMMENT)
    session_id: str
    request_id: RequestId = None


class ContactsIn(_Body):
    """Optional contacts left with a hand-off."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=300)


class HandoffRequest(_Body):
    """`POST /api/v1/handoff`: "Позвать оператора", with an optional question and contacts."""

    session_id: str | None = None
    question: str | None = Field(default=None, max_length=HARD_TEXT_LIMIT)
    contacts: ContactsIn | None = None
    request_id: RequestId = None


class EmailRequest(_Body):
    """`POST /api/v1/email`: send the answer of `entry_id`, given in this session, to `email`."""

    session_id: str
    entry_id: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=MAX_EMAIL_FIELD)


class CandidateOut(BaseModel):
    """A candidate entry with its score (the `faqbot ask --json` shape)."""

    entry_id: str
    score: float


class ChoiceOut(BaseModel):
    """An entry offered to the citizen, with the question to show on its button."""

    entry_id: str
    title: str


class LinkOut(BaseModel):
    """A link shown under an answer."""

    title: str
    url: str


class MarkOut(BaseModel):
    """The mark a typed message gave a ticket just closed, for its 1-5 buttons to show."""

    ticket_number: int
    stars: int


class AskResponse(BaseModel):
    """The fields of `faqbot ask --json`, plus what a widget needs to show the reply."""

    query: str
    action: str
    entry_id: str | None
    score: float
    candidates: list[CandidateOut]
    matched_terms: list[str]
    answer: str | None
    session_id: str
    kind: str
    text: str
    choices: list[ChoiceOut]
    links: list[LinkOut]
    ticket_number: int | None
    due_text: str | None
    notice: str | None
    message_id: int | None
    # The citizen's message, when the reply names no message of the bot's (`message_id` is
    # null: it went to the ticket, or had no words): the widget tells its own message in the
    # history by it. Not a sign that the message went to the ticket.
    said_id: int | None = None
    mark: MarkOut | None = None


class FeedbackResponse(BaseModel):
    """The stored rating."""

    rating_id: int
    session_id: str


class TicketOut(BaseModel):
    """A citizen's view of their ticket."""

    number: int
    status: str
    status_label: str
    text: str
    created_at: str
    due_at: str | None


class MessageOut(BaseModel):
    """One message of the conversation history."""

    id: int
    author: str
    text: str
    created_at: str
    entry_id: str | None
    choices: list[ChoiceOut] = Field(
        default_factory=list, description="a clarification's offered entries, as buttons"
    )
    links: list[LinkOut] = Field(
        default_factory=list, description="an answer's links from the base, shown under it"
    )
    shown_text: str | None = Field(
        default=None,
        description="the text as the live chat showed it, when it differs (an operator's "
        "words headed with their ticket: «Ответ по обращению № 1: …»)",
    )
    ticket_number: int | None = Field(
        default=None,
        description="the ticket the message opened or was added to (a «Номер обращения» "
        "line under it), or that an operator's words answer",
    )
    due_text: str | None = Field(
        default=None, description="the ticket's promise, beside its number (a hand-off)"
    )
    notice: bool = Field(
        default=False, description="shown live as a notice («Сообщение»), kept as the bot's"
    )
    pressed_mark: bool = Field(
        default=False,
        description="a 1-5 button's press, kept as the citizen's «Оценка N из 5»: shown as "
        "the pressed button, not as a message",
    )


class LiveOut(BaseModel):
    """A live reply (operator answer, ticket news) remembered for the session."""

    id: int
    author: str
    text: str
    created_at: str
    ticket_number: int | None
    asks_rating: bool = Field(
        default=False, description="show 1-5 buttons that rate `ticket_number`"
    )


class HistoryResponse(BaseModel):
    """A widget session's conversation, so that a reopened widget shows it again;
    `open_ticket`: the number of the citizen's newest ticket not yet closed, if any."""

    session_id: str
    state: str
    messages: list[MessageOut]
    live: list[LiveOut]
    open_ticket: int | None = None
    marks: list[MarkOut] = []  # the marks given to closed tickets, for their 1-5 buttons
    has_more: bool = Field(
        default=False,
        description="older messages exist: ask again with `before` = the first message's id",
    )


class TicketContactsRequest(ContactsIn):
    """`POST /api/v1/tickets/{number}/contacts`: contacts for the session's open ticket."""

    session_id: str = Field(max_length=MAX_SESSION_FIELD)


class TicketRatingRequest(_Body):
    """`POST /api/v1/tickets/{number}/rating`: the session's mark for its answered ticket."""

    session_id: str = Field(max_length=MAX_SESSION_FIELD)
    stars: int = Field(description="1 to 5", examples=[5])


class RatingOut(BaseModel):
    """The mark is recorded (the latest one counts); `text` thanks the citizen."""

    number: int
    stars: int
    text: str


class ContactsOut(BaseModel):
    """The contacts are with the ticket; `text` says so."""

    number: int
    text: str


class AttachmentOut(BaseModel):
    """`POST /api/v1/tickets/{number}/attachments`: the file is attached; `text` says so."""

    number: int
    filename: str
    content_type: str
    size: int
    text: str


class EmailResponse(BaseModel):
    """The letter is queued: `message` is the confirmation to show, `address` is masked."""

    status: str
    message: str
    address: str
    session_id: str


class WidgetConfig(BaseModel):
    """`GET /api/v1/config`: what this server offers the widget."""

    email: bool
    max_question_length: int
    attachment_max_bytes: int = 0  # a file attached to a ticket: at most this size
    attachment_types: list[str] = Field(default_factory=list)  # MIME types accepted
