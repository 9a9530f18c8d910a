"""A resolved ticket becomes a new knowledge-base entry once a curator approves it."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from bot.core.errors import (
    IllegalTransitionError,
    InvalidInputError,
    PermissionDeniedError,
    WorseBaseError,
)
from bot.core.identity import Identity
from bot.core.proposals import Proposals
from bot.core.records import ProposalStatus
from bot.core.roles import Role
from bot.core.tickets import Via
from matcher import Matcher, Morphology, load_knowledge_base
from tests.bot.core.conftest import KB_DIR, Services

pytestmark = pytest.mark.anyio

CITIZEN = Identity("web", "s1")
QUESTION = "сломался карбюратор у трактора"
ANSWER = "ЭПТС не хранит сведения о ремонте.\n\nОбратитесь в сервисный центр."


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A writable copy of the test knowledge base."""
    return Path(shutil.copytree(KB_DIR, tmp_path / "kb"))


async def _resolved(services: Services) -> int:
    await services.conversations.handle(CITIZEN, QUESTION)
    operator = await services.operator("olga")
    await services.desk.take_next(operator)
    await services.desk.resolve(operator, 1, "Обратитесь в сервисный центр.", via=Via.CONSOLE)
    return 1


async def test_approved_proposal_is_loaded_and_matched(
    services: Services, kb_dir: Path, morphology: Morphology
) -> None:
    number = await _resolved(services)
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    olga = await services.accounts.get("olga")
    proposal = await proposals.propose(
        olga,
        number,
        question="Что делать, если сломался карбюратор?",
        alternatives=["Ремонт карбюратора", " "],
        answer=ANSWER,
        topic="Ремонт",
    )
    assert proposal.status is ProposalStatus.PENDING
    assert [p.id for p in await proposals.pending()] == [proposal.id]
    curator = await services.operator("kate", Role.CURATOR)
    approved = await proposals.approve(curator, proposal.id)
    assert (approved.status, approved.entry_id) == (ProposalStatus.APPROVED, "proposed-1")
    kb = load_knowledge_base(kb_dir)
    entry = kb.get("proposed-1")
    assert entry is not None
    assert (entry.topic, entry.question, entry.alternatives) == (
        "Новые ответы",
        "Что делать, если сломался карбюратор?",
        ("Ремонт карбюратора",),
    )
    assert entry.answer.strip() == ANSWER
    assert "Ремонт" in entry.tags
    assert Matcher(kb, morphology=morphology).match("сломался карбюратор").entry_id == "proposed-1"


async def test_second_approval_appends_with_a_fresh_id(services: Services, kb_dir: Path) -> None:
    number = await _resolved(services)
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    olga = await services.accounts.get("olga")
    curator = await services.operator("kate", Role.CURATOR)
    for question in ["Вопрос один?", "Вопрос два?"]:
        proposal = await proposals.propose(olga, number, question=question, answer="Ответ.")
        await proposals.approve(curator, proposal.id)
    kb = load_knowledge_base(kb_dir)
    assert [e.id for e in kb.in_topic("Новые ответы")] == ["proposed-1", "proposed-2"]


async def test_only_curators_decide_and_only_once(services: Services, kb_dir: Path) -> None:
    number = await _resolved(services)
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    olga = await services.accounts.get("olga")
    proposal = await proposals.propose(olga, number, question="Вопрос?", answer="Ответ.")
    with pytest.raises(PermissionDeniedError, match="утверждать"):
        await proposals.approve(olga, proposal.id)
    curator = await services.operator("kate", Role.CURATOR)
    rejected = await proposals.reject(curator, proposal.id, "Дублирует существующий ответ")
    assert rejected.status is ProposalStatus.REJECTED
    with pytest.raises(IllegalTransitionError, match="уже рассмотрено"):
        await proposals.approve(curator, proposal.id)
    assert not (kb_dir / "proposed.yaml").exists()


async def test_an_approval_while_the_base_is_broken_is_refused_in_russian(
    services: Services, kb_dir: Path
) -> None:
    """A topic file saved with a tab, or a proposals file broken by hand: the curator reads
    what is wrong (`faqbot proposals approve` printed a traceback, the console a 500) and the
    proposal waits."""
    number = await _resolved(services)
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    olga = await services.accounts.get("olga")
    proposal = await proposals.propose(olga, number, question="Вопрос?", answer="Ответ.")
    curator = await services.operator("kate", Role.CURATOR)
    topic = next(kb_dir.glob("*.yaml"))
    topic.write_text("topic: Сломано\nentries:\n\t- id: x\n", encoding="utf-8")

    with pytest.raises(InvalidInputError, match="база знаний сейчас не загружается") as refused:
        await proposals.approve(curator, proposal.id)
    assert "табуляция" in str(refused.value)

    (kb_dir / "proposed.yaml").write_text("topic: [\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"proposed\.yaml не читается как YAML"):
        await proposals.approve(curator, proposal.id, force=True)
    assert [p.id for p in await proposals.pending()] == [proposal.id]


async def test_proposals_need_a_resolved_ticket(services: Services, kb_dir: Path) -> None:
    await services.conversations.handle(CITIZEN, QUESTION)
    operator = await services.operator("olga")
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    with pytest.raises(IllegalTransitionError, match="в статусе «Принято»"):
        await proposals.propose(operator, 1, question="Вопрос?", answer="Ответ.")


async def test_an_entry_that_would_take_other_entries_questions_waits_for_force(
    services: Services, kb_dir: Path
) -> None:
    """An operator proposes "сбросить забытый пароль" as another wording of a tractor's
    answer: approved as it is, "Забыл пароль" of password recovery would get the tractor's
    answer. The curator is told so and nothing is written until they insist."""
    number = await _resolved(services)
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    olga = await services.accounts.get("olga")
    proposal = await proposals.propose(
        olga,
        number,
        question="Что делать, если сломался карбюратор?",
        alternatives=["забыл пароль", "сбросить забытый пароль"],
        answer=ANSWER,
    )
    curator = await services.operator("kate", Role.CURATOR)

    with pytest.raises(WorseBaseError, match="не утверждено") as refused:
        await proposals.approve(curator, proposal.id)

    assert "«забыл пароль» уже есть в записи password-recovery" in str(refused.value)
    assert not (kb_dir / "proposed.yaml").exists()
    assert [p.id for p in await proposals.pending()] == [proposal.id]

    approved = await proposals.approve(curator, proposal.id, force=True)

    assert approved.status is ProposalStatus.APPROVED
    assert load_knowledge_base(kb_dir).get("proposed-1") is not None


async def test_two_approvals_of_one_question_at_once_write_it_once(
    services: Services, kb_dir: Path
) -> None:
    """Two operators proposed the same question, two curators approve at once: each entry
    alone passes the check, and both passed it before either was written. The check runs
    under the writers' lock on the files as they are: the second is refused."""
    number = await _resolved(services)
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    olga = await services.accounts.get("olga")
    question = "Что делать, если сломался карбюратор?"
    proposed = [
        await proposals.propose(olga, number, question=question, answer=ANSWER) for _ in "ab"
    ]
    kate = await services.operator("kate", Role.CURATOR)
    vera = await services.operator("vera", Role.CURATOR)

    outcomes = await asyncio.gather(
        *(proposals.approve(c, p.id) for c, p in zip((kate, vera), proposed, strict=True)),
        return_exceptions=True,
    )

    [approved] = [o for o in outcomes if not isinstance(o, BaseException)]
    [refused] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(refused, WorseBaseError)
    assert f"«{question}» уже есть в записи {approved.entry_id}" in str(refused)
    assert (kb_dir / "proposed.yaml").read_text(encoding="utf-8").count(question) == 1
    assert [p.status for p in await proposals.pending()] == [ProposalStatus.PENDING]


# asyncio's default thread pool: every `asyncio.to_thread` of the process shares it.
DEFAULT_THREADS = min(32, (os.cpu_count() or 1) + 4)


async def test_approvals_waiting_for_the_base_leave_threads_for_the_one_holding_it(
    services: Services, kb_dir: Path
) -> None:
    """One more approval at once than asyncio has threads: each waited for the base's lock
    on a thread of its own, so the one holding the lock found no thread for its check and
    waited for them forever, and with it every question citizens asked (the matcher runs on
    the same threads). Only one approval of a process waits on a thread now."""
    number = await _resolved(services)
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    olga = await services.accounts.get("olga")
    curator = await services.operator("kate", Role.CURATOR)
    proposed = [
        await proposals.propose(olga, number, question=f"Вопрос номер {n}?", answer=ANSWER)
        for n in range(DEFAULT_THREADS + 1)
    ]

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(proposals.approve(curator, p.id) for p in proposed)), timeout=60
    )

    assert [o.status for o in outcomes] == [ProposalStatus.APPROVED] * len(proposed)
    assert len(load_knowledge_base(kb_dir).in_topic("Новые ответы")) == len(proposed)


async def test_one_proposal_approved_twice_at_once_is_told_it_was_decided(
    services: Services, kb_dir: Path
) -> None:
    """A double click on «Утвердить»: the second request waited for the first one's lock,
    then checked the base the first had just written to and told the curator «не утверждено:
    … уже есть в записи proposed-1», of a proposal that was approved."""
    number = await _resolved(services)
    proposals = Proposals(services.db, kb_dir, clock=services.clock)
    olga = await services.accounts.get("olga")
    proposal = await proposals.propose(olga, number, question="Вопрос?", answer=ANSWER)
    kate = await services.operator("kate", Role.CURATOR)

    outcomes = await asyncio.gather(
        proposals.approve(kate, proposal.id),
        proposals.approve(kate, proposal.id),
        return_exceptions=True,
    )

    [approved] = [o for o in outcomes if not isinstance(o, BaseException)]
    [refused] = [o for o in outcomes if isinstance(o, BaseException)]
    assert approved.status is ProposalStatus.APPROVED
    assert isinstance(refused, IllegalTransitionError)
    assert str(refused) == f"Предложение № {proposal.id} уже рассмотрено: утверждено."
