"""Speed benchmark: time per question, throughput, start-up time and peak memory.

    python scripts/bench_speed.py                 # 1,000 and 10,000 entries
    python scripts/bench_speed.py --sizes 1000 --questions 500
    python scripts/bench_speed.py --kb /tmp/kb_frozen/knowledge_base   # words from another base
    python scripts/bench_speed.py --sizes 1000 --runs 10 --cache /tmp/vectors   # 10 runs

Bases are generated from the words of the project's own knowledge base (deterministic seed).
Each size runs in a fresh child process so that its peak memory is its own. The TF-IDF
character baseline answers the same questions in the same process, for a ratio. Besides the
wall-clock median, the CPU time of the answering thread is reported: on a machine shared with
other work it moves much less than the wall clock.

The matcher's meaning stage embeds every entry once (multilingual-e5-small,
`matcher/semantic.py`) and keeps the vectors in a cache file: each child starts with an empty
cache, so "first start" is a server's first start, and "cached" a restart or a reload of the
same base. A server builds the vectors in the background (`meaning_in_background`): "words
ready" is when it answers (by the words alone), "meaning ready" when the meaning stage joins
(with the entries' passages; their phrasings, five times as many, are embedded after them and
join later: the questions are timed with them only when the cache has them, as a `--cache`
folder of a run with `--wait-phrasings` does). "meaning asked" is the share of questions the
words left unsure, which the stage embedded. Beside the median of every question come the
median of those that embedded nothing and of those right after one that did: an embedding
slows the few questions after it, the next one most.

`--courtesy` adds the entries of the source base whose question is courtesy alone (the
project's greeting and thanks) to each generated base, as a real base has them: a question's
reading with its courtesy kept ("здравствуйте ...") is then scored too, which a base without
such entries spares (README, How the matcher decides, step 2). The questions stay the same.

`--runs N` runs each size N times, the sizes in turn (each in its fresh child), and ends with
each size's spread: the lowest and highest median, and how many runs were over the issue's
target (0.5 ms at 1,000 entries, 2 ms at 10,000). This machine's speed drifts by the hour
(README, Speed): one run says little, and a target is met when every run meets it. With
`--cache`, only the first run embeds the base.

The questions are asked back to back, as a busy service gets them. `--gap MS` asks each of
them, the matcher's and the baseline's alike, after MS milliseconds of idleness instead, as
a quiet service gets them: on this machine a question takes the longer, the longer nothing
ran before it (README, Speed). Questions/s then counts the answering time alone.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from matcher import Entry, KnowledgeBase, Matcher, MatcherSettings, load_knowledge_base
from matcher.analyzer import Analyzer
from matcher.morph import shared_morphology
from matcher.normalize import fold_case, words
from matcher.semantic import shared_encoder
from matcher.settings import Meaning

ROOT = Path(__file__).resolve().parents[1]
# The median per question the foundation issue asks for, by base size (README, Speed).
TARGETS_MS = {1_000: 0.5, 10_000: 2.0}


def generate(size: int, seed: int = 7, *, kb: Path = ROOT / "knowledge_base") -> KnowledgeBase:
    """A base of `size` entries built from the vocabulary of the base in `kb`."""
    rng = random.Random(seed)
    source = load_knowledge_base(kb)
    vocabulary = sorted({w for e in source for w in words(fold_case(" ".join(e.phrasings)))})
    answer_words = sorted({w for e in source for w in words(fold_case(e.answer))})
    kb_synonyms = source.synonyms

    def sentence(pool: list[str], low: int, high: int) -> str:
        return " ".join(rng.choice(pool) for _ in range(rng.randint(low, high)))

    entries = tuple(
        Entry(
            id=f"e{i}",
            topic=f"Тема {i % 40}",
            question=sentence(vocabulary, 4, 9).capitalize() + "?",
            alternatives=tuple(sentence(vocabulary, 2, 7) for _ in range(4)),
            answer=sentence(answer_words, 20, 60),
        )
        for i in range(size)
    )
    return KnowledgeBase(entries, kb_synonyms)


def courtesy_entries(kb: Path) -> tuple[Entry, ...]:
    """The entries of the base in `kb` whose question is courtesy alone ("Здравствуйте!")."""
    source = load_knowledge_base(kb)
    analyzer = Analyzer(shared_morphology(), synonyms=source.synonyms)
    return tuple(e for e in source if analyzer.analyze(e.question).only_courtesy)


def questions(kb: KnowledgeBase, count: int, seed: int = 11) -> list[str]:
    """Questions like citizens': entry phrasings with a word dropped and a typo."""
    rng = random.Random(seed)
    asked = []
    for _ in range(count):
        entry = rng.choice(kb.entries)
        tokens = rng.choice(entry.phrasings).split()
        if len(tokens) > 2:
            tokens.pop(rng.randrange(len(tokens)))
        word = rng.randrange(len(tokens))
        if len(tokens[word]) > 4:
            chars = list(tokens[word])
            i = rng.randrange(1, len(chars) - 1)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            tokens[word] = "".join(chars)
        asked.append("здравствуйте " + " ".join(tokens))
    return asked


def measure(
    size: int,
    count: int,
    source: Path,
    *,
    meaning: bool = True,
    cache: str | None = None,
    wait_phrasings: bool = False,
    gap: float = 0.0,
    courtesy: bool = False,
) -> dict[str, float | bool]:
    """Run in a child: build, answer, and report timings and peak memory."""
    settings = MatcherSettings(meaning=Meaning(enabled=meaning))
    kb = generate(size, kb=source)
    asked = questions(kb, count)
    if courtesy:  # after the questions: the same ones
        kb = KnowledgeBase(kb.entries + courtesy_entries(source), kb.synonyms)
    # A first start, no entry embedded yet, unless `--cache` names a folder kept between runs.
    os.environ["FAQBOT_CACHE_DIR"] = cache or tempfile.mkdtemp(prefix="faqbot-bench-")
    matcher, words_ready, meaning_ready = _start(kb, settings)
    matcher.close()  # its phrasings' background build stopped, as a restarted process's
    # The restart's build alone in memory, as in a restarted process: the first matcher's
    # analyzer and entries' terms sit in reference cycles that the collector would free only
    # at a moment of its own, after the restart had grown beside them (10,000 entries: the
    # peak 299 MB with them, 280 MB without).
    del matcher
    gc.collect()
    matcher, cached_words_ready, cached_meaning_ready = _start(kb, settings)
    if wait_phrasings:
        matcher.wait_for_phrasings()
    # On a cold cache the entries' phrasings are embedded after the passages (50,000 at
    # 10,000 entries: most of an hour): the questions are then timed without them.
    phrasings = matcher.phrasings_ready
    matcher.close()
    for q in asked[:50]:  # warm the caches a running service would have warm
        matcher.match(q)
    # Which questions the stage embedded (its query cache missed), read outside the timing.
    encoder = shared_encoder() if matcher.meaning_ready else None
    times = []
    cpu_times = []
    embedded = []
    for q in asked:
        _idle(gap)
        before = encoder.questions_embedded if encoder else 0
        c = time.thread_time()
        t = time.perf_counter()
        matcher.match(q)
        times.append(time.perf_counter() - t)
        cpu_times.append(time.thread_time() - c)
        embedded.append(encoder is not None and encoder.questions_embedded > before)
    # The questions that embedded nothing, and of those the ones right after one that did:
    # an embedding slows the few questions after it (README, Speed), which moves the median
    # with the stage.
    unembedded = [t for t, e in zip(times, embedded, strict=True) if not e]
    after = [
        t
        for t, e, previous in zip(times[1:], embedded[1:], embedded[:-1], strict=True)
        if previous and not e
    ]
    # The process's peak resident memory, the model's mapped pages it read included, before
    # the baseline: scikit-learn, which only the baseline loads, is 66 MB a service never has.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from baselines import char_tfidf  # after the peak (see above)

    meant = encoder.questions_embedded if encoder else 0
    baseline = char_tfidf(kb.entries)
    base_times = []
    for q in asked:
        _idle(gap)
        t = time.perf_counter()
        baseline(q)
        base_times.append(time.perf_counter() - t)
    times.sort()
    return {
        "size": size,
        "words_ready_s": words_ready,
        "meaning_ready_s": meaning_ready,
        "cached_words_ready_s": cached_words_ready,
        "cached_meaning_ready_s": cached_meaning_ready,
        "meaning_share": meant / len(asked),
        "median_ms": statistics.median(times) * 1e3,
        "p99_ms": times[int(len(times) * 0.99) - 1] * 1e3,
        "cpu_median_ms": statistics.median(cpu_times) * 1e3,
        "unembedded_median_ms": _median_ms(unembedded),
        "after_embedding_median_ms": _median_ms(after),
        "qps": len(times) / sum(times),
        "baseline_median_ms": statistics.median(base_times) * 1e3,
        "peak_mb": peak,
        "phrasings": phrasings,
    }


def _idle(seconds: float) -> None:
    """Nothing for `seconds` before a question (none: back to back)."""
    if seconds > 0:
        time.sleep(seconds)


def _start(kb: KnowledgeBase, settings: MatcherSettings) -> tuple[Matcher, float, float]:
    """A server's matcher, the seconds from its start until it answers by the words, and until
    its meaning stage is ready (NaN without one)."""
    started = time.perf_counter()
    matcher = Matcher(kb, settings=settings, meaning_in_background=True)
    words_ready = time.perf_counter() - started
    if not matcher.wait_for_meaning():
        return matcher, words_ready, math.nan
    return matcher, words_ready, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument(
        "--kb",
        type=Path,
        default=ROOT / "knowledge_base",
        help="the base whose words the generated bases use (default: the project's)",
    )
    parser.add_argument(
        "--words-only",
        action="store_true",
        help="without the meaning stage (the matcher of before 2026-12-06), for a comparison",
    )
    parser.add_argument(
        "--cache",
        help="a folder for the entries' vectors kept between runs (default: a new one each run)",
    )
    parser.add_argument(
        "--wait-phrasings",
        action="store_true",
        help="the restart waits for the entries' phrasings' vectors before the questions (a "
        "cold cache: most of an hour at 10,000 entries; then kept in --cache)",
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=0.0,
        metavar="MS",
        help="ask each question after MS milliseconds of idleness, as a quiet service gets "
        "them (default: back to back)",
    )
    parser.add_argument(
        "--courtesy",
        action="store_true",
        help="add the source base's entries whose question is courtesy alone (a greeting, "
        "thanks) to each generated base, as a real base has them",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        metavar="N",
        help="run each size N times, the sizes in turn, and end with each size's spread",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not math.isfinite(args.gap) or args.gap < 0:
        parser.error(f"--gap: a number of milliseconds, 0 or more (got {args.gap:g})")
    if args.runs < 1:
        parser.error(f"--runs: 1 or more (got {args.runs})")
    if args.child:
        figures = measure(
            args.child,
            args.questions,
            args.kb,
            meaning=not args.words_only,
            cache=args.cache,
            wait_phrasings=args.wait_phrasings,
            gap=args.gap / 1e3,
            courtesy=args.courtesy,
        )
        print(json.dumps(figures))
        return
    if args.gap:
        print(
            f"Each question after {args.gap:g} ms of idleness (`--gap`); questions/s counts "
            "the answering time alone.\n"
        )
    if args.courtesy:
        found = ", ".join(e.id for e in courtesy_entries(args.kb))
        print(f"Each base with the source base's entries about courtesy (`--courtesy`): {found}.\n")
    print(
        "| entries | first start: words ready | meaning ready | cached: words ready "
        "| meaning ready | median | median CPU | p99 | questions/s "
        "| meaning asked | median, nothing embedded | median, right after an embedding "
        "| TF-IDF baseline median | ratio | peak memory |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    results: dict[int, list[dict[str, Any]]] = {size: [] for size in args.sizes}
    for run, size in itertools.product(range(args.runs), args.sizes):  # the sizes in turn
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(size),
                "--questions",
                str(args.questions),
                "--kb",
                str(args.kb),
                *(["--words-only"] if args.words_only else []),
                *(["--cache", args.cache] if args.cache else []),
                *(["--wait-phrasings"] if args.wait_phrasings else []),
                *(["--gap", str(args.gap)] if args.gap else []),
                *(["--courtesy"] if args.courtesy else []),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        results[size].append(r)
        entries = f"{size:,}" if args.runs == 1 else f"{size:,} (run {run + 1})"
        print(
            f"| {entries} | {_seconds(r['words_ready_s'])} | {_seconds(r['meaning_ready_s'])} | "
            f"{_seconds(r['cached_words_ready_s'])} | {_seconds(r['cached_meaning_ready_s'])} | "
            f"{r['median_ms']:.2f} ms | {r['cpu_median_ms']:.2f} ms | {r['p99_ms']:.2f} ms | "
            f"{r['qps']:.0f} | {r['meaning_share']:.1%} | "
            f"{_ms(r['unembedded_median_ms'])} | {_ms(r['after_embedding_median_ms'])} | "
            f"{r['baseline_median_ms']:.2f} ms | "
            f"x{r['median_ms'] / r['baseline_median_ms']:.2f} | {r['peak_mb']:.0f} MB |",
            flush=True,
        )
        if not args.words_only and not r["phrasings"]:
            print(
                f"({size:,} entries: the phrasings' vectors not cached, the meaning stage "
                "asked the passages alone; `--wait-phrasings` waits for them)",
                flush=True,
            )
    if args.runs > 1:
        print()
        for size, runs in results.items():
            print(spread(size, runs))


def spread(size: int, runs: list[dict[str, Any]]) -> str:
    """A size's runs in one line: their lowest and highest median per question, the median of
    the medians, the baseline's range, and how many were over the size's target, if it has
    one (`TARGETS_MS`)."""
    medians = [r["median_ms"] for r in runs]
    baselines = [r["baseline_median_ms"] for r in runs]
    line = (
        f"{size:,} entries, {len(runs)} runs: median {min(medians):.3f}–{max(medians):.3f} ms "
        f"(of the runs {statistics.median(medians):.3f}), TF-IDF baseline "
        f"{min(baselines):.2f}–{max(baselines):.2f} ms"
    )
    target = TARGETS_MS.get(size)
    if target is not None:
        over = sum(m > target for m in medians)
        line += f"; {over} of {len(runs)} over the {target:g} ms target"
    return line


def _median_ms(seconds: list[float]) -> float:
    """The median in milliseconds; NaN for no questions (none embedded, or all of them)."""
    return statistics.median(seconds) * 1e3 if seconds else math.nan


def _ms(value: float) -> str:
    """A median for the table; "—" for no questions (`--words-only`: none after an embedding)."""
    return "—" if math.isnan(value) else f"{value:.2f} ms"


def _seconds(value: float) -> str:
    """A time for the table; "—" for a stage that is off (`--words-only`)."""
    return "—" if math.isnan(value) else f"{value:.1f} s"


if __name__ == "__main__":
    main()
