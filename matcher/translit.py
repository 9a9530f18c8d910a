"""Russian typed in Latin letters by sound ("zabyl parol" → "забыл парол").

People without a Russian keyboard write Russian the way it sounds, with no fixed scheme:
"y" for ы or й, "kh" or "h" for х, "sh", "ch", "zh", "ya", an apostrophe for ь or none at
all. The libraries that transliterate back follow one official scheme each (cyrtranslit,
measured: "zabyl" → "забил", "kh" → "кх"), so the informal variants are listed here.

Pure functions over strings; whether a word is a real word is asked of a callable that the
caller passes in, as in `layout.py`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

# Longest first: "shch" before "sch" before "sh" before "s".
_SOUNDS: dict[str, tuple[str, ...]] = {
    "shch": ("щ",),
    "sch": ("щ",),
    "zh": ("ж",),
    "kh": ("х",),
    "ts": ("ц", "тс"),
    "tc": ("ц",),
    "ch": ("ч",),
    "sh": ("ш",),
    "ya": ("я",),
    "ja": ("я",),
    "yu": ("ю",),
    "ju": ("ю",),
    "yo": ("ё", "йо"),
    "jo": ("ё",),
    "ye": ("е",),
    "je": ("е",),
    "a": ("а",),
    "b": ("б",),
    "v": ("в",),
    "w": ("в",),
    "g": ("г",),
    "d": ("д",),
    "e": ("е", "э"),
    "z": ("з",),
    "i": ("и",),
    "j": ("й",),
    "y": ("ы", "й", "и"),
    "k": ("к",),
    "q": ("к",),
    "l": ("л",),
    "m": ("м",),
    "n": ("н",),
    "o": ("о",),
    "p": ("п",),
    "r": ("р",),
    "s": ("с",),
    "t": ("т",),
    "u": ("у",),
    "f": ("ф",),
    "h": ("х",),
    "c": ("ц", "к"),
    "x": ("кс",),
    "'": ("ь",),
}
_SOUND = re.compile("|".join(sorted(map(re.escape, _SOUNDS), key=len, reverse=True)))
# A Latin word with the punctuation around it ("parol?", "(zabyl"); an apostrophe is a letter,
# and a word with Cyrillic letters or digits in it is no Latin word.
_LATIN_WORD = re.compile(r"([^\w']*)([a-z']+)([^\w']*)")
# Readings tried for one word, at most: each ambiguous sound doubles them.
MAX_READINGS = 32


def readings(word: str) -> list[str]:
    """Cyrillic spellings the Latin `word` may stand for, the likeliest first."""
    parts = _SOUND.findall(word)
    if "".join(parts) != word:
        return []
    return [
        "".join(letters)
        for letters in itertools.islice(
            itertools.product(*(_SOUNDS[p] for p in parts)), MAX_READINGS
        )
    ]


def read_translit(
    text: str,
    is_russian_word: Callable[[str], bool],
    *,
    keep: Callable[[str], bool] = lambda _word: False,
) -> tuple[str, int]:
    """`text` with its Latin words read as Russian written by sound, and how many of them
    read as words `is_russian_word` accepts; `(text, 0)` unchanged when none does.

    Latin words that `keep` claims (VIN, SMS, e-mail) stay. When at least one word reads as
    Russian ("zabyl" → "забыл"), the text is taken for Russian, and every Latin word takes
    its first accepted reading, or its likeliest one for the typo repair to finish ("parol"
    → "парол" → "пароль"). A text of English words is left alone.
    """
    tokens = text.split(" ")
    chosen: dict[int, str] = {}
    recognised = 0
    for i, token in enumerate(tokens):
        latin = _LATIN_WORD.fullmatch(token)
        if latin is None or keep(latin[2].strip("'")):
            continue
        found = readings(latin[2])
        if not found:
            continue
        known = next((r for r in found if is_russian_word(r)), None)
        recognised += known is not None
        chosen[i] = latin[1] + (known or found[0]) + latin[3]
    if not recognised:
        return text, 0
    return " ".join(chosen.get(i, t) for i, t in enumerate(tokens)), recognised
