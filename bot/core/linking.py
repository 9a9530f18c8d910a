"""Linking a citizen's channels with a one-time code, so that their tickets follow them.

The citizen asks for a code in one channel (`issue`) and types it into another (`redeem`):
having seen the code proves they control both, and the two identities become one citizen's.
`unlink` undoes it from either side (a shared computer, a chat given away).
Codes are short-lived, single-use and stored hashed; wrong codes are counted per identity
and per client address, and past the limit nothing is checked until the window passes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from bot.core.clock import Clock, system_clock
from bot.core.errors import CoreError, LinkCodeError, TooManyLinkAttemptsError
from bot.core.identity import Identity
from bot.core.labels import channel_label
from bot.core.link_codes import LinkCode, code_hash, new_code, typed_code
from bot.core.outbox import new_idempotency_key
from bot.core.settings import LinkSettings
from bot.storage.database import Database
from bot.storage.unit_of_work import UnitOfWork

# How many fresh codes to draw before giving up on finding one not in use.
MAX_DRAWS = 20

MALFORMED = "Код связи — это {digits} цифр, например 123456."
WRONG = "Код не подошёл. Проверьте цифры или получите новый код."
EXPIRED = "Срок действия кода истёк. Получите новый код — он действует {minutes} минут."
OWN_CODE = (
    "Этот код выдан здесь же. Введите его в другом канале: в Telegram, если код получен "
    "на сайте, или в чате на сайте, если он получен в Telegram."
)
TOO_MANY = "Слишком много неверных кодов. Попробуйте снова через {minutes} минут."
LINKED = (
    "Готово: связали с каналом «{other}». Теперь по номеру можно узнать статус "
    "любого вашего обращения из обоих каналов."
)
LINKED_NOTICE = "Канал «{other}» связан с этим чатом. Если это были не вы, обратитесь в поддержку."
UNLINKED = (
    "Готово: этот чат больше не связан с каналом «{others}». Здесь видны только обращения, "
    "отправленные отсюда."
)
NOT_LINKED = "Этот чат не связан с другими каналами."
UNLINKED_NOTICE = "Канал «{other}» больше не связан с этим чатом."


def _identity_key(identity: Identity) -> str:
    return f"identity:{identity.channel}:{identity.external_id}"


def _source_key(source: str) -> str:
    # A client address is personal data: only its hash is kept, for the failure window.
    return "source:" + hashlib.sha256(source.encode()).hexdigest()[:32]


def _whole_minutes(span: timedelta) -> int:
    return max(1, int(span.total_seconds() // 60))


class ChannelLinking:
    """Issues link codes and redeems them; channel-neutral, every channel uses the same rules."""

    def __init__(
        self,
        db: Database,
        *,
        settings: LinkSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._settings = settings or LinkSettings()
        self._clock = clock

    @property
    def valid_minutes(self) -> int:
        """How many minutes a new code works."""
        return _whole_minutes(self._settings.valid_for)

    async def issue(self, owner: Identity) -> LinkCode:
        """A new code for `owner`; any code it was given before stops working."""
        now = self._clock()
        expires_at = now + self._settings.valid_for
        async with self._db.transaction() as uow:
            await self._purge(uow, now)
            await uow.links.drop_owned_by(owner)
            for _ in range(MAX_DRAWS):
                code = new_code(self._settings.digits)
                if await uow.links.add(code_hash(code), owner, now=now, expires_at=expires_at):
                    return LinkCode(code=code, owner=owner, expires_at=expires_at)
        raise CoreError(
            "Could not draw an unused link code: too many codes are kept; "
            "raise LinkSettings.digits or shorten keep_expired."
        )

    async def redeem(self, identity: Identity, text: str, *, source: str | None = None) -> str:
        """Link `identity` with the owner of the code typed in `text`; the text to show.

        `source` is the client address where the channel knows it (the web does, Telegram
        does not). Raises `LinkCodeError` for a wrong, expired or own code and
        `TooManyLinkAttemptsError` past the guessing limits.
        """
        code = typed_code(text, self._settings.digits)
        if code is None:
            raise LinkCodeError(MALFORMED.format(digits=self._settings.digits))
        now = self._clock()
        async with self._db.transaction() as uow:
            await self._purge(uow, now)
            outcome = await self._redeem(uow, identity, code, source, now)
        # Raised after the commit: the failure just counted must stay counted.
        if isinstance(outcome, CoreError):
            raise outcome
        return outcome

    async def unlink(self, identity: Identity) -> str:
        """Undo the links of `identity`: its tickets stay with it, the other channels keep
        theirs, and each of them is told; the text to show."""
        now = self._clock()
        async with self._db.transaction() as uow:
            others = await uow.conversations.separate(identity, now)
            for other in others:
                await uow.outbox.add(
                    idempotency_key=new_idempotency_key(),
                    channel=other.channel,
                    recipient=other.external_id,
                    text=UNLINKED_NOTICE.format(other=channel_label(identity.channel)),
                    now=now,
                )
        if not others:
            return NOT_LINKED
        labels = sorted({channel_label(o.channel) for o in others})
        return UNLINKED.format(others="», «".join(labels))

    async def _redeem(
        self, uow: UnitOfWork, identity: Identity, code: str, source: str | None, now: datetime
    ) -> str | CoreError:
        limits = [(_identity_key(identity), self._settings.failures_per_identity)]
        if source:
            limits.append((_source_key(source), self._settings.failures_per_source))
        await uow.links.serialise([key for key, _ in limits])
        since = now - self._settings.failure_window
        for key, limit in limits:
            if await uow.links.failures_since(key, since) >= limit:
                return TooManyLinkAttemptsError(
                    TOO_MANY.format(minutes=_whole_minutes(self._settings.failure_window))
                )
        hashed = code_hash(code)
        stored = await uow.links.find(hashed)
        if stored is not None and stored.owner == identity:
            return LinkCodeError(OWN_CODE)
        if stored is None or stored.expires_at <= now or not await uow.links.take(hashed):
            await uow.links.add_failure([key for key, _ in limits], now)
            if stored is not None and stored.expires_at <= now:
                return LinkCodeError(EXPIRED.format(minutes=self.valid_minutes))
            return LinkCodeError(WRONG)
        await uow.conversations.link(stored.owner, identity, now)
        await uow.outbox.add(
            idempotency_key=new_idempotency_key(),
            channel=stored.owner.channel,
            recipient=stored.owner.external_id,
            text=LINKED_NOTICE.format(other=channel_label(identity.channel)),
            now=now,
        )
        return LINKED.format(other=channel_label(stored.owner.channel))

    async def _purge(self, uow: UnitOfWork, now: datetime) -> None:
        await uow.links.purge(
            codes_before=now - self._settings.keep_expired,
            failures_before=now - self._settings.failure_window,
        )
