"""`python3 scripts/test.py`, the README's second command: the steps it runs side by side
each show their whole output, in order, and a failure among them stops the run."""

from __future__ import annotations

import sys

import pytest

from tests.support.scripts import load_script


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_steps_side_by_side_show_their_output_in_order_and_the_first_failure(
    capfd: pytest.CaptureFixture[str],
) -> None:
    side_by_side = load_script("test")._run_side_by_side
    slow_failure = "import sys, time; time.sleep(0.5); print('mypy: 1 error'); sys.exit(3)"
    quick = "print('base: 0 errors')"
    status = side_by_side([("types", _python(slow_failure)), ("base", _python(quick))])
    out = capfd.readouterr().out
    assert status == 3
    # The slower first step's output comes first, whole, with its header and its failure.
    assert out.index("=== types") < out.index("mypy: 1 error") < out.index("=== types failed")
    assert out.index("=== types failed (exit 3)") < out.index("=== base") < out.index("base: 0")
    assert "=== base failed" not in out


def test_steps_side_by_side_that_all_pass_say_nothing_failed(
    capfd: pytest.CaptureFixture[str],
) -> None:
    side_by_side = load_script("test")._run_side_by_side
    status = side_by_side([("a", _python("print('one')")), ("b", _python("print('two')"))])
    out = capfd.readouterr().out
    assert status == 0
    assert "failed" not in out
    assert out.index("one") < out.index("two")
