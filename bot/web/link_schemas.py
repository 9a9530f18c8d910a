"""Request and response bodies of linking a widget session with the citizen's Telegram chat."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.web.schemas import without_nul

MAX_CODE_FIELD = 50  # a code is 6 digits; room for the spaces people type between them


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        return without_nul(data)


class LinkCodeRequest(_Body):
    """`POST /api/v1/link/code`: a one-time code to type into the Telegram bot."""

    session_id: str | None = None


class UnlinkRequest(_Body):
    """`POST /api/v1/link/unlink`: stop sharing tickets with the linked channels."""

    session_id: str


class LinkCodeResponse(BaseModel):
    """The code, when it stops working, and the sentence to show the citizen."""

    code: str
    expires_at: str
    valid_minutes: int
    text: str
    session_id: str


class LinkRequest(_Body):
    """`POST /api/v1/link`: a code the Telegram bot showed (`/link`), typed into the widget."""

    code: str = Field(min_length=1, max_length=MAX_CODE_FIELD)
    session_id: str | None = None


class LinkResponse(BaseModel):
    """The channels are linked: `text` says so."""

    text: str
    session_id: str


class TicketSummaryOut(BaseModel):
    """One of the citizen's tickets in a list."""

    number: int
    status: str
    status_label: str
    channel: str
    created_at: str
    open: bool = True  # people still work on it (files and contacts may be added)


class TicketListResponse(BaseModel):
    """`GET /api/v1/tickets`: the citizen's tickets from every linked channel, newest first."""

    session_id: str
    tickets: list[TicketSummaryOut]
