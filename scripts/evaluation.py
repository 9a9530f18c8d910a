"""Labelled question sets and the figures the benchmarks print about them."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from matcher import Action, Match

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
RUTUBE = ROOT.parent / "shared" / "benchmarks" / "rutube"


@dataclass(frozen=True, slots=True)
class Labelled:
    """A question and the entry that must answer it; None for off-topic questions."""

    query: str
    expected: str | None


def load_tsv(path: Path) -> list[Labelled]:
    """`query<TAB>expected` lines after a header."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [Labelled(q, e) for q, e in rows[1:] if q.strip()]


def load_offtopic(path: Path) -> list[Labelled]:
    """One off-topic question a line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Labelled(line, None) for line in lines if line.strip()]


@dataclass(frozen=True, slots=True)
class Figures:
    """Quality figures for one method on one set."""

    top1: float
    top3: float
    answered: float  # share of on-topic questions answered outright
    answered_right: float  # among those answered, the share right
    clarified: float  # share of on-topic questions offered candidates
    clarified_right: float  # among those, the share whose choices hold the right entry
    handed_off: float
    offtopic_answered: float  # share of off-topic questions answered outright


def ranking_figures(
    labelled: Sequence[Labelled], rank: Callable[[str], Sequence[str]]
) -> tuple[float, float]:
    """Top-1 and top-3 of a method that ranks entry ids for a question."""
    on_topic = [item for item in labelled if item.expected is not None]
    top1 = top3 = 0
    for item in on_topic:
        ranked = list(rank(item.query))
        top1 += ranked[:1] == [item.expected]
        top3 += item.expected in ranked[:3]
    n = max(len(on_topic), 1)
    return top1 / n, top3 / n


def matcher_figures(
    labelled: Sequence[Labelled], match: Callable[[str], Match]
) -> tuple[Figures, list[tuple[Labelled, Match]]]:
    """Every figure for the matcher, and the results for a closer look."""
    results = [(item, match(item.query)) for item in labelled]
    on = [(i, m) for i, m in results if i.expected is not None]
    off = [(i, m) for i, m in results if i.expected is None]
    answered = [(i, m) for i, m in on if m.action is Action.ANSWER]
    clarified = [(i, m) for i, m in on if m.action is Action.CLARIFY]
    n = max(len(on), 1)
    figures = Figures(
        top1=sum(m.entry_id == i.expected for i, m in on) / n,
        top3=sum(i.expected in [c.entry_id for c in m.candidates[:3]] for i, m in on) / n,
        answered=len(answered) / n,
        answered_right=_share(sum(m.entry_id == i.expected for i, m in answered), answered),
        clarified=len(clarified) / n,
        clarified_right=_share(
            sum(i.expected in [c.entry_id for c in m.choices] for i, m in clarified), clarified
        ),
        handed_off=sum(m.action is Action.HANDOFF for _, m in on) / n,
        offtopic_answered=_share(sum(m.action is Action.ANSWER for _, m in off), off),
    )
    return figures, results


def _share(count: int, of: Sequence[object]) -> float:
    return count / len(of) if of else 0.0
