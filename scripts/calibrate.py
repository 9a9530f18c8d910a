"""Calibrate the decision thresholds on one half of the golden set, report on the other.

    python scripts/calibrate.py

The golden set is split by line (even lines calibrate, odd lines are held out). For every
threshold combination in a grid, the calibration half is decided again from the same ranked
candidates. The chosen combination answers as many questions right as it can while at least
`--precision` of its answers are right and at most `--offtopic` of off-topic questions get an
answer. Copy the printed values into `matcher/settings.py` (`Thresholds`).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
from evaluation import GOLDEN, Labelled, load_offtopic, load_tsv

from matcher import Action, Candidate, Matcher, Thresholds, load_knowledge_base
from matcher.decision import decide

Ranked = tuple[Labelled, tuple[Candidate, ...]]


def outcome(ranked: Sequence[Ranked], thresholds: Thresholds) -> dict[str, float]:
    """Shares for one set of thresholds."""
    right = wrong = offered_right = off_answered = off_handed = on = off = 0
    for item, candidates in ranked:
        action, offered = decide(candidates, thresholds)
        if item.expected is None:
            off += 1
            off_answered += action is Action.ANSWER
            off_handed += action is Action.HANDOFF
            continue
        on += 1
        if action is Action.ANSWER:
            right += candidates[0].entry_id == item.expected
            wrong += candidates[0].entry_id != item.expected
        elif action is Action.CLARIFY:
            offered_right += item.expected in [c.entry_id for c in candidates[:offered]]
    answered = right + wrong
    return {
        "answered_right": right / on,
        "precision": right / answered if answered else 1.0,
        "clarified_right": offered_right / on,
        "offtopic_answered": off_answered / off if off else 0.0,
        "offtopic_handed_off": off_handed / off if off else 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--precision", type=float, default=0.95)
    parser.add_argument("--offtopic", type=float, default=0.01)
    args = parser.parse_args()
    questions = load_tsv(GOLDEN / "questions.tsv")
    offtopic = load_offtopic(GOLDEN / "offtopic.txt")
    matcher = Matcher(load_knowledge_base(GOLDEN.parents[1] / "knowledge_base"))

    def rank(items: Sequence[Labelled]) -> list[Ranked]:
        return [(item, matcher.match(item.query).candidates) for item in items]

    calibration = rank(questions[::2] + offtopic[::2])
    held_out = rank(questions[1::2] + offtopic[1::2])
    best: tuple[float, Thresholds] | None = None
    grid = itertools.product(
        np.arange(0.30, 0.81, 0.02), np.arange(0.0, 0.21, 0.02), np.arange(0.10, 0.41, 0.02)
    )
    for answer, margin, clarify in grid:
        if clarify > answer:
            continue
        thresholds = dataclasses.replace(
            Thresholds(),
            answer=round(answer, 2),
            margin=round(margin, 2),
            clarify=round(clarify, 2),
        )
        result = outcome(calibration, thresholds)
        if result["precision"] < args.precision or result["offtopic_answered"] > args.offtopic:
            continue
        # Right answers count most; offering the right entry, and handing off-topic
        # questions to people rather than offering them unrelated entries, half as much.
        value = (
            result["answered_right"]
            + 0.5 * result["clarified_right"]
            + 0.5 * result["offtopic_handed_off"]
        )
        if best is None or value > best[0] + 1e-9:
            best = (value, thresholds)
    if best is None:
        raise SystemExit("no thresholds meet the constraints on the calibration half")
    chosen = best[1]
    print(f"chosen: answer={chosen.answer} margin={chosen.margin} clarify={chosen.clarify}")
    for name, ranked in (("calibration", calibration), ("held out", held_out)):
        r = outcome(ranked, chosen)
        print(
            f"{name}: answered right {r['answered_right']:.1%}, precision {r['precision']:.1%}, "
            f"right entry offered {r['clarified_right']:.1%}, "
            f"off-topic answered {r['offtopic_answered']:.1%}, "
            f"off-topic handed off {r['offtopic_handed_off']:.1%}"
        )


if __name__ == "__main__":
    main()
