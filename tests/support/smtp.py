"""A real SMTP server on loopback (aiosmtpd) that keeps every letter it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    """One letter as the server got it: the envelope's recipients and the parsed message."""

    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The plain-text body, decoded."""
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "the letter has no text/plain part"
        content = part.get_content()
        assert isinstance(content, str)
        return content


class _Handler:
    def __init__(self, rcpt_reply: str | None) -> None:
        self.letters: list[Received] = []
        self.lock = threading.Lock()
        self.rcpt_reply = rcpt_reply

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.letters.append(Received(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"


class SmtpRecorder:
    """The letters a loopback SMTP server received; start it with `smtp_server(port)`."""

    def __init__(self, handler: _Handler, port: int) -> None:
        self._handler = handler
        self.port = port

    @property
    def letters(self) -> list[Received]:
        """Every letter so far, in arrival order."""
        with self._handler.lock:
            return list(self._handler.letters)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least `count` letters arrived; fail the test if they do not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            letters = self.letters
            if len(letters) >= count:
                return letters
            time.sleep(0.05)
        raise AssertionError(f"expected {count} letter(s) within {timeout} s, got {self.letters}")

    async def arrived(self, count: int, timeout: float = 10.0) -> list[Received]:
        """`wait_for` for async tests: the event loop (and the app's workers) keep running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            letters = self.letters
            if len(letters) >= count:
                return letters
            await asyncio.sleep(0.05)
        raise AssertionError(f"expected {count} letter(s) within {timeout} s, got {self.letters}")


@contextmanager
def smtp_server(
    port: int, *, rcpt_reply: str | None = None, login: tuple[str, str] | None = None
) -> Iterator[SmtpRecorder]:
    """An SMTP server on 127.0.0.1:`port` (no TLS) while the block runs.

    `rcpt_reply` makes it refuse every recipient with that reply ("{address}" is filled in);
    `login` (user, password) makes it require AUTH with exactly those.
    """
    handler = _Handler(rcpt_reply)
    if login is None:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
    else:
        expected = LoginPassword(login[0].encode(), login[1].encode())

        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
        ) -> AuthResult:
            return AuthResult(success=data == expected)

        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            authenticator=authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
    controller.start()
    try:
        yield SmtpRecorder(handler, port)
    finally:
        controller.stop()
