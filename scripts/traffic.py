"""Generate a realistic month of traffic through the real core on a fresh database.

    python scripts/traffic.py --questions 2000 --database sqlite+aiosqlite:///traffic.sqlite3

Questions are drawn from the knowledge base's own phrasings with mutations (typos, dropped
punctuation, courtesy words), plus off-topic needs the base does not cover and messages with
personal data. Citizens pick one of the offered entries after most clarifications, rate some
answers; operators take every ticket, answer most of them and close them. Everything goes
through `ConversationService`, `Desk` and `Ratings`, with a clock the script moves, so the
question log is filled exactly as in production. The seed makes it deterministic.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher

from bot.core.accounts import Accounts
from bot.core.answerer import HANDOFF_TAG
from bot.core.conversation import ConversationService
from bot.core.desk import Desk
from bot.core.identity import Identity
from bot.core.passwords import Passwords
from bot.core.ratings import Ratings
from bot.core.records import Operator
from bot.core.replies import ReplyKind
from bot.core.roles import Role
from bot.core.settings import default_working_hours
from bot.core.tickets import Via
from bot.core.workhours import WorkCalendar
from bot.storage.database import Database, open_database
from matcher import Matcher, load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 10, 1, 5, 0, tzinfo=UTC)
DAYS = 30
ZONE = ZoneInfo("Europe/Moscow")
OPERATORS = (("olga", "Ольга Петрова"), ("ivan", "Иван Смирнов"), ("nina", "Нина Орлова"))
PASSWORD = "Трафик-пароль-2026"

# Needs the base does not cover, each asked in several ways: they should form clusters.
OFF_TOPIC = (
    (
        "как оформить загранпаспорт через госуслуги",
        "загранпаспорт нового образца как подать заявление",
        "хочу сделать загранник на 10 лет",
        "сколько делается загранпаспорт",
    ),
    (
        "как оплатить штраф гибдд со скидкой",
        "оплата штрафа гибдд не проходит",
        "где посмотреть штрафы за нарушение пдд",
    ),
    (
        "как записаться к врачу в поликлинику",
        "запись к терапевту через госуслуги",
        "не могу записаться на прием к врачу",
    ),
    (
        "сломался карбюратор у трактора",
        "трактор не заводится что делать",
    ),
    (
        "как получить налоговый вычет за лечение",
        "вычет за лечение зубов как оформить",
        "налоговый вычет за квартиру документы",
    ),
)
# Messages with personal data: the log must keep none of it.
PERSONAL = (
    "мой телефон +7 912 345-67-89, не приходит смс",
    "почта ivan.petrov@mail.ru, не могу войти",
    "паспорт 4510 123456, как поменять данные в профиле",
    "снилс 112-233-445 95 не подтверждается",
    "мой ИНН 500100732259 не находят",
    "списали деньги с карты 4276 3800 1234 5678, где чек",
    "код из смс 482193 не подходит",
)
COURTESY = ("подскажите, ", "здравствуйте! ", "добрый день, ", "пожалуйста ", "")
ANSWERS = (
    "Проверили: заявка обработана, данные обновятся в течение суток.",
    "Эта услуга оказывается в другом ведомстве, ссылка на портал в ответе ниже.",
    "Передали вопрос специалистам, ответ придёт на почту.",
)


@dataclass
class Tally:
    """What the script saw happen, counted from the replies, not from the log."""

    questions: int = 0
    answered: int = 0
    clarified: int = 0
    chosen: int = 0
    handed_off: int = 0
    tickets: int = 0
    replied: int = 0
    replied_in_time: int = 0  # by the ticket's due time
    replied_late: int = 0
    unanswered_due: list[datetime] = field(default_factory=list)  # tickets left without one
    thumbs_up: int = 0
    thumbs_down: int = 0
    stars: list[int] = field(default_factory=list)  # of answers
    ticket_stars: list[int] = field(default_factory=list)  # given after a person answered
    per_day: Counter[str] = field(default_factory=Counter)
    shown: Counter[str] = field(default_factory=Counter)
    personal: list[str] = field(default_factory=list)

    @property
    def answered_by_bot(self) -> int:
        """Answers shown without a person: at once or after a choice."""
        return self.answered + self.chosen


class ScriptClock:
    """The time the script says it is."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def mutate(text: str, rng: random.Random) -> str:
    """A phrasing as a citizen might type it: lower case, no punctuation, a typo, courtesy."""
    text = text.lower().rstrip("?.!")
    if rng.random() < 0.3:
        letters = [i for i, c in enumerate(text) if c.isalpha()]
        if len(letters) > 6:
            i = rng.choice(letters[1:-1])
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if rng.random() < 0.3:
        text = rng.choice(COURTESY) + text
    return text


def question_times(count: int, rng: random.Random, start: datetime) -> list[datetime]:
    """Times through the month, busier on working days and in the daytime, sorted."""
    times: list[datetime] = []
    while len(times) < count:
        moment = start + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        local = moment.astimezone(ZONE)
        weight = (1.0 if local.weekday() < 5 else 0.5) * (1.0 if 8 <= local.hour < 22 else 0.2)
        if rng.random() < weight:
            times.append(moment)
    return sorted(times)


async def generate(
    db: Database,
    matcher: Matcher,
    *,
    questions: int,
    seed: int = 2026,
    start: datetime = START,
    progress: bool = False,
) -> Tally:
    """Run `questions` questions through the core; returns what happened."""
    rng = random.Random(seed)
    clock = ScriptClock(start)
    calendar = WorkCalendar(default_working_hours())
    conversations = ConversationService(db, matcher, calendar=calendar, clock=clock)
    desk = Desk(db, clock=clock)
    ratings = Ratings(db, clock=clock)
    accounts = Accounts(
        db, passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    )
    operators = [
        await accounts.create(login, PASSWORD, role=Role.OPERATOR, display_name=name)
        for login, name in OPERATORS
    ]
    phrasings = [p for e in matcher.kb.entries if HANDOFF_TAG not in e.tags for p in e.phrasings]
    handing_off = {e.id for e in matcher.kb.entries if HANDOFF_TAG in e.tags}
    tally = Tally()
    for number, asked_at in enumerate(question_times(questions, rng, start)):
        clock.now = asked_at
        identity = Identity(rng.choice(("web", "web", "telegram")), f"citizen-{seed}-{number}")
        roll = rng.random()
        if roll < 0.75:
            text = mutate(rng.choice(phrasings), rng)
        elif roll < 0.88:
            text = rng.choice(rng.choice(OFF_TOPIC))
        else:
            text = rng.choice(PERSONAL)
            tally.personal.append(text)
        tally.questions += 1
        tally.per_day[asked_at.astimezone(ZONE).date().isoformat()] += 1
        reply = await conversations.handle(identity, text)
        if reply.kind is ReplyKind.CLARIFY:
            tally.clarified += 1
            # A citizen picks an entry that answers; one offered the call for a person among
            # the choices (the meaning's stage may offer it) and wanting one would call.
            answers = [c for c in reply.choices if c.entry_id not in handing_off]
            if answers and rng.random() < 0.7:
                clock.now += timedelta(seconds=rng.randint(5, 60))
                reply = await conversations.choose(identity, rng.choice(answers).entry_id)
                tally.chosen += 1
            else:
                continue
        elif reply.kind is ReplyKind.ANSWER:
            tally.answered += 1
        if reply.kind is ReplyKind.ANSWER and reply.message_id is not None:
            assert reply.entry_id is not None
            tally.shown[reply.entry_id] += 1
            await _rate_answer(ratings, identity, reply.message_id, rng, tally)
        if reply.kind is ReplyKind.HANDOFF:
            tally.handed_off += 1
            await _work_ticket(
                desk=desk,
                ratings=ratings,
                operators=operators,
                clock=clock,
                identity=identity,
                message_id=reply.message_id,
                rng=rng,
                tally=tally,
            )
            clock.now = asked_at
        if progress and number % 100 == 0:
            print(f"{number}/{questions}", file=sys.stderr, end="\r")
    return tally


async def _rate_answer(
    ratings: Ratings, identity: Identity, message_id: int, rng: random.Random, tally: Tally
) -> None:
    roll = rng.random()
    if roll < 0.25:
        helpful = rng.random() < 0.75
        await ratings.rate_thumb(identity, message_id, helpful)
        if helpful:
            tally.thumbs_up += 1
        else:
            tally.thumbs_down += 1
    elif roll < 0.35:
        stars = rng.choice((1, 2, 3, 4, 5, 5, 5))
        await ratings.rate_stars(identity, message_id, stars)
        tally.stars.append(stars)


async def _work_ticket(
    *,
    desk: Desk,
    ratings: Ratings,
    operators: list[Operator],
    clock: ScriptClock,
    identity: Identity,
    message_id: int | None,
    rng: random.Random,
    tally: Tally,
) -> None:
    """An operator takes the ticket at once; most get an answer, some by the due time."""
    tally.tickets += 1
    operator = rng.choice(operators)
    clock.now += timedelta(minutes=rng.randint(2, 600))
    ticket = await desk.take_next(operator)
    assert ticket is not None, "every ticket is taken at once, so the queue holds just this one"
    if rng.random() < 0.1:
        tally.unanswered_due.append(ticket.due_at)
        return  # left in progress: no answer yet
    clock.now += timedelta(minutes=rng.choice((5, 30, 120, 600, 1800)))
    await desk.reply(operator, ticket.number, rng.choice(ANSWERS), via=Via.CONSOLE)
    tally.replied += 1
    if clock.now <= ticket.due_at:
        tally.replied_in_time += 1
    else:
        tally.replied_late += 1
    await desk.resolve(operator, ticket.number, via=Via.CONSOLE)
    if message_id is not None and rng.random() < 0.4:
        stars = rng.choice((2, 4, 5, 5))
        await ratings.rate_stars(identity, message_id, stars)
        tally.ticket_stars.append(stars)


async def _main(args: argparse.Namespace) -> int:
    db = await open_database(args.database)
    try:
        matcher = Matcher(load_knowledge_base(args.kb))
        tally = await generate(
            db, matcher, questions=args.questions, seed=args.seed, progress=sys.stderr.isatty()
        )
    finally:
        await db.close()
    print(
        f"Вопросов: {tally.questions}; ответ сразу: {tally.answered}; уточнений: "
        f"{tally.clarified} (выбрали: {tally.chosen}); передано людям: {tally.handed_off}; "
        f"ответов операторов: {tally.replied}."
    )
    return 0


def main() -> int:
    """Parse the options and generate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kb", type=Path, default=ROOT / "knowledge_base")
    parser.add_argument("--database", required=True, metavar="URL")
    return asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
