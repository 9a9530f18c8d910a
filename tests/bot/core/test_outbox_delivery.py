"""Replies reach the citizen on their own channel, once, even when the channel or worker fails."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command

from bot.core import wording
from bot.core.claimants import host_prefix
from bot.core.delivery import DeliveryReport, DeliveryWorker, retry_delay
from bot.core.desk import Desk
from bot.core.errors import PermissionDeniedError, RecipientRefusedError
from bot.core.identity import Identity
from bot.core.outbox import SenderRegistry
from bot.core.records import Operator, OutboxMessage
from bot.core.settings import OutboxSettings, StorageSettings
from bot.core.tickets import DELIVERY_REFUSED, Via
from bot.storage.database import open_database
from bot.storage.engine import create_engine
from bot.storage.migrate import alembic_config, upgrade
from tests.bot.conftest import FakeClock
from tests.bot.core.conftest import RecordingSender, Services
from tests.conftest import ROOT, fresh_sqlite

pytestmark = pytest.mark.anyio

CHAT = Identity("telegram", "100500")
REPLY = "Ответ по обращению № 1: Обратитесь в сервисный центр."


async def _replied(services: Services) -> Operator:
    await services.conversations.handle(CHAT, "сломался карбюратор у трактора")
    operator = await services.operator("olga")
    await services.desk.take_next(operator)
    await services.desk.reply(operator, 1, "Обратитесь в сервисный центр.", via=Via.CONSOLE)
    return operator


async def _undelivered(services: Services) -> int:
    async with services.db.transaction() as uow:
        return await uow.outbox.undelivered_count()


async def test_replies_go_to_the_citizens_own_channel(services: Services) -> None:
    await _replied(services)
    report = await services.worker.run_once()
    assert report.delivered == 2
    assert services.telegram.texts == [
        "Специалист взял обращение № 1 в работу.",
        REPLY,
    ]
    assert [m.recipient for m in services.telegram.delivered.values()] == ["100500", "100500"]
    assert services.web.attempts == []
    assert await _undelivered(services) == 0


async def test_a_failed_action_queues_nothing(services: Services) -> None:
    await _replied(services)
    before = await _undelivered(services)
    intruder = await services.operator("ivan")
    with pytest.raises(PermissionDeniedError):
        await services.desk.reply(intruder, 1, "Чужой ответ", via=Via.CONSOLE)
    assert await _undelivered(services) == before


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [
        (1, timedelta(seconds=5)),
        (2, timedelta(seconds=10)),
        (3, timedelta(seconds=20)),
        (9, timedelta(minutes=21, seconds=20)),
        (10, timedelta(minutes=30)),
        (500, timedelta(minutes=30)),
    ],
)
def test_retry_delay_doubles_up_to_a_cap(attempts: int, delay: timedelta) -> None:
    assert retry_delay(attempts, OutboxSettings()) == delay


async def test_a_channel_that_is_down_gets_the_reply_later(services: Services) -> None:
    await _replied(services)
    # The first message fails twice; the second waits for it, so that they arrive in order.
    services.telegram.failures = 2
    assert (await services.worker.run_once()).failed == 2
    assert (await services.worker.run_once()).failed == 0, "retried before the backoff"
    services.clock.advance(timedelta(seconds=5))
    assert (await services.worker.run_once()).failed == 2
    services.clock.advance(timedelta(seconds=9))
    assert (await services.worker.run_once()).delivered == 0, "second backoff is 10 s"
    services.clock.advance(timedelta(seconds=1))
    assert (await services.worker.run_once()).delivered == 2
    assert services.telegram.texts == ["Специалист взял обращение № 1 в работу.", REPLY]
    assert len(services.telegram.attempts) == 4  # the first message three times, then the second


async def test_a_worker_that_dies_after_claiming_loses_nothing(services: Services) -> None:
    await _replied(services)
    dying = DeliveryWorker(services.db, services.senders, clock=services.clock)
    claimed = await dying.claim()  # ... and the process dies here, before sending
    assert len(claimed) == 2
    assert (await services.worker.run_once()).delivered == 0, "taken over a live lease"
    services.clock.advance(OutboxSettings().lease)
    assert (await services.worker.run_once()).delivered == 2
    assert services.telegram.texts == ["Специалист взял обращение № 1 в работу.", REPLY]


# Another process that delivers Telegram replies: it claims what is due at the given time
# and hangs sending the first one, as a worker does when its process is killed mid-send.
HANGING_WORKER = """
import asyncio, sys
from datetime import datetime
from bot.core.delivery import DeliveryWorker
from bot.core.outbox import SenderRegistry
from bot.storage.database import open_database

class Hanging:
    async def send(self, message):
        print("sending", message.idempotency_key, flush=True)
        await asyncio.Event().wait()

async def main():
    db = await open_database(sys.argv[1])
    senders = SenderRegistry()
    senders.register("telegram", Hanging())
    now = datetime.fromisoformat(sys.argv[2])
    await DeliveryWorker(db, senders, clock=lambda: now).run_once()

asyncio.run(main())
"""


async def _claimed_by_another_process(
    services: Services, database_url: str
) -> subprocess.Popen[str]:
    """A real process that claimed the replies and is sending the first one (for ever)."""
    process = subprocess.Popen(
        [sys.executable, "-c", HANGING_WORKER, database_url, services.clock.now.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout=60)
    assert line.startswith("sending"), line
    return process


@pytest.mark.skipif(host_prefix() is None, reason="needs Linux /proc")
async def test_replies_claimed_by_a_killed_process_go_out_at_once_not_when_the_lease_ends(
    services: Services, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A process on the same machine killed while it delivered (kill -9, or a restart that
    did not wait): until 2026-12-06 its replies waited out its lease, a minute, before
    another worker sent them. A live process keeps its lease."""
    await _replied(services)
    process = await _claimed_by_another_process(services, database_url)
    web_only = SenderRegistry()
    web_only.register("web", services.web)
    caplog.set_level(logging.INFO, logger="bot.core.delivery")
    try:
        assert (await services.worker.run_once()).delivered == 0, "taken from a live process"
        process.kill()
        process.wait()
        await DeliveryWorker(services.db, web_only, clock=services.clock).run_once()
        assert not caplog.records, "a worker of another channel spoke of Telegram's replies"
        assert (await services.worker.run_once()).delivered == 2
    finally:
        process.kill()
        process.wait()
    assert services.telegram.texts == ["Специалист взял обращение № 1 в работу.", REPLY]
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "Очередь ответов: процесс, взявший ответы для доставки, остановился"
    ]


async def test_replies_claimed_on_another_machine_wait_for_the_lease(
    services: Services,
) -> None:
    """A worker on another machine cannot be checked: its lease runs out as before."""
    await _replied(services)
    elsewhere = DeliveryWorker(
        services.db, services.senders, clock=services.clock, worker_id=f"o1.{'0' * 16}.7.1.t"
    )
    assert len(await elsewhere.claim()) == 2
    assert (await services.worker.run_once()).delivered == 0
    services.clock.advance(OutboxSettings().lease)
    assert (await services.worker.run_once()).delivered == 2


# A worker of another user on a machine whose `/proc` hides other users' processes
# (hidepid=noaccess, systemd's ProtectProc=noaccess): one citizen's reply is leased by a live
# process of another user, another citizen's reply is due. Run as `nobody` in a mount
# namespace of its own, where `/proc` is mounted with hidepid=noaccess.
WORKER_OF_ANOTHER_USER = """
import asyncio, json, sys
from datetime import UTC, datetime, timedelta
from bot.core.delivery import DeliveryWorker
from bot.core.outbox import SenderRegistry
from bot.storage.database import open_database

class Recording:
    def __init__(self):
        self.texts = []
    async def send(self, message):
        self.texts.append(message.text)

async def main():
    db = await open_database(sys.argv[1])
    now = datetime.now(UTC)
    async with db.transaction() as uow:
        for number in (1, 2):
            await uow.outbox.add(
                idempotency_key=f"k-{number}", channel="telegram", recipient=str(number),
                text=f"reply {number}", now=now,
            )
        await uow.outbox.claim_due(
            channels=["telegram"], worker=sys.argv[2], now=now, lease=timedelta(minutes=1),
            limit=1,
        )
    sender = Recording()
    senders = SenderRegistry()
    senders.register("telegram", sender)
    report = await DeliveryWorker(db, senders).run_once()
    print(json.dumps({"delivered": report.delivered, "texts": sender.texts}))

asyncio.run(main())
"""
NOBODY = 65534


@pytest.mark.skipif(host_prefix() is None, reason="needs Linux /proc")
def test_a_lease_held_by_a_process_whose_proc_entry_is_refused_is_left_alone(
    sqlite_template: Path,
) -> None:
    """Until 2026-12-06 reading the holder's `/proc/<pid>/stat` was refused (EPERM) and the
    pass failed: no reply at all went out, and a traceback was logged every second, for as
    long as the lease lasted. The holder is alive (a signal says so): its reply waits, the
    other citizen's reply goes out."""
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("setpriv")):
        pytest.skip("needs root, unshare and setpriv to mount /proc with hidepid")
    with tempfile.TemporaryDirectory() as shared:  # pytest's own folders are root's alone
        run = _worker_of_nobody(sqlite_template, Path(shared))
    if run.returncode == 77:
        pytest.skip(f"cannot mount /proc with hidepid here: {run.stderr}")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == {"delivered": 1, "texts": ["reply 2"]}


def _worker_of_nobody(template: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    folder.chmod(0o777)
    database = folder / "faqbot.sqlite3"
    shutil.copyfile(template, database)
    os.chown(database, NOBODY, NOBODY)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stat = Path(f"/proc/{holder.pid}/stat").read_text("ascii")
        started = int(stat[stat.rfind(")") + 1 :].split()[19])
        script = (
            "mount -t proc -o hidepid=1 proc /proc || exit 77; exec setpriv --reuid=65534 "
            '--regid=65534 --clear-groups "$0" -c "$1" "$2" "$3"'
        )
        run = subprocess.run(
            ["unshare", "--mount", "sh", "-c", script, sys.executable, WORKER_OF_ANOTHER_USER,
             f"sqlite+aiosqlite:///{database}", f"{host_prefix()}{holder.pid}.{started}.t"],
            check=False, capture_output=True, text=True, timeout=120, cwd=folder,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    return run


async def test_a_lost_acknowledgement_is_delivered_once_by_idempotency_key(
    services: Services,
) -> None:
    await _replied(services)
    services.telegram.failures = 1
    services.telegram.fail_after_sending = True  # the channel sent it, the ack was lost
    assert (await services.worker.run_once()).failed == 2  # the second waits for the first
    services.clock.advance(timedelta(seconds=5))
    assert (await services.worker.run_once()).delivered == 2
    assert (await services.worker.run_once()).delivered == 0
    keys = [m.idempotency_key for m in services.telegram.attempts]
    assert len(keys) == 3 and len(set(keys)) == 2, "the retry reused its key"
    assert services.telegram.texts == ["Специалист взял обращение № 1 в работу.", REPLY]


async def test_a_worker_dying_mid_send_means_the_channel_dedupes(services: Services) -> None:
    await _replied(services)
    dying = DeliveryWorker(services.db, services.senders, clock=services.clock)
    for message in await dying.claim():
        await services.telegram.send(message)  # sent, then the process dies before marking
    services.clock.advance(OutboxSettings().lease)
    assert (await services.worker.run_once()).delivered == 2
    assert len(services.telegram.attempts) == 4
    assert services.telegram.texts == ["Специалист взял обращение № 1 в работу.", REPLY]


async def test_a_reply_queued_on_a_server_whose_clock_runs_ahead_goes_out_at_once(
    services: Services,
) -> None:
    """Two servers on one database: the console on one whose clock runs 10 minutes ahead,
    Telegram's worker on the other. Until 2026-12-05 the reply was queued due at the first
    server's time, and the citizen got it 10 minutes late."""
    olga = await _replied(services)
    await services.worker.run_once()
    ahead = FakeClock(services.clock.now + timedelta(minutes=10))
    await Desk(services.db, clock=ahead).reply(olga, 1, "Обновите страницу.", via=Via.CONSOLE)
    assert (await services.worker.run_once()).delivered == 1
    assert services.telegram.texts[-1] == "Ответ по обращению № 1: Обновите страницу."


async def test_a_retry_keeps_its_backoff_and_the_replies_behind_it_their_order_across_clocks(
    services: Services,
) -> None:
    """A failed reply still waits its back-off (by the clock of the worker that tried), and
    a reply queued behind it on a server whose clock runs behind goes after it."""
    olga = await _replied(services)
    await services.worker.run_once()
    services.telegram.failures = 1
    await services.desk.reply(olga, 1, "Обновите страницу.", via=Via.CONSOLE)
    assert (await services.worker.run_once()).failed == 1
    behind = FakeClock(services.clock.now - timedelta(minutes=10))
    await Desk(services.db, clock=behind).reply(olga, 1, "Войдите снова.", via=Via.CONSOLE)
    services.clock.advance(timedelta(seconds=4))
    assert (await services.worker.run_once()).delivered == 0, "retried before the back-off"
    services.clock.advance(timedelta(seconds=1))
    assert (await services.worker.run_once()).delivered == 2
    assert services.telegram.texts[-2:] == [
        "Ответ по обращению № 1: Обновите страницу.",
        "Ответ по обращению № 1: Войдите снова.",
    ]


async def test_replies_wait_for_a_channel_without_a_sender(services: Services) -> None:
    await _replied(services)
    no_telegram = SenderRegistry()
    no_telegram.register("web", services.web)
    worker = DeliveryWorker(services.db, no_telegram, clock=services.clock)
    assert (await worker.run_once()).delivered == 0
    assert await _undelivered(services) == 2
    late = RecordingSender()
    no_telegram.register("telegram", late)
    assert (await worker.run_once()).delivered == 2
    assert late.texts[-1] == REPLY


async def test_replies_go_out_ahead_of_queued_questions_on_a_busy_database(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _replied(services)
    db = services.db
    questions_in = 0
    questions_in_at_send: list[int] = []
    sent = asyncio.Event()
    send = services.telegram.send

    async def noting_send(message: OutboxMessage) -> None:
        questions_in_at_send.append(questions_in)
        sent.set()
        await send(message)

    monkeypatch.setattr(services.telegram, "send", noting_send)
    busy, release, stop = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def long_transaction() -> None:
        async with db.transaction():
            busy.set()
            await release.wait()

    async def question() -> None:  # a citizen's transaction, queued before the worker
        nonlocal questions_in
        async with db.transaction():
            questions_in += 1
            # Busy until a reply has gone out (or 2 s): a worker behind the questions would
            # send only once the last of them got in; how fast they run does not matter.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await sent.wait()

    async def waiting(count: int) -> None:
        async with asyncio.timeout(10):
            while db._gate.waiting < count:
                await asyncio.sleep(0.001)

    capacity = StorageSettings().connections(db.dialect == "sqlite")
    holders = [asyncio.create_task(long_transaction()) for _ in range(capacity)]
    await busy.wait()
    queued = [asyncio.create_task(question()) for _ in range(capacity + 3)]
    await waiting(len(queued))
    worker = asyncio.create_task(services.worker.run(stop))
    await waiting(len(queued) + 1)  # the worker waits for a connection behind them
    release.set()
    await asyncio.gather(*holders, *queued)
    async with asyncio.timeout(10):
        while await _undelivered(services):
            await asyncio.sleep(0.05)
    stop.set()
    await worker
    # The first notice reached the citizen while questions queued before the worker still
    # waited; at citizens' priority the worker got in after all of them.
    assert len(questions_in_at_send) == 2
    assert questions_in_at_send[0] < len(queued)
    assert services.telegram.texts[-1] == REPLY


async def test_a_blocked_citizen_is_flagged_once_when_the_servers_clocks_differ(
    services: Services,
) -> None:
    """Two servers on one database, one clock 2 s behind the other: a reply queued on the
    slower one, right after the other's reply was refused, dated the «тоже не доставлены»
    line before the blocking began, so the next reply did not find it and said it again."""

    async def blocked(message: OutboxMessage) -> None:
        raise RecipientRefusedError("Telegram отказывается писать в этот чат")

    olga = await _replied(services)
    await services.worker.run_once()  # delivered: the chat worked until now
    services.telegram.send = blocked  # type: ignore[method-assign]
    services.clock.advance(timedelta(seconds=10))
    await services.desk.reply(olga, 1, "Проверьте раздел «Заявления».", via=Via.CONSOLE)
    await services.worker.run_once()  # refused: the citizen blocked the bot
    slower = Desk(services.db, clock=FakeClock(services.clock.now - timedelta(seconds=2)))
    await slower.reply(olga, 1, "Обновите страницу.", via=Via.CONSOLE)
    services.clock.advance(timedelta(seconds=1))
    await services.desk.reply(olga, 1, "Войдите снова.", via=Via.CONSOLE)
    history = (await services.desk.details(olga, 1)).events
    notes = [e.note for e in history if e.action == DELIVERY_REFUSED]
    assert notes == [
        "Telegram отказывается писать в этот чат",
        wording.HELD_BEHIND_REFUSAL,
    ]


async def test_a_second_blocking_is_flagged_when_a_server_with_a_clock_ahead_flagged_the_first(
    services: Services,
) -> None:
    """Two servers on one database, one clock an hour ahead. The citizen blocked the bot, a
    reply queued on the faster server was flagged «тоже не доставлены» (dated an hour ahead);
    they opened the chat again and everything was delivered; they blocked it again. The next
    reply queued behind the new refusal found the old line, dated after the new blocking
    began, and took it for this blocking's: staff were not told it was not delivered."""
    olga = await _replied(services)
    await services.worker.run_once()  # delivered: the chat worked until now
    recording = services.telegram.send

    async def blocked(message: OutboxMessage) -> None:
        raise RecipientRefusedError("Telegram отказывается писать в этот чат")

    services.telegram.send = blocked  # type: ignore[method-assign]
    await services.desk.reply(olga, 1, "Проверьте раздел «Заявления».", via=Via.CONSOLE)
    await services.worker.run_once()  # refused: the citizen blocked the bot
    ahead = FakeClock(services.clock.now + timedelta(hours=1))
    await Desk(services.db, clock=ahead).reply(olga, 1, "Обновите страницу.", via=Via.CONSOLE)
    services.telegram.send = recording  # type: ignore[method-assign]
    # The chat is open again: the faster server's worker delivers both replies.
    await DeliveryWorker(services.db, services.senders, clock=ahead).run_once()
    assert await _undelivered(services) == 0
    services.telegram.send = blocked  # type: ignore[method-assign]
    services.clock.advance(timedelta(minutes=1))
    await services.desk.reply(olga, 1, "Войдите снова.", via=Via.CONSOLE)
    await services.worker.run_once()  # refused again: blocked once more
    await services.desk.reply(olga, 1, "Проверьте почту.", via=Via.CONSOLE)
    history = (await services.desk.details(olga, 1)).events
    notes = [e.note for e in history if e.action == DELIVERY_REFUSED]
    assert notes == [
        "Telegram отказывается писать в этот чат",
        wording.HELD_BEHIND_REFUSAL,
        "Telegram отказывается писать в этот чат",
        wording.HELD_BEHIND_REFUSAL,
    ]


async def test_a_blocking_told_before_the_upgrade_is_not_told_again_after_it(
    services: Services, database_url: str
) -> None:
    """The citizen blocked the bot and staff were told «тоже не доставлены» by a server
    before migration 0014, whose line names no queued message. The first reply after the
    upgrade, still blocked, took the blocking for untold and added the line a second time."""

    async def blocked(message: OutboxMessage) -> None:
        raise RecipientRefusedError("Telegram отказывается писать в этот чат")

    olga = await _replied(services)
    await services.worker.run_once()  # delivered: the chat worked until now
    services.telegram.send = blocked  # type: ignore[method-assign]
    await services.desk.reply(olga, 1, "Проверьте раздел «Заявления».", via=Via.CONSOLE)
    await services.worker.run_once()  # refused: the citizen blocked the bot
    services.clock.advance(timedelta(seconds=1))
    await services.desk.reply(olga, 1, "Обновите страницу.", via=Via.CONSOLE)  # the line
    # The database as a server before 0014 left it (no `outbox_id`), then upgraded.
    engine = create_engine(database_url, StorageSettings())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0013"))
        await upgrade(engine)
    finally:
        await engine.dispose()
    upgraded = await open_database(database_url)
    try:
        desk = Desk(upgraded, clock=services.clock)
        services.clock.advance(timedelta(seconds=1))
        await desk.reply(olga, 1, "Войдите снова.", via=Via.CONSOLE)
        history = (await desk.details(olga, 1)).events
    finally:
        await upgraded.close()
    notes = [e.note for e in history if e.action == DELIVERY_REFUSED]
    assert notes == [
        "Telegram отказывается писать в этот чат",
        wording.HELD_BEHIND_REFUSAL,
    ]


async def test_a_database_outage_is_logged_when_it_begins_and_ends_not_at_every_poll(
    sqlite_template: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker polls every second; while the database was down each poll logged the same
    warning, 3,600 lines an hour burying everything else an admin needs to see. (SQLite
    only: the outage is made by pointing the database's path at a directory.)"""
    real = tmp_path / "real.sqlite3"
    fresh_sqlite(sqlite_template, real)
    path = tmp_path / "faqbot.sqlite3"
    path.symlink_to(real)
    (tmp_path / "away").mkdir()
    db = await open_database(f"sqlite+aiosqlite:///{path}")
    senders = SenderRegistry()
    senders.register("web", RecordingSender())
    worker = DeliveryWorker(
        db, senders, settings=OutboxSettings(poll_interval=timedelta(seconds=0.02))
    )
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="bot.core.delivery")
    # The database is closed between two passes, never under one (a pass whose connection
    # was closed under it waited for ever on a loaded machine, and nothing was logged).
    passes_may_go, pass_held = asyncio.Event(), asyncio.Event()
    passes_may_go.set()
    one_pass = worker.run_once

    async def gated_pass() -> DeliveryReport:
        if not passes_may_go.is_set():
            pass_held.set()
            await passes_may_go.wait()
        return await one_pass()

    monkeypatch.setattr(worker, "run_once", gated_pass)
    running = asyncio.create_task(worker.run(stop))

    def point_at(target: Path) -> None:
        # At once: with a moment of no file at the path, a poll on a loaded machine made an
        # empty database there and stayed on it ("no such table: outbox").
        swap = tmp_path / "swap"
        swap.symlink_to(target)
        swap.replace(path)

    def said(words: str) -> list[str]:
        return [
            r.getMessage() + (f" ({r.exc_info[1]!r})" if r.exc_info else "")
            for r in caplog.records
            if r.name == "bot.core.delivery" and words in r.getMessage()
        ]

    async def until_said(words: str) -> None:
        # Waited for, not slept: on a loaded machine a poll takes far longer than 0.02 s.
        deadline = asyncio.get_running_loop().time() + 20
        while not said(words) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    try:
        await asyncio.sleep(0.1)
        passes_may_go.clear()
        await asyncio.wait_for(pass_held.wait(), 20)
        await db.close()  # its pooled connections would keep the file open
        point_at(tmp_path / "away")
        passes_may_go.set()
        await until_said("база данных недоступна")
        await asyncio.sleep(0.5)  # about 25 polls more while it is down
        point_at(real)
        await until_said("база данных снова доступна")
        await asyncio.sleep(0.1)
    finally:
        stop.set()
        await running
        await db.close()
    lines = said("")
    assert len(said("база данных недоступна")) == 1, lines
    assert len(said("база данных снова доступна")) == 1, lines
