"""Files a citizen attaches to a ticket: checked by their content, not their name."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from bot.core.errors import AttachmentError
from bot.core.settings import MEGABYTE, AttachmentSettings

# Magic numbers of the file types we know how to recognise.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
TYPE_NAMES: dict[str, str] = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "application/pdf": "PDF",
    "image/gif": "GIF",
}
# The extensions a name of each type may have; the first is the one given to a misnamed file.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "application/pdf": (".pdf",),
    "image/gif": (".gif",),
}
# What a name's ending must look like to be taken for an extension and replaced (".docx",
# ".heic", ".v2"); other endings ("от 01.02", "И.И. паспорт") are kept, the extension added.
_EXTENSION = re.compile(r"\.(?=[0-9]*[a-z])[a-z0-9]{1,5}", re.IGNORECASE)
MAX_FILENAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as a channel received it, before checks."""

    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Attachment:
    """A stored attachment's description (the bytes are fetched separately)."""

    id: int
    ticket_number: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """An upload that passed the checks, with its detected type and digest."""

    filename: str
    content_type: str
    data: bytes
    sha256: str


def sniff_type(data: bytes) -> str | None:
    """The MIME type recognised from the first bytes, or None."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def check_upload(upload: Upload, limits: AttachmentSettings) -> CheckedUpload:
    """Accept an upload or raise `AttachmentError` saying which types and sizes are allowed."""
    allowed = ", ".join(sorted(TYPE_NAMES.get(t, t) for t in limits.allowed_types))
    if not upload.data:
        raise AttachmentError(f"Файл «{upload.filename}» пустой.")
    if len(upload.data) > limits.max_bytes:
        raise AttachmentError(
            f"Файл «{upload.filename}» слишком большой: "
            f"{len(upload.data) / MEGABYTE:.1f} МБ, можно не больше "
            f"{limits.max_bytes / MEGABYTE:.0f} МБ."
        )
    content_type = sniff_type(upload.data)
    if content_type is None or content_type not in limits.allowed_types:
        raise AttachmentError(f"Файл «{upload.filename}» не подходит: принимаем только {allowed}.")
    # U+0000 is dropped: PostgreSQL's text cannot hold it (the upload failed with a 500).
    name = PurePath(upload.filename.replace("\\", "/").replace("\x00", "")).name.strip() or "file"
    return CheckedUpload(
        filename=named_as(name, content_type)[-MAX_FILENAME_LENGTH:],
        content_type=content_type,
        data=upload.data,
        sha256=hashlib.sha256(upload.data).hexdigest(),
    )


def named_as(name: str, content_type: str) -> str:
    """`name` with the extension of the type found in the content: a PNG sent as "doc.pdf"
    is "doc.png", so the operator's download opens as what it is."""
    extensions = EXTENSIONS.get(content_type)
    if not extensions or name.lower().endswith(extensions):
        return name
    stem, dot, ending = name.rpartition(".")
    if stem.strip() and _EXTENSION.fullmatch(dot + ending):
        name = stem
    # "фото." is "фото.png", not "фото..png".
    return (name.rstrip(". ") or name) + extensions[0]
