"""Create the project's virtual environment and install the project into it, when needed.

Used by `scripts/run.py` and `scripts/test.py` so that both work on a fresh machine that has
only Python 3.11+.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if sys.platform == "win32" else "bin")
PYTHON = BIN / ("python.exe" if sys.platform == "win32" else "python")


def ensure_environment(*, extras: str = "") -> Path:
    """Make `.venv` hold the project (with `extras`), reinstalling when pyproject changes.

    Returns the path of the environment's Python.
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs under any python3
        raise SystemExit(f"Для faqbot нужен Python 3.11 или новее, здесь {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"Создаём виртуальное окружение в {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = f".[{extras}]" if extras else "."
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"Устанавливаем faqbot{f'[{extras}]' if extras else ''} в {VENV} ...", flush=True)
        pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "-e", spec], cwd=ROOT, check=True)
        stamp.write_text(digest)
    return PYTHON
