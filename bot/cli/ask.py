"""`faqbot ask`: answer one question, or a stream of them on standard input."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli.locations import default_kb_dir, load_base
from bot.cli.progress import VECTORS, bar

if TYPE_CHECKING:
    from matcher import KnowledgeBase, Match


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `ask` subcommand."""
    parser = commands.add_parser(
        "ask",
        help="ответить на вопрос по базе знаний",
        description="Ответить на ВОПРОС или, если он не указан, "
        "на каждую строку стандартного ввода.",
    )
    parser.add_argument(
        "question", nargs="?", metavar="ВОПРОС", help="вопрос; без него читается стандартный ввод"
    )
    parser.add_argument("--kb", type=Path, default=None, help="папка базы знаний")
    parser.add_argument("--json", action="store_true", help="по объекту JSON в строке")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the base once, then answer the question or the stream."""
    # The matcher pulls in numpy, scipy and scikit-learn: only when a question is asked.
    from matcher import Matcher

    kb = load_base(args.kb or default_kb_dir())
    if kb is None:
        return 2
    with bar(VECTORS) as building:
        matcher = Matcher(kb, progress=building)
    questions: Iterable[str] = [args.question] if args.question is not None else sys.stdin
    if args.question is None and not args.json and sys.stdin.isatty():
        print("Задайте вопрос и нажмите Enter. Выход: Ctrl+D.\n", flush=True)
    for line in questions:
        question = line.rstrip("\r\n")
        if args.question is None and not question.strip():
            continue
        match = matcher.match(question)
        if args.json:
            print(json.dumps(match.to_json(), ensure_ascii=False), flush=True)
        else:
            print_human(match, kb, sys.stdout)
    return 0


def print_human(match: Match, kb: KnowledgeBase, out: TextIO) -> None:
    """The verdict as a citizen would read it."""
    from matcher import Action

    if match.action is Action.ANSWER and match.entry_id is not None:
        entry = kb.get(match.entry_id)
        assert entry is not None
        out.write(f"{entry.answer}\n")
        for link in entry.links:
            out.write(f"{link.title}: {link.url}\n")
        out.write(f"[{entry.id}, уверенность {match.score:.2f}]\n")
    elif match.action is Action.CLARIFY:
        out.write("Уточните, пожалуйста, что вы имели в виду:\n")
        for number, candidate in enumerate(match.choices, start=1):
            entry = kb.get(candidate.entry_id)
            title = entry.question if entry is not None else candidate.entry_id
            out.write(f"  {number}. {title} [{candidate.entry_id}]\n")
    else:
        out.write("Не нашёл готового ответа. Вопрос будет передан специалисту поддержки.\n")
    out.write("\n")
    out.flush()
