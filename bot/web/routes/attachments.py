"""A citizen attaches a scan or a screenshot to one of their open tickets from the widget."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, UploadFile

from bot.core import wording
from bot.core.attachments import Upload
from bot.web.deps import (
    CitizensDep,
    ServicesDep,
    TicketNumber,
    checked_session_id,
    limit_by_address,
    limit_session,
    web_identity,
)
from bot.web.schemas import MAX_SESSION_FIELD, AttachmentOut

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
