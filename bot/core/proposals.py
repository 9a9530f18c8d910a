"""Knowledge-base proposals: operators suggest an entry from a resolved ticket, curators decide.

An approved proposal is appended to the proposals topic file of the knowledge base; the
running server's hot reload picks it up.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from bot.core.clock import Clock, system_clock
from bot.core.errors import (
    IllegalTransitionError,
    InvalidInputError,
    ProposalNotFoundError,
    TicketNotFoundError,
    WorseBaseError,
)
from bot.core.kb_writer import BaseWriters, NewEntry, append_entry, existing_ids
from bot.core.privacy import mask_personal_data
from bot.core.records import MAX_RECORD_ID, Operator, Proposal, ProposalStatus
from bot.core.roles import Permission, has_permission, require
from bot.core.settings import ProposalSettings
from bot.core.ticket_status import TicketStatus
from bot.storage.database import Database
from bot.storage.unit_of_work import UnitOfWork

PROPOSED_TAG = "предложено"
DECIDED = {ProposalStatus.APPROVED: "утверждено", ProposalStatus.REJECTED: "отклонено"}


def _required(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInputError(f"Заполните {what}: поле не может быть пустым.")
    return text


async def _pending(uow: UnitOfWork, proposal_id: int) -> Proposal:
    in_range = 0 < proposal_id <= MAX_RECORD_ID
    proposal = await uow.proposals.get(proposal_id, lock=True) if in_range else None
    if proposal is None:
        raise ProposalNotFoundError(f"Предложения № {proposal_id} нет.")
    if proposal.status is not ProposalStatus.PENDING:
        raise IllegalTransitionError(
            f"Предложение № {proposal_id} уже рассмотрено: "
            f"{DECIDED.get(proposal.status, proposal.status.value)}."
        )
    return proposal


class Proposals:
    """Proposals of new knowledge-base entries."""

    def __init__(
        self,
        db: Database,
        kb_dir: Path,
        *,
        settings: ProposalSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._kb_dir = kb_dir
        self._settings = settings or ProposalSettings()
        self._clock = clock
        self._writers = BaseWriters(kb_dir)

    @property
    def kb_dir(self) -> Path:
        """The knowledge base's folder."""
        return self._kb_dir

    @property
    def writers(self) -> BaseWriters:
        """The writers' lock of the base, shared by everything of this process that checks
        the base before writing to it (approvals here, the inbox's phrasings)."""
        return self._writers

    @property
    def target_file(self) -> Path:
        """The YAML file approved entries are appended to."""
        return self._kb_dir / self._settings.file_name

    async def propose(
        self,
        operator: Operator,
        ticket_number: int,
        *,
        question: str,
        answer: str,
        alternatives: Sequence[str] = (),
        topic: str | None = None,
    ) -> Proposal:
        """Suggest an entry from a resolved ticket."""
        require(operator.role, Permission.PROPOSE, "предлагать новые ответы")
        fields = (
            _required(question, "вопрос"),
            _required(answer, "ответ"),
            tuple(a.strip() for a in alternatives if a.strip()),
            (topic or self._settings.topic).strip() or self._settings.topic,
        )
        async with self._db.transaction() as uow:
            ticket = await uow.tickets.get(ticket_number)
            if ticket is None:
                raise TicketNotFoundError(ticket_number, yours=False)
            if ticket.status is not TicketStatus.RESOLVED:
                raise IllegalTransitionError(
                    f"Ответ можно предложить только по завершённому обращению; "
                    f"обращение № {ticket_number} в статусе «{ticket.status_label}»."
                )
            return await uow.proposals.add(
                ticket_id=ticket.id,
                question=fields[0],
                alternatives=fields[2],
                answer=fields[1],
                topic=fields[3],
                proposed_by=operator.id,
                now=self._clock(),
            )

    async def approve(
        self, curator: Operator, proposal_id: int, *, force: bool = False
    ) -> Proposal:
        """Write the entry into the knowledge base and mark the proposal approved.

        The entry is first checked as `kb check` would check the base with it, among the
        entries its phrasings can disturb: one that would make the base answer worse (its
        phrasing is another entry's, or another entry's questions would get its answer) is
        refused with `WorseBaseError`, unless `force`.
        """
        require(curator.role, Permission.DECIDE_PROPOSALS, "утверждать новые ответы")
        async with self._db.transaction() as uow:
            proposal = await _pending(uow, proposal_id)
        # The writers' lock of the whole base from the check to the write: a phrasing or an
        # entry another curator adds meanwhile is in the files checked here, or waits and is
        # checked against this entry (the served base lags the files by the reload's seconds).
        async with self._writers.holding():
            # Decided while this waited for the lock (a double click): say so, rather than
            # check the base the other approval has just written this entry to.
            async with self._db.transaction() as uow:
                proposal = await _pending(uow, proposal_id)
            entry_id = await asyncio.to_thread(self._fresh_id, proposal.id)
            entry = NewEntry(
                id=entry_id,
                question=proposal.question,
                answer=proposal.answer,
                alternatives=proposal.alternatives,
                tags=(PROPOSED_TAG, proposal.topic),
                source=f"обращение № {proposal.ticket_number}",
            )
            # The check builds matchers (about a second on our base): not while holding the
            # database's write lock, which every citizen's question waits for on SQLite.
            if not force:
                problems = await asyncio.to_thread(self._problems, entry)
                if problems:
                    raise WorseBaseError(
                        f"Предложение № {proposal.id} не утверждено",
                        problems,
                        "Отклоните предложение (оператор предложит его заново, другими "
                        "словами) или утвердите как есть: в консоли с отметкой «даже если "
                        "проверка базы против», в командной строке с --force.",
                    )
            async with self._db.transaction() as uow:
                proposal = await _pending(uow, proposal_id)  # still undecided
                decided = await uow.proposals.decide(
                    proposal.id,
                    status=ProposalStatus.APPROVED,
                    decided_by=curator.id,
                    now=self._clock(),
                    entry_id=entry_id,
                    note=None,
                )
                # Written last: if the file cannot be written, the decision rolls back with it.
                await asyncio.to_thread(
                    append_entry, self.target_file, entry, topic=self._settings.topic, lock=False
                )
                return decided

    async def reject(self, curator: Operator, proposal_id: int, note: str) -> Proposal:
        """Turn a proposal down, saying why."""
        require(curator.role, Permission.DECIDE_PROPOSALS, "отклонять новые ответы")
        reason = _required(note, "причину отказа")
        async with self._db.transaction() as uow:
            proposal = await _pending(uow, proposal_id)
            return await uow.proposals.decide(
                proposal.id,
                status=ProposalStatus.REJECTED,
                decided_by=curator.id,
                now=self._clock(),
                entry_id=None,
                note=reason,
            )

    async def pending(self, viewer: Operator | None = None) -> Sequence[Proposal]:
        """Proposals waiting for a curator. A `viewer` who neither decides them nor sees
        personal data (an analyst) reads them masked: an answer may hold what an operator
        wrote to one citizen ("Мария Ивановна, перезвоните по 8 916…")."""
        async with self._db.transaction() as uow:
            waiting = await uow.proposals.pending()
        if viewer is None or any(
            has_permission(viewer.role, permission)
            for permission in (Permission.VIEW_PERSONAL_DATA, Permission.DECIDE_PROPOSALS)
        ):
            return waiting
        return [
            dataclasses.replace(
                proposal,
                question=mask_personal_data(proposal.question),
                alternatives=tuple(mask_personal_data(a) for a in proposal.alternatives),
                answer=mask_personal_data(proposal.answer),
            )
            for proposal in waiting
        ]

    def _problems(self, entry: NewEntry) -> tuple[str, ...]:
        """What `kb check` would call errors once `entry` is in the base (its current files)."""
        from bot.kb.check import Severity
        from bot.kb.impact import entry_findings
        from matcher import Entry, KnowledgeBaseError, load_knowledge_base

        try:
            base = load_knowledge_base(self._kb_dir)
        except KnowledgeBaseError as error:
            raise InvalidInputError(
                f"Предложение не утверждено: база знаний сейчас не загружается — {error} "
                "Исправьте файл (faqbot kb check покажет, что не так) и утвердите снова."
            ) from None
        new = Entry(
            id=entry.id,
            topic=self._settings.topic,
            question=entry.question,
            alternatives=entry.alternatives,
            answer=entry.answer,
        )
        return tuple(f.message for f in entry_findings(base, new) if f.severity is Severity.ERROR)

    def _fresh_id(self, proposal_id: int) -> str:
        taken = existing_ids(self._kb_dir)
        base = f"{self._settings.id_prefix}-{proposal_id}"
        candidate, suffix = base, 1
        while candidate in taken:
            suffix += 1
            candidate = f"{base}-{suffix}"
        return candidate
