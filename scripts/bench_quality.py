"""Quality benchmark: the matcher against three baselines, side by side in one run.

    python scripts/bench_quality.py            # the golden set and RUTUBE
    python scripts/bench_quality.py --set golden

Prints top-1 and top-3 for every method, then the matcher's decisions: the share answered and
how many of those are right, the share clarified, handed off, and off-topic questions answered.
The RUTUBE set is read from ../shared/benchmarks/rutube (never copied into the project).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from baselines import Ranker, bm25, char_tfidf, shared_lemmas
from evaluation import (
    GOLDEN,
    RUTUBE,
    Figures,
    Labelled,
    load_offtopic,
    load_tsv,
    matcher_figures,
    ranking_figures,
)

from matcher import KnowledgeBase, Match, Matcher, Morphology, load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]


def datasets(choice: str) -> list[tuple[str, KnowledgeBase, list[Labelled]]]:
    """The sets to run: (name, base, labelled questions)."""
    found = []
    if choice in ("golden", "all"):
        labelled = load_tsv(GOLDEN / "questions.tsv") + load_offtopic(GOLDEN / "offtopic.txt")
        found.append(("golden", load_knowledge_base(ROOT / "knowledge_base"), labelled))
    if choice in ("rutube", "all"):
        if (RUTUBE / "queries.tsv").exists():
            found.append(
                ("rutube", load_knowledge_base(RUTUBE / "kb"), load_tsv(RUTUBE / "queries.tsv"))
            )
        else:
            print(f"RUTUBE set not found at {RUTUBE}; skipped", file=sys.stderr)
    return found


def report(name: str, kb: KnowledgeBase, labelled: list[Labelled], morph: Morphology) -> None:
    """Print one set's table."""
    on_topic = sum(item.expected is not None for item in labelled)
    print(
        f"\n## {name}: {len(kb)} entries, {on_topic} questions, "
        f"{len(labelled) - on_topic} off-topic"
    )
    started = time.perf_counter()
    matcher = Matcher(kb, morphology=morph)
    figures, results = matcher_figures(labelled, matcher.match)
    elapsed = time.perf_counter() - started
    rows = [("faqbot matcher", figures.top1, figures.top3)]
    baselines: list[tuple[str, Ranker]] = [
        ("most shared lemmas (ЭПТС rule)", shared_lemmas(kb.entries, morph)),
        ("BM25 over lemmas", bm25(kb.entries, morph)),
        ("TF-IDF char 2-5-grams", char_tfidf(kb.entries)),
    ]
    for label, rank in baselines:
        top1, top3 = ranking_figures(labelled, rank)
        rows.append((label, top1, top3))
    best = max(rows[1:], key=lambda r: r[1])
    print("| method | top-1 | top-3 |\n|---|---|---|")
    for label, top1, top3 in rows:
        print(f"| {label} | {top1:.1%} | {top3:.1%} |")
    print(
        f"matcher vs best baseline ({best[0]}): top-1 x{figures.top1 / max(best[1], 1e-9):.2f}, "
        f"top-3 x{figures.top3 / max(best[2], 1e-9):.2f}"
    )
    print_decisions(figures)
    print_topics(kb, results)
    print(f"(matcher build + {len(labelled)} questions: {elapsed:.1f} s)")


def print_decisions(f: Figures) -> None:
    """The matcher's decisions on one set."""
    print(
        f"decisions: answered {f.answered:.1%} (right {f.answered_right:.1%}, "
        f"wrong {1 - f.answered_right if f.answered else 0:.1%}); "
        f"clarified {f.clarified:.1%} (right entry offered {f.clarified_right:.1%}); "
        f"handed off {f.handed_off:.1%}; off-topic answered {f.offtopic_answered:.1%}"
    )


def print_topics(kb: KnowledgeBase, results: list[tuple[Labelled, Match]]) -> None:
    """Top-1 by the expected entry's topic, and which topics its misses went to."""
    topic_of = {e.id: e.topic for e in kb}
    by_topic: dict[str, Counter[str]] = defaultdict(Counter)
    for item, match in results:
        if item.expected is None:
            continue
        got = topic_of.get(match.entry_id or "", "—")
        by_topic[topic_of[item.expected]][got if match.entry_id != item.expected else "="] += 1
    print("| topic | questions | top-1 | misses went to |\n|---|---|---|---|")
    for topic, outcomes in sorted(by_topic.items()):
        total = sum(outcomes.values())
        misses = ", ".join(f"{t} {n}" for t, n in outcomes.most_common() if t != "=")
        print(f"| {topic} | {total} | {outcomes['='] / total:.0%} | {misses or '—'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=["golden", "rutube", "all"], default="all")
    args = parser.parse_args()
    morph = Morphology()
    for name, kb, labelled in datasets(args.set):
        report(name, kb, labelled, morph)


if __name__ == "__main__":
    main()
