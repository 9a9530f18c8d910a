"""`faqbot serve`: the web app (public API, widget, operator console) under uvicorn."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.locations import default_kb_dir

GRACEFUL_SHUTDOWN_SECONDS = 3


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve` subcommand."""
    parser = commands.add_parser(
        "serve",
        help="run the web app: API, widget and operator console",
        description="Serve the public API, the embeddable widget and the operator console.",
    )
    parser.add_argument("--kb", type=Path, default=None, help="knowledge base directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: SQLite)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the settings, then serve until interrupted."""
    import uvicorn

    from bot.web.app import create_app
    from bot.web.errors import InsecureSettingsError
    from bot.web.settings import WebSettings

    try:
        settings = WebSettings.from_env(
            kb_dir=args.kb or default_kb_dir(), database_url=args.database
        )
    except InsecureSettingsError as error:
        print(f"faqbot: {error}", file=sys.stderr)
        return 2
    print(f"faqbot: serving on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level="info",
    )
    return 0
