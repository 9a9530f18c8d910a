"""`python scripts/bench_speed.py --runs N`: each size run N times, and a line per size that says
how far its medians spread and how many runs missed the issue's target (README, Speed)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from tests.support.scripts import SCRIPTS, load_script

SCRIPT = SCRIPTS / "bench_speed.py"


def _run(median: float, baseline: float) -> dict[str, Any]:
    return {"median_ms": median, "baseline_median_ms": baseline}


def test_the_spread_counts_the_runs_over_the_sizes_target() -> None:
    spread = load_script("bench_speed").spread
    runs = [_run(0.42, 4.6), _run(0.515, 5.3), _run(0.48, 5.1)]

    said = spread(1000, runs)

    assert said == (
        "1,000 entries, 3 runs: median 0.420–0.515 ms (of the runs 0.480), "
        "TF-IDF baseline 4.60–5.30 ms; 1 of 3 over the 0.5 ms target"
    )
    assert spread(10000, [_run(1.24, 84.9)]).endswith("; 0 of 1 over the 2 ms target")
    # A size the issue names no target for is only described.
    assert "target" not in spread(300, runs)


def test_runs_alternate_the_sizes_and_end_with_each_sizes_spread() -> None:
    sizes = ["--sizes", "30", "40", "--questions", "10", "--words-only"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *sizes, "--runs", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    rows = [line.split(" | ")[0] for line in lines if "(run " in line]
    assert rows == ["| 30 (run 1)", "| 40 (run 1)", "| 30 (run 2)", "| 40 (run 2)"]
    assert lines[-2].startswith("30 entries, 2 runs: median ")
    assert lines[-1].startswith("40 entries, 2 runs: median ")


def test_no_runs_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--runs", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--runs: 1 or more (got 0)" in done.stderr
