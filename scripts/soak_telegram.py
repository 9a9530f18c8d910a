"""The Bot API unreachable while operators reply to Telegram citizens (`soak.py telegram-down`).

A real `faqbot telegram` process polls the loopback Bot API of the tests
(`tests/bot/telegram/fake_api.py`). Citizens call a person with `/operator`; the operator
takes their tickets; then the Bot API stops listening (connection refused) and the operator
replies several times to each citizen, through the core's desk on the same database, while it
is away. Once it listens again on the same port, every reply must reach its chat exactly
once and in the order it was written.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from soak_checks import Check
from soak_rig import PASSWORD, Backend, Process, create_operators, open_backend, telegram
from sqlalchemy import text

from bot.core.accounts import Accounts
from bot.core.desk import Desk
from bot.core.tickets import Via
from bot.storage.database import Database, open_database
from tests.bot.telegram.citizen import Citizen
from tests.bot.telegram.fake_api import FakeBotApi

TOKEN = "7000001:AAF-soak-token-for-loopback_0123456789abc"
FIRST_CHAT = 91_000
REPLY_PREFIX = "Ответ специалиста "
STARTUP_SECONDS = 90.0
HANDOFF_SECONDS = 60.0
# The outbox backs off up to 30 min per reply; after a minute away the next try is at most
# ~80 s after the first failure, so delivery is awaited this long after the API is back.
DELIVERY_SECONDS = 150.0


@dataclass(frozen=True, slots=True)
class TelegramPlan:
    """How many citizens, replies each, and how long the Bot API is away."""

    chats: int
    down: float
    replies: int


@dataclass
class TelegramResult:
    """Printed figures and the checks."""

    figures: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


async def _until(seconds: float, what: str, check: Callable[[], Awaitable[bool]]) -> float:
    """Poll `check()` until it holds; the seconds it took."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > seconds:
            raise TimeoutError(f"telegram-down: {what} did not happen in {seconds:.0f} s")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def run_telegram_down(plan: TelegramPlan) -> TelegramResult:
    """Start everything, run the outage, check the deliveries."""
    with tempfile.TemporaryDirectory(prefix="faqbot-soak-tg-") as tmp:
        folder = Path(tmp)
        backend = await open_backend("sqlite", folder)
        api = FakeBotApi(token=TOKEN)
        base = await api.start()
        port = int(base.rsplit(":", 1)[1])
        bot = telegram(backend, folder, token=TOKEN, api_base=base)
        await create_operators(backend, ("olga",))
        db = await open_database(backend.url)
        try:
            bot.start()
            return await _scenario(plan, api, port, bot=bot, backend=backend, db=db)
        finally:
            bot.stop()
            await db.close()
            await api.close()
            backend.close()


async def _ticket_numbers(backend: Backend) -> dict[int, int]:
    engine = backend.engine()
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT i.external_id, t.number FROM tickets t "
                    "JOIN citizen_identities i ON i.id = t.identity_id WHERE t.channel = 'telegram'"
                )
            )
            return {int(chat): int(number) for chat, number in rows}
    finally:
        await engine.dispose()


async def _pending(backend: Backend, *, replies_only: bool = False) -> int:
    """Undelivered outbox rows (only the operator's replies, not the "taken" notices)."""
    engine = backend.engine()
    sql = "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"
    if replies_only:
        sql += f" AND text LIKE '%{REPLY_PREFIX}%'"
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(text(sql))
            return int(found or 0)
    finally:
        await engine.dispose()


async def _scenario(
    plan: TelegramPlan,
    api: FakeBotApi,
    port: int,
    *,
    bot: Process,
    backend: Backend,
    db: Database,
) -> TelegramResult:
    result = TelegramResult()

    async def polling() -> bool:
        if not bot.alive():
            raise RuntimeError(f"faqbot telegram exited:\n{bot.tail()}")
        return bool(api.calls_of("getUpdates"))

    up = await _until(STARTUP_SECONDS, "the bot's first getUpdates", polling)
    chats = [FIRST_CHAT + i for i in range(plan.chats)]
    for chat in chats:
        Citizen(api, chat).says(f"/operator Не могу войти в личный кабинет, чат {chat}")

    async def all_tickets() -> bool:
        return len(await _ticket_numbers(backend)) >= len(chats)

    await _until(HANDOFF_SECONDS, "a ticket for every citizen", all_tickets)
    numbers = await _ticket_numbers(backend)
    desk = Desk(db)
    operator = await Accounts(db).authenticate("olga", PASSWORD)
    for chat in chats:
        await desk.take(operator, numbers[chat])

    await api.stop()  # connection refused from now on
    went_down = time.monotonic()
    expected: dict[int, list[str]] = {chat: [] for chat in chats}
    step = plan.down / (plan.replies + 1)
    for index in range(1, plan.replies + 1):
        await asyncio.sleep(max(0.0, went_down + index * step - time.monotonic()))
        for chat in chats:
            reply = f"{REPLY_PREFIX}{index} из {plan.replies} по обращению № {numbers[chat]}."
            await desk.reply(operator, numbers[chat], reply, via=Via.CONSOLE)
            expected[chat].append(reply)
    waiting = await _pending(backend, replies_only=True)
    await asyncio.sleep(max(0.0, went_down + plan.down - time.monotonic()))
    await api.start(port=port)
    came_back = time.monotonic()

    async def drained() -> bool:
        return await _pending(backend) == 0

    try:
        await _until(DELIVERY_SECONDS, "delivery of every reply", drained)
    except TimeoutError as error:
        result.figures.append(str(error))
    delivered_in = time.monotonic() - came_back
    await asyncio.sleep(2.0)  # a duplicate would be sent within a poll or two

    lost = doubled = disordered = 0
    for chat in chats:
        sent = [t for t in api.sent_texts(chat) if REPLY_PREFIX in t]
        ours = [next((r for r in expected[chat] if r in t), None) for t in sent]
        seen = [r for r in ours if r is not None]
        lost += sum(1 for r in expected[chat] if r not in seen)
        doubled += len(seen) - len(set(seen))
        unique = list(dict.fromkeys(seen))
        disordered += int(unique != [r for r in expected[chat] if r in unique])
    failed_calls = len([c for c in api.calls if c.method == "sendMessage" and c.status != 200])
    total = plan.chats * plan.replies
    result.figures += [
        f"Bot polling after {up:.1f} s; {len(chats)} tickets opened through /operator.",
        f"Bot API away for {came_back - went_down:.1f} s; {total} replies written meanwhile, "
        f"{waiting} of them waiting in the outbox while it was away.",
        f"All delivered {delivered_in:.1f} s after the API came back "
        f"({failed_calls} failed sendMessage calls seen by the API: none can reach it while "
        f"it is down). Bot log ({bot.keep_log('telegram-down-bot')}): "
        f"{bot.tracebacks()} tracebacks.",
    ]
    result.checks = [
        Check(
            "replies waiting in the outbox while the API was away",
            f"{waiting} of {total}",
            waiting == total,
        ),
        Check("replies never delivered", f"{lost} of {total}", lost == 0),
        Check("replies delivered twice", str(doubled), doubled == 0),
        Check(
            "chats whose replies came out of order",
            f"{disordered} of {plan.chats}",
            disordered == 0,
        ),
        Check("bot process still running", "yes" if bot.alive() else "no", bot.alive()),
    ]
    return result
