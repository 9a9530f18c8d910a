"""Repair of text typed in the wrong keyboard layout ("pf,sk gfhjkm" → "забыл пароль").

Pure functions over strings; whether a word is a real word is asked of a callable that the
caller passes in, so this module knows nothing about dictionaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# The QWERTY keys and what the same keys type in the Russian ЙЦУКЕН layout.
_EN_KEYS = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./"
_RU_KEYS = "ёйцукенгшщзхъфывапролджэячсмитьбю."
EN_TO_RU = str.maketrans(_EN_KEYS, _RU_KEYS)

# A token typed in the Latin layout: letters plus the punctuation keys that carry Russian
# letters (б, ю, ж, э, х, ъ, ё). A trailing "." or "," may be real punctuation.
_LATIN_TOKEN = re.compile(r"[a-z`\[\];',./]+")
_HAS_LATIN_LETTER = re.compile(r"[a-z]")


def to_russian_layout(token: str) -> str:
    """What the same keys would have typed in the Russian layout."""
    return token.lower().translate(EN_TO_RU)


def repair_layout(
    text: str,
    is_russian_word: Callable[[str], bool],
    *,
    keep: Callable[[str], bool] = lambda _word: False,
) -> str:
    """Convert the words of `text` that were typed in the Latin layout by mistake.

    A Latin token is converted when what the same keys give in the Russian layout is a word
    that `is_russian_word` accepts, and `keep` does not claim the Latin token as a real term
    (VIN, SMS, e-mail...). Tokens with Cyrillic letters are left alone.
    """
    out: list[str] = []
    for token in text.split(" "):
        if (
            not token
            or not _HAS_LATIN_LETTER.search(token)
            or not _LATIN_TOKEN.fullmatch(token.lower())
        ):
            out.append(token)
            continue
        bare = token.lower().rstrip(".,")
        if keep(bare.strip("`[];',./")):
            out.append(token)
            continue
        out.append(_convert(token, is_russian_word))
    return " ".join(out)


def _convert(token: str, is_russian_word: Callable[[str], bool]) -> str:
    # A trailing "," or "." is either punctuation or the key of "б"/"ю": try both readings.
    for variant in (token, token.rstrip(".,")):
        converted = to_russian_layout(variant)
        letters = re.sub(r"[^а-яё-]", "", converted)
        if letters and is_russian_word(letters):
            return letters
    return token
