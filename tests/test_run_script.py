"""`python3 scripts/run.py`, the README's first command, as a newcomer uses it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]


def _newcomers_environment(data: Path) -> dict[str, str]:
    """This process's environment without the settings a newcomer has not made, the
    database in `data`."""
    unset = {"FAQBOT_ENV", "FAQBOT_SECRET_KEY", "TELEGRAM_BOT_TOKEN"}
    return {**{k: v for k, v in os.environ.items() if k not in unset}, "FAQBOT_DATA_DIR": str(data)}


def test_serve_on_another_port_is_still_a_local_development_run(tmp_path: Path) -> None:
    """`run.py serve --port N` (the README's way to pick a port) used to lose development
    mode and stop at "FAQBOT_SECRET_KEY is not set". Its own line and uvicorn's were
    English («faqbot: open http://…», "Application startup complete.")."""
    port = free_port()
    environment = _newcomers_environment(tmp_path)
    with subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "run.py"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as server:
        try:
            health = None
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.3)
            assert health is not None and health.status_code == 200, server.poll()
        finally:
            server.terminate()
            output, _ = server.communicate(timeout=30)
    url = f"http://127.0.0.1:{port}"
    # One line says where to go, the widget's page and the console (there were two address
    # lines: run.py's «откройте …» and then serve's «сервер работает по адресу …»).
    assert [line for line in output.splitlines() if url in line] == [
        f"faqbot: сервер работает по адресу {url}/ (консоль операторов: {url}/console)"
    ], output
    # uvicorn's own start-up and shutdown lines, in Russian (they were English).
    for line in (
        "Процесс сервера запущен [",
        "Приложение запущено, сервер принимает запросы.",
        "Сервер останавливается",
        "Приложение остановлено.",
        "Процесс сервера завершён [",
    ):
        assert line in output, output
    for english in ("open http", "Started server", "startup complete", "Shutting down"):
        assert english not in output, output


def test_a_port_another_program_holds_is_named_before_any_address_is_printed(
    tmp_path: Path,
) -> None:
    """It used to print "serving on http://127.0.0.1:N/" (someone else's service) and then
    fail in uvicorn's English."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli.main", "serve", "--port", str(port), "--no-telegram"],
            cwd=tmp_path,
            env={**os.environ, "FAQBOT_ENV": "development", "FAQBOT_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 3
    assert "сервер работает" not in done.stdout
    assert f"не удаётся слушать 127.0.0.1:{port}: порт занят другой программой" in (done.stderr)


def test_run_does_not_say_to_open_an_address_another_program_holds(tmp_path: Path) -> None:
    """`run.py serve --port N` on a port another program holds used to say «faqbot: откройте
    http://127.0.0.1:N (консоль операторов: …)», pointing at that program, and then that
    the port is taken."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "run.py"), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=_newcomers_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 3, done.stderr
    assert "откройте" not in done.stdout and "сервер работает" not in done.stdout, done.stdout
    assert f"не удаётся слушать 127.0.0.1:{port}: порт занят другой программой" in done.stderr


def test_serving_other_machines_still_asks_for_a_secret(tmp_path: Path) -> None:
    """Development mode (a random secret, sessions lost at every restart, open API docs) is
    for this machine only: `--host 0.0.0.0` is served as in production."""
    environment = _newcomers_environment(tmp_path)
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run.py"), "serve", "--host", "0.0.0.0"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "FAQBOT_SECRET_KEY не задан" in done.stderr
