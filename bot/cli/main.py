"""The `faqbot` command line: each subcommand lives in its own module and registers here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import (
    analytics,
    argparse_ru,
    ask,
    kb,
    maintenance,
    proposals,
    report,
    serve,
    telegram,
    ticket_queue,
    users,
)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand registered; its help and errors are Russian."""
    argparse_ru.install()
    parser = argparse.ArgumentParser(
        prog="faqbot",
        description="Виртуальный консультант по электронным госуслугам.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="КОМАНДА", title="команды"
    )
    for module in (
        ask,
        kb,
        users,
        maintenance,
        proposals,
        ticket_queue,
        serve,
        telegram,
        analytics,
        report,
    ):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`faqbot ask ... | head`): nothing more to say.
        sys.stderr.close()
        return 0
    return status


if __name__ == "__main__":
    raise SystemExit(main())
