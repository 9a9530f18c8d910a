"""Progress bars on a terminal's stderr for the commands' long steps; nothing when stderr is a
file or a pipe (a script reads the output, not the bars)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Told (done, in all) as a long step goes on.
Progress = Callable[[int, int], None]

# A first start with a base: the meaning stage's vectors of its entries and phrasings, which
# the cache then keeps (minutes for thousands of phrasings: `Matcher`'s `progress`).
VECTORS = ("Смысловые векторы базы (один раз, потом из кэша)", " текстов")
# `kb check` asks each phrasing as if the base lacked it (tens of seconds for a big base).
PHRASINGS = ("Проверка формулировок", " формулировок")


@contextmanager
def bar(step: tuple[str, str]) -> Iterator[Progress]:
    """A bar for `step` (what it does, what it counts), shown from the first time it is told
    of it (a step that has nothing to do shows nothing) and gone once done."""
    from tqdm import tqdm

    description, unit = step
    shown: list[tqdm[None]] = []

    def show(done: int, total: int) -> None:
        if not shown:
            shown.append(
                tqdm(
                    desc=description,
                    unit=unit,
                    total=total,
                    file=sys.stderr,
                    disable=not sys.stderr.isatty(),
                    leave=False,
                )
            )
        line = shown[0]
        line.total = total
        line.update(done - line.n)
        if done >= total:
            line.close()

    try:
        yield show
    finally:
        for line in shown:
            line.close()
