"""`faqbot proposals`: a curator reviews new knowledge-base entries suggested by operators."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import argparse_ru
from bot.cli.database import acting_operator, add_database_option, run_on_database
from bot.cli.local_time import show_time
from bot.cli.locations import default_kb_dir
from bot.core.errors import CoreError
from bot.core.proposals import Proposals
from bot.core.records import Proposal
from bot.storage.database import Database


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `proposals list|approve|reject`."""
    parser = commands.add_parser("proposals", help="рассмотреть предложенные записи базы знаний")
    actions = parser.add_subparsers(
        dest="proposals_command", required=True, metavar="ДЕЙСТВИЕ", title="действия"
    )

    listing = actions.add_parser("list", help="предложения, ждущие куратора")
    listing.set_defaults(run=lambda a: run_on_database(a, print_pending))

    approve = actions.add_parser("approve", help="добавить запись в базу знаний")
    approve.add_argument("id", type=argparse_ru.integer, metavar="НОМЕР", help="номер предложения")
    approve.add_argument("--kb", type=Path, default=None, help="папка базы знаний")
    approve.add_argument(
        "--force",
        action="store_true",
        help="утвердить, даже если проверка базы говорит, "
        "что запись заберёт вопросы других записей",
    )
    approve.set_defaults(run=run_approve)

    reject = actions.add_parser("reject", help="отклонить предложение")
    reject.add_argument("id", type=argparse_ru.integer, metavar="НОМЕР", help="номер предложения")
    reject.add_argument(
        "--note", required=True, metavar="ТЕКСТ", help="почему, для предложившего оператора"
    )
    reject.set_defaults(run=run_reject)

    for action in (approve, reject):
        action.add_argument("--by", required=True, metavar="ЛОГИН", help="решающий куратор")
    for action in (listing, approve, reject):
        add_database_option(action)


def describe(proposal: Proposal) -> str:
    """A proposal as a curator reads it before deciding."""
    lines = [
        f"Предложение № {proposal.id} — по обращению № {proposal.ticket_number}, "
        f"{show_time(proposal.created_at)}, тема «{proposal.topic}»",
        f"  Вопрос: {proposal.question}",
    ]
    if proposal.alternatives:
        lines.append(f"  Другие формулировки: {'; '.join(proposal.alternatives)}")
    answer = proposal.answer.strip().splitlines()
    lines.append(f"  Ответ: {answer[0] if answer else ''}")
    lines.extend(f"    {line}" for line in answer[1:])
    return "\n".join(lines)


async def print_pending(db: Database) -> int:
    """Print the proposals waiting for a decision."""
    pending = await Proposals(db, default_kb_dir()).pending()
    if not pending:
        print("Предложений на рассмотрении нет.")
        return 0
    print("\n\n".join(describe(p) for p in pending))
    return 0


def run_approve(args: argparse.Namespace) -> int:
    """Approve as the curator `--by`: the entry is appended to the base in `--kb`."""

    async def approve(db: Database) -> int:
        proposals = Proposals(db, args.kb or default_kb_dir())
        curator = await acting_operator(db, args.by)
        try:
            decided = await proposals.approve(curator, args.id, force=args.force)
        except ValueError as error:
            # The proposals file exists but is not a topic file; the decision rolled back.
            raise CoreError(str(error)) from error
        print(
            f"Предложение № {decided.id} утверждено: запись «{decided.entry_id}» "
            f"добавлена в {proposals.target_file}."
        )
        return 0

    return run_on_database(args, approve)


def run_reject(args: argparse.Namespace) -> int:
    """Reject as the curator `--by`, with the reason in `--note`."""

    async def reject(db: Database) -> int:
        curator = await acting_operator(db, args.by)
        decided = await Proposals(db, default_kb_dir()).reject(curator, args.id, args.note)
        print(f"Предложение № {decided.id} отклонено: {decided.decision_note}")
        return 0

    return run_on_database(args, reject)
