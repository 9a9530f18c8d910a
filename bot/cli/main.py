"""The `faqbot` command line: each subcommand lives in its own module and registers here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import (
    analytics,
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
    """The parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="faqbot",
        description="A virtual consultant for public e-services.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
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
