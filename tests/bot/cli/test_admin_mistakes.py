"""An administrator's slips at the shell: each is one Russian line and changes nothing.

Found by the 2026-12-05 administrator's walkthrough: a number too long for the database's
64-bit columns printed a traceback (SQLite) or the driver's SQL (PostgreSQL); a maintenance
end in the year 9999 was stored and every hand-off then failed with a 500; a time the
Moscow clock cannot show printed a traceback; a decided proposal was named in English.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

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
from matcher import Matcher
from tests.bot.cli.test_admin import STRONG, Faqbot, database_url, faqbot, ok, refused
from tests.conftest import FIXTURE_KB

__all__ = ["database_url", "faqbot"]  # fixtures shared with the other admin tests

TOO_LONG = "99999999999999999999"  # past 2**63 - 1


async def _proposal(url: str, kb_dir: Path, matcher: Matcher) -> None:
    """Proposal 1 from ticket 1, resolved by operator olga; kate is a curator."""
    db = await open_database(url)
    try:
        accounts = Accounts(db)
        olga = await accounts.create("olga", STRONG, role=Role.OPERATOR)
        await accounts.create("kate", STRONG, role=Role.CURATOR)
        calendar = WorkCalendar(default_working_hours())
        await ConversationService(db, matcher, calendar=calendar).request_person(
            Identity("web", "s1"), "сломался карбюратор"
        )
        desk = Desk(db)
        await desk.take_next(olga)
        await desk.resolve(olga, 1, "Обратитесь в сервисный центр.", via=Via.CONSOLE)
        await Proposals(db, kb_dir).propose(
            olga, 1, question="Что делать, если сломался карбюратор?", answer="В сервис."
        )
    finally:
        await db.close()


def test_numbers_too_long_for_the_database_are_refused_in_russian(
    faqbot: Faqbot, database_url: str, tmp_path: Path, fixture_matcher: Matcher
) -> None:
    kb_dir = Path(shutil.copytree(FIXTURE_KB, tmp_path / "kb"))
    asyncio.run(_proposal(database_url, kb_dir, fixture_matcher))
    approve, reject = ("proposals", "approve", "--kb", str(kb_dir)), ("proposals", "reject")
    telegram, approved, rejected = faqbot.together(
        (("user", "telegram", "olga", TOO_LONG), ""),
        ((*approve, TOO_LONG, "--by", "kate"), ""),
        ((*reject, TOO_LONG, "--by", "kate", "--note", "нет"), ""),
    )
    refused(telegram, f"Идентификатор пользователя Telegram «{TOO_LONG}» неверен")
    refused(approved, f"Предложения № {TOO_LONG} нет.")
    refused(rejected, f"Предложения № {TOO_LONG} нет.")

    ok(faqbot(*approve, "1", "--by", "kate"))
    again, reject_now = faqbot.together(
        ((*approve, "1", "--by", "kate"), ""),
        ((*reject, "1", "--by", "kate", "--note", "дубль"), ""),
    )
    refused(again, "Предложение № 1 уже рассмотрено: утверждено.")
    refused(reject_now, "Предложение № 1 уже рассмотрено: утверждено.")


def test_a_maintenance_end_out_of_reach_is_refused_and_nothing_is_switched(
    faqbot: Faqbot,
) -> None:
    year_9999, moscow_cannot_show, before_year_1 = faqbot.together(
        (("maintenance", "on", "--until", "9999-12-31 23:59"), ""),
        (("maintenance", "on", "--until", "9999-12-31T23:59-05:00"), ""),
        (("maintenance", "on", "--until", "0001-01-01T00:00+05:00"), ""),
    )
    refused(year_9999, "Профилактика не может длиться дольше 90 дней")
    refused(moscow_cannot_show, "Время «9999-12-31T23:59-05:00» не распознано")
    refused(before_year_1, "Время «0001-01-01T00:00+05:00» не распознано")
    assert "Профилактика выключена" in ok(faqbot("maintenance", "status"))


def test_the_name_shown_to_colleagues_is_one_line_that_fits(faqbot: Faqbot) -> None:
    """A name of blanks was stored empty, one with a line break broke `user list`'s table,
    and one over 100 characters was kept whole on SQLite and refused in English by
    PostgreSQL ("value too long for type character varying(100)")."""
    add = ("user", "add", "--role", "operator", "--login")
    blank, two_lines, too_long = faqbot.together(
        ((*add, "olga", "--name", "   "), STRONG),
        ((*add, "boris", "--name", "Борис\nПетров"), STRONG),
        ((*add, "ivan", "--name", "Я" * 101), STRONG),
    )
    ok(blank)
    ok(two_lines)
    refused(too_long, "Имя слишком длинное (символов: 101): можно не больше 100.")
    listed = ok(faqbot("user", "list")).splitlines()
    assert len(listed) == 3  # the header and one line an account
    rows = {line.split()[0]: line for line in listed}
    assert rows["olga"].endswith(" olga") and rows["boris"].endswith(" Борис Петров")
