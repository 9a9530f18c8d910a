"""The admin subcommands end to end: a real `faqbot` process on a real SQLite file.

`user`, `maintenance`, `proposals` and `queue` are run as a person would run them from the
shell; what the core must already contain (a resolved ticket, a proposal) is made through
the core's own API, as the operators' desk would make it.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.accounts import Accounts
from bot.core.conversation import ConversationService
from bot.core.desk import Desk
from bot.core.identity import Identity
from bot.core.proposals import Proposals
from bot.core.roles import Role
from bot.core.settings import default_working_hours
from bot.core.tickets import Via
from bot.core.workhours import WorkCalendar
from bot.storage.database import open_database
from matcher import Matcher, load_knowledge_base
from tests.conftest import FIXTURE_KB

STRONG = "Надёжный-пароль-2026"
MOSCOW = ZoneInfo("Europe/Moscow")
Done = subprocess.CompletedProcess[str]


class Faqbot:
    """Runs `faqbot ARGS... --database URL` in a folder, as a person would from the shell."""

    def __init__(self, cwd: Path, database_url: str) -> None:
        self._cwd = cwd
        self._database_url = database_url

    def __call__(self, *args: str, stdin: str = "") -> Done:
        """One command, with `stdin` as its standard input."""
        return subprocess.run(
            [sys.executable, "-m", "bot.cli.main", *args, "--database", self._database_url],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=self._cwd,
        )

    def together(self, *commands: tuple[Sequence[str], str]) -> list[Done]:
        """Independent commands (arguments, stdin) run at once: each start costs seconds.

        The database must exist already: two processes must not create it at the same time.
        """
        with ThreadPoolExecutor(max_workers=len(commands)) as pool:
            return list(pool.map(lambda command: self(*command[0], stdin=command[1]), commands))


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A database file that does not exist yet: the command creates and migrates it."""
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'faqbot.sqlite3'}"


@pytest.fixture
def faqbot(tmp_path: Path, database_url: str) -> Faqbot:
    """The command on the test's database."""
    return Faqbot(tmp_path, database_url)


def ok(done: Done) -> str:
    """The output of a command that must succeed."""
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout


def refused(done: subprocess.CompletedProcess[str], reason: str) -> None:
    """The command failed with exactly one line on stderr that contains `reason`."""
    assert done.returncode == 1, done.stdout
    assert done.stdout == ""
    assert done.stderr.endswith("\n")
    assert done.stderr.count("\n") == 1, done.stderr
    assert reason in done.stderr


def table(output: str) -> dict[str, list[str]]:
    """The rows of a printed table by their first cell (the header row included)."""
    return {line.split()[0]: line.split() for line in output.splitlines() if line.strip()}


def test_accounts_are_created_listed_and_changed(faqbot: Faqbot) -> None:
    assert "Учётных записей нет" in ok(faqbot("user", "list"))

    created = faqbot(
        "user", "add", "--login", "Olga", "--role", "operator", "--name", "Ольга", stdin=STRONG
    )
    assert "«olga» создана: оператор" in ok(created)
    add_ivan = ("user", "add", "--login", "ivan", "--role", "admin")
    short, empty, duplicate, disabled, curator = faqbot.together(
        (add_ivan, "короткий1\n"),
        (add_ivan, ""),
        (("user", "add", "--login", "olga", "--role", "admin"), STRONG),
        (("user", "disable", "olga"), ""),
        (("user", "role", "olga", "curator"), ""),
    )
    refused(short, "Пароль слишком короткий: 9 символов, нужно не меньше 10.")
    refused(empty, "Пароль не может быть пустым.")
    refused(duplicate, "Учётная запись «olga» уже есть.")
    assert "«olga» отключена" in ok(disabled)
    assert "теперь куратор" in ok(curator)
    rows = table(ok(faqbot("user", "list")))
    assert set(rows) == {"Логин", "olga"}  # the weak passwords created nobody
    assert rows["olga"][1:3] == ["куратор", "нет"]
    assert rows["olga"][-1] == "Ольга"

    ok(faqbot("user", "enable", "olga"))
    assert table(ok(faqbot("user", "list")))["olga"][1:3] == ["куратор", "да"]


def test_keyboard_runs_and_common_passwords_are_refused(faqbot: Faqbot) -> None:
    """ "qwertyuiop12" used to pass: 12 characters, letters and digits."""
    add = ("user", "add", "--login", "admin", "--role", "admin")
    keyboard, common = faqbot.together((add, "qwertyuiop12\n"), (add, "P@ssw0rd-2026\n"))
    refused(keyboard, "Этот пароль легко угадать: «qwertyuiop» — ряды клавиш")
    refused(common, "Этот пароль легко угадать: «P@ssw0rd», «2026»")
    ok(faqbot(*add, stdin=STRONG))
    refused(
        faqbot("user", "password", "admin", stdin="йцукенгшщз12\n"),
        "Этот пароль легко угадать: «йцукенгшщз»",
    )


def test_a_russian_word_or_name_and_a_year_is_refused(faqbot: Faqbot) -> None:
    """ "Москва2024!", "Солнышко1!", "Наташа1985!" (and as typed with the Latin layout on,
    or in Latin letters) used to pass: the words guessed first were English ones."""
    add = ("user", "add", "--login", "admin", "--role", "admin")
    city, sun, name, unswitched, latin = faqbot.together(
        (add, "Москва2024!\n"),
        (add, "Солнышко1!\n"),
        (add, "Наташа1985!\n"),
        (add, "Cjkysirj1!x\n"),
        (add, "Masha2000!x\n"),
    )
    refused(city, "Этот пароль легко угадать: «Москва2024»")
    refused(sun, "Этот пароль легко угадать: «Солнышко»")
    refused(name, "Этот пароль легко угадать: «Наташа1985»")
    refused(unswitched, "Этот пароль легко угадать: «Cjkysirj»")
    refused(latin, "Этот пароль легко угадать: «Masha2000»")
    ok(faqbot(*add, stdin="Москва-Рыбинск#7\n"))


def test_maintenance_round_trip(faqbot: Faqbot) -> None:
    # An explicit offset is kept; the time is shown as Moscow time.
    until = (datetime.now(UTC) + timedelta(days=3)).replace(hour=3, minute=0, microsecond=0)
    shown = f"{until.astimezone(MOSCOW):%Y-%m-%d %H:%M}"
    turned_on = faqbot("maintenance", "on", "--until", until.isoformat(), "--note", "Обновление")
    assert f"включена до {shown}" in ok(turned_on)

    status, past = faqbot.together(
        (("maintenance", "status"), ""),
        (("maintenance", "on", "--until", "2020-01-01 06:00"), ""),
    )
    assert f"Профилактика включена до {shown} (по московскому времени)" in ok(status)
    assert "Обновление" in status.stdout
    refused(past, "Время 2020-01-01 06:00 (по московскому времени) уже прошло")

    ok(faqbot("maintenance", "off"))
    assert "Профилактика выключена" in ok(faqbot("maintenance", "status"))


async def _resolved_ticket_and_proposal(url: str, kb_dir: Path, matcher: Matcher) -> None:
    """Ticket 1 resolved by operator olga, who proposes an entry from it; ticket 2 waiting;
    kate is a curator."""
    db = await open_database(url)
    try:
        accounts = Accounts(db)
        olga = await accounts.create("olga", STRONG, role=Role.OPERATOR)
        await accounts.create("kate", STRONG, role=Role.CURATOR)
        conversations = ConversationService(
            db, matcher, calendar=WorkCalendar(default_working_hours())
        )
        desk = Desk(db)
        await conversations.request_person(Identity("web", "s1"), "сломался карбюратор")
        await desk.take_next(olga)
        await desk.resolve(olga, 1, "Обратитесь в сервисный центр.", via=Via.CONSOLE)
        await Proposals(db, kb_dir).propose(
            olga,
            1,
            question="Что делать, если сломался карбюратор?",
            answer="Обратитесь в сервисный центр.",
        )
        await conversations.request_person(Identity("telegram", "42"), "нужен человек")
    finally:
        await db.close()


def test_proposals_and_queue(
    faqbot: Faqbot, database_url: str, tmp_path: Path, fixture_matcher: Matcher
) -> None:
    assert "Предложений на рассмотрении нет" in ok(faqbot("proposals", "list"))
    assert "Обращений в очереди нет" in ok(faqbot("queue"))

    kb_dir = Path(shutil.copytree(FIXTURE_KB, tmp_path / "kb"))
    asyncio.run(_resolved_ticket_and_proposal(database_url, kb_dir, fixture_matcher))

    approve = ("proposals", "approve", "--kb", str(kb_dir))
    waiting, listed, missing, by_operator = faqbot.together(
        (("queue", "--as", "kate"), ""),
        (("proposals", "list"), ""),
        ((*approve, "99", "--by", "kate"), ""),
        ((*approve, "1", "--by", "olga"), ""),
    )
    queue = table(ok(waiting))
    assert set(queue) == {"№", "2", "Всего:"}  # ticket 1 is resolved: it waits for nobody
    assert queue["2"][1:3] == ["Принято", "Telegram"]
    assert "Предложение № 1 — по обращению № 1" in ok(listed)
    assert "Вопрос: Что делать, если сломался карбюратор?" in listed.stdout
    refused(missing, "Предложения № 99 нет.")
    refused(by_operator, "Роль «оператор» не может утверждать новые ответы.")

    approved = faqbot(*approve, "1", "--by", "kate")
    assert "запись «proposed-1» добавлена" in ok(approved)
    entry = load_knowledge_base(kb_dir).get("proposed-1")
    assert entry is not None
    assert entry.question == "Что делать, если сломался карбюратор?"
    assert entry.answer.strip() == "Обратитесь в сервисный центр."
