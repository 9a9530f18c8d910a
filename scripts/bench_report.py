"""Time `faqbot report` over 100,000 recorded questions (target: under 30 s).

    python scripts/bench_report.py                  # 100,000 questions
    python scripts/bench_report.py --questions 20000

The questions are written straight through the question repository in bulk (the core would
take an hour for that many), spread over 30 days with the outcome mix of real traffic:
mostly answers, some clarifications with and without a choice, hand-offs of needs the base
does not cover, ratings. Then the real command runs in a child process and is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.question_records import Decision, NewQuestion
from bot.core.records import RatingScale
from bot.storage.database import open_database
from matcher import load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 10, 1, tzinfo=UTC)
OFF_TOPIC = (
    "как оформить загранпаспорт через госуслуги",
    "сколько делается загранпаспорт",
    "как оплатить штраф гибдд со скидкой",
    "как записаться к врачу в поликлинику",
    "сломался карбюратор у трактора",
    "как получить налоговый вычет за лечение",
)
TYPO_PAIRS = 3  # at most this many letters swapped in a mutated phrasing


def make_questions(count: int, seed: int) -> list[NewQuestion]:
    """`count` questions with a realistic outcome mix, oldest first."""
    rng = random.Random(seed)
    entries = list(load_knowledge_base(ROOT / "knowledge_base"))
    questions = []
    for n in range(count):
        asked_at = START + timedelta(seconds=30 * 86400 * n / count)
        entry = rng.choice(entries)
        text = rng.choice(entry.phrasings).lower()
        for _ in range(rng.randint(0, TYPO_PAIRS)):
            i = rng.randrange(1, max(2, len(text) - 1))
            text = text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
        roll = rng.random()
        scale, score = None, None
        if rng.random() < 0.2:
            scale = rng.choice((RatingScale.THUMBS, RatingScale.STARS))
            score = rng.randint(0, 1) if scale is RatingScale.THUMBS else rng.randint(1, 5)
        if roll < 0.72:
            decision, chosen = Decision.ANSWER, None
        elif roll < 0.82:
            decision = Decision.CLARIFY
            chosen = entry.id if rng.random() < 0.7 else None
        else:
            decision, chosen, scale, score = Decision.HANDOFF, None, None, None
            text = f"{rng.choice(OFF_TOPIC)} {rng.randint(1, 400)}"
        questions.append(
            NewQuestion(
                channel=rng.choice(("web", "telegram")),
                asked_at=asked_at,
                text=text,
                decision=decision,
                entry_id=entry.id,
                score=rng.random(),
                handoff_reason="no_answer" if decision is Decision.HANDOFF else None,
                chosen_entry_id=chosen,
                feedback_scale=scale,
                feedback_score=score,
                ticket_number=n if decision is Decision.HANDOFF else None,
            )
        )
    return questions


async def fill(url: str, count: int, seed: int) -> None:
    """Write the questions into a fresh database."""
    db = await open_database(url)
    try:
        questions = make_questions(count, seed)
        async with db.transaction() as uow:
            await uow.questions.add_many(questions)
    finally:
        await db.close()


def main() -> int:
    """Fill, run the report, print the time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="faqbot-bench-report-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    started = time.perf_counter()
    asyncio.run(fill(url, args.questions, args.seed))
    print(f"inserted {args.questions} questions in {time.perf_counter() - started:.1f} s")
    command = [
        sys.executable, "-m", "bot.cli.main", "report", "--database", url,
        "--out", str(folder / "report.html"), "--csv-dir", str(folder / "csv"),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    print(f"faqbot report over {args.questions} questions: {elapsed:.1f} s (target < 30 s)")
    print(f"page: {folder / 'report.html'}")
    return 0 if elapsed < 30 else 1


if __name__ == "__main__":
    raise SystemExit(main())
