"""How close the inbox's groups of unanswered questions come to an analyst's grouping.

    python scripts/cluster_quality.py [--against REV] [--mix FILE]

The mix (need<TAB>question a line, by default tests/fixtures/unanswered_mix.tsv) is grouped
as the inbox groups it (`group_unanswered`, the project's base as background) and scored with
scikit-learn's adjusted Rand index and V-measure (1.0: the analyst's grouping exactly). With
`--against REV`, the code (`bot/`, `matcher/`) of that git revision is exported and scored on
the same mix in a child process, and both are printed side by side.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIX = ROOT / "tests" / "fixtures" / "unanswered_mix.tsv"
KB = ROOT / "knowledge_base"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FIGURES = ("adjusted Rand index", "V-measure", "groups", "groups joining needs", "needs split")


def load_mix(path: Path) -> list[tuple[str, str]]:
    """(need, question) pairs; lines starting with "#" are comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return [(need, question) for need, question in rows]


def measure(mix: list[tuple[str, str]]) -> dict[str, float]:
    """The figures of the code on the import path for the mix."""
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    from bot.core.question_records import Decision, QuestionRecord
    from bot.core.settings import AnalyticsSettings
    from bot.core.unanswered import Background, group_unanswered
    from matcher import Matcher, load_knowledge_base

    matcher = Matcher(load_knowledge_base(KB))
    analyze = matcher.analyzer.analyze
    records = [
        QuestionRecord(
            id=number,
            channel="web",
            asked_at=NOW - timedelta(minutes=number),
            text=question,
            decision=Decision.HANDOFF,
            entry_id=None,
            score=None,
            handoff_reason=None,
            conversation_id=None,
            message_id=None,
            ticket_number=None,
            chosen_entry_id=None,
            feedback_scale=None,
            feedback_score=None,
            triage=None,
        )
        for number, (_, question) in enumerate(mix, start=1)
    ]
    clusters = group_unanswered(
        records,
        analyze,
        settings=AnalyticsSettings(),
        now=NOW,
        background=Background(matcher, analyze).features(),
    )
    found = {n: label for label, c in enumerate(clusters) for n in c.record_ids}
    needs = [need for need, _ in mix]
    labels = [found[n] for n in range(1, len(mix) + 1)]
    pairs = list(zip(needs, labels, strict=True))
    groups_of = [{label for n, label in pairs if n == need} for need in set(needs)]
    needs_of = [{n for n, label in pairs if label == group} for group in set(labels)]
    return {
        FIGURES[0]: float(adjusted_rand_score(needs, labels)),
        FIGURES[1]: float(v_measure_score(needs, labels)),
        FIGURES[2]: len(set(labels)),
        FIGURES[3]: sum(1 for joined in needs_of if len(joined) > 1),
        FIGURES[4]: sum(1 for groups in groups_of if len(groups) > 1),
    }


def measure_revision(revision: str, mix_path: Path) -> dict[str, float]:
    """The figures of `revision`'s code, run from an export of it in a child process."""
    archive = subprocess.run(
        ["git", "archive", revision, "bot", "matcher"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        child = subprocess.run(
            [sys.executable, __file__, "--json", "--mix", str(mix_path)],
            env={**os.environ, "PYTHONPATH": folder},
            check=True,
            capture_output=True,
            text=True,
        )
    figures: dict[str, float] = json.loads(child.stdout)
    return figures


def main() -> int:
    """Print the figures, beside those of `--against` when given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mix", type=Path, default=MIX, help="need<TAB>question a line")
    parser.add_argument("--against", metavar="REV", help="a git revision to compare with")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    mix = load_mix(args.mix)
    if args.json:
        print(json.dumps(measure(mix)))
        return 0
    now = measure(mix)
    print(f"{len(mix)} questions, {len({need for need, _ in mix})} needs ({args.mix.name})")
    if args.against is None:
        for name in FIGURES:
            print(f"{name:22} {_figure(now[name]):>10}")
        return 0
    before = measure_revision(args.against, args.mix)
    print(f"{'':22} {args.against[:10]:>10} {'this code':>10}")
    for name in FIGURES:
        print(f"{name:22} {_figure(before[name]):>10} {_figure(now[name]):>10}")
    return 0


def _figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


if __name__ == "__main__":
    sys.exit(main())
