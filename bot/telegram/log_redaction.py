"""Keep the bot token out of the logs.

aiogram and aiohttp put request URLs, which hold the token (`/bot<token>/...`,
`/file/bot<token>/...`), into exception messages. Records are redacted as they are made,
so every handler and formatter sees the clean text, tracebacks included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

REDACTED = "<redacted-token>"


def redact(text: str, token: str) -> str:
    """`text` with every occurrence of `token` replaced."""
    return text.replace(token, REDACTED) if token else text


def redact_record(record: logging.LogRecord, token: str) -> logging.LogRecord:
    """Rewrite a record's message and traceback without the token."""
    message = record.getMessage()
    if token in message:
        record.msg, record.args = redact(message, token), None
    if record.exc_info and not record.exc_text:
        traceback = logging.Formatter().formatException(record.exc_info)
        if token in traceback:
            # Formatters print `exc_text` as it is; the exception object itself, which still
            # holds the token, is not handed on.
            record.exc_text, record.exc_info = redact(traceback, token), None
    if record.stack_info:
        record.stack_info = redact(record.stack_info, token)
    return record


@contextmanager
def token_redaction(token: str) -> Iterator[None]:
    """Redact `token` from every log record made inside the block."""
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs), token)

    logging.setLogRecordFactory(factory)
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)
