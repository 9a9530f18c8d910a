"""What a citizen adds to one of their tickets from the widget: a scan or screenshot and
contacts to be reached by while it is open, a mark for the answer once it is closed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, UploadFile

from bot.core import wording
from bot.core.attachments import Upload
from bot.core.contacts import make_contacts
from bot.web.deps import (
    CitizensDep,
    ServicesDep,
    TicketNumber,
    checked_session_id,
    limit_by_address,
    limit_session,
    web_identity,
)
from bot.web.schemas import (
    MAX_SESSION_FIELD,
    AttachmentOut,
    ContactsOut,
    RatingOut,
    TicketContactsRequest,
    TicketRatingRequest,
)

router = APIRouter(prefix="/api/v1", tags=["citizens"], dependencies=[Depends(limit_by_address)])
# The request's size is checked before this runs (`body_limit.py`), the file's by the core.
UPLOAD_PATH = r"/api/v1/tickets/\d+/attachments"


@router.post("/tickets/{number}/attachments", response_model=AttachmentOut)
async def attach(
    number: TicketNumber,
    session_id: Annotated[str, Form(max_length=MAX_SESSION_FIELD)],
    file: UploadFile,
    citizens: CitizensDep,
    services: ServicesDep,
) -> AttachmentOut:
    """Attach a file (multipart form: `session_id`, `file`) to the session's open ticket.

    PNG, JPEG and PDF are accepted, recognised by their content; the operator sees the file
    in the console's ticket view.
    """
    session = checked_session_id(session_id)
    limit_session(services, session)
    upload = Upload(filename=file.filename or "файл", data=await file.read())
    attached = await citizens.attach(web_identity(session), number, upload)
    return AttachmentOut(
        number=number,
        filename=attached.filename,
        content_type=attached.content_type,
        size=attached.size,
        text=wording.FILE_ATTACHED.format(name=attached.filename, number=number),
    )


@router.post("/tickets/{number}/contacts", response_model=ContactsOut)
async def give_contacts(
    number: TicketNumber,
    body: TicketContactsRequest,
    citizens: CitizensDep,
    services: ServicesDep,
) -> ContactsOut:
    """Leave a phone, e-mail or name with the session's open ticket (validated; a field
    given replaces the one there)."""
    session = checked_session_id(body.session_id)
    limit_session(services, session)
    given = make_contacts(name=body.name, phone=body.phone, email=body.email)
    await citizens.give_contacts(web_identity(session), number, given)
    return ContactsOut(number=number, text=wording.CONTACTS_GIVEN.format(number=number))


@router.post("/tickets/{number}/rating", response_model=RatingOut)
async def rate(
    number: TicketNumber,
    body: TicketRatingRequest,
    citizens: CitizensDep,
    services: ServicesDep,
) -> RatingOut:
    """Rate the answer to the session's closed ticket from 1 to 5 (the buttons under the
    closing message); rated again, the latest mark counts."""
    session = checked_session_id(body.session_id)
    limit_session(services, session)
    thanks = await citizens.rate(web_identity(session), number, body.stars)
    return RatingOut(number=number, stars=body.stars, text=thanks)
