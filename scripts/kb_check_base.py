"""Write a generated knowledge base to a folder, for timing `faqbot kb check` on it.

    python scripts/kb_check_base.py /tmp/kb2000                  # 2,000 entries × 20 phrasings
    python scripts/kb_check_base.py /tmp/kb2000r --style random  # bench_speed.py's random words
    python scripts/kb_check_base.py /tmp/kb300 --entries 300 --phrasings 8

Words come from the project's own base (deterministic seed), its synonym files are copied.
`themed` (the default) gives each entry a few words of its own that most of its phrasings
use, as a real entry's phrasings share what the entry is about; entries whose themes overlap
conflict, as real ones do. `random` draws every phrasing's words at random, as
`bench_speed.generate` does: most phrasings then belong to no entry in particular.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

from bot.core.kb_writer import topic_file_text
from matcher import Entry, load_knowledge_base
from matcher.normalize import fold_case, words

ROOT = Path(__file__).resolve().parents[1]
TOPICS = 40


def generate(
    entries: int,
    phrasings: int,
    *,
    style: str = "themed",
    seed: int = 7,
    kb: Path = ROOT / "knowledge_base",
) -> list[Entry]:
    """`entries` entries of `phrasings` phrasings each (the question and alternatives)."""
    rng = random.Random(seed)
    source = load_knowledge_base(kb)
    vocabulary = sorted({w for e in source for w in words(fold_case(" ".join(e.phrasings)))})
    answer_words = sorted({w for e in source for w in words(fold_case(e.answer))})

    def sentence(pool: list[str], low: int, high: int) -> str:
        return " ".join(rng.choice(pool) for _ in range(rng.randint(low, high)))

    def themed(theme: list[str], low: int, high: int) -> str:
        # Two or three of the theme's words, and a few other words, in any order.
        chosen = rng.sample(theme, rng.randint(2, 3))
        chosen += [rng.choice(vocabulary) for _ in range(rng.randint(low, high))]
        rng.shuffle(chosen)
        return " ".join(chosen)

    made = []
    for i in range(entries):
        if style == "random":
            question = sentence(vocabulary, 4, 9)
            alternatives = [sentence(vocabulary, 2, 7) for _ in range(phrasings - 1)]
            answer = sentence(answer_words, 20, 60)
        else:
            theme = rng.sample(vocabulary, 4)
            question = themed(theme, 2, 5)
            alternatives = [themed(theme, 0, 4) for _ in range(phrasings - 1)]
            answer = " ".join(theme) + " " + sentence(answer_words, 20, 60)
        made.append(
            Entry(
                id=f"e{i}",
                topic=f"Тема {i % TOPICS}",
                question=question.capitalize() + "?",
                alternatives=tuple(dict.fromkeys(alternatives)),
                answer=answer.capitalize() + ".",
            )
        )
    return made


def write(target: Path, entries: list[Entry], *, kb: Path = ROOT / "knowledge_base") -> None:
    """One topic file per topic in `target`, and the synonym files of `kb`."""
    target.mkdir(parents=True, exist_ok=True)
    for topic in range(TOPICS):
        mine = [e for e in entries if e.topic == f"Тема {topic}"]
        if mine:
            text = topic_file_text(f"Тема {topic}", mine)
            (target / f"topic-{topic:02d}.yaml").write_text(text, encoding="utf-8")
    for path in sorted(kb.glob("synonyms*.yaml")):
        shutil.copy(path, target / path.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--entries", type=int, default=2_000)
    parser.add_argument("--phrasings", type=int, default=20)
    parser.add_argument("--style", choices=["themed", "random"], default="themed")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    made = generate(args.entries, args.phrasings, style=args.style, seed=args.seed)
    write(args.target, made)
    print(f"{args.target}: {len(made)} записей, {sum(len(e.phrasings) for e in made)} формулировок")


if __name__ == "__main__":
    main()
