"""Pure text normalisation: case, ё, look-alike letters, punctuation and emoji.

Every function here is a pure function of its arguments: no I/O, no hidden state.
"""

from __future__ import annotations

import re
import unicodedata

# Latin letters that look like Cyrillic ones; used inside words that are otherwise Cyrillic
# ("пaрoль" typed with a Latin "a" and "o").
LATIN_LOOKALIKES = str.maketrans(
    {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "k": "к"}
)

# Cyrillic letters that look like Latin ones; used inside words that are otherwise Latin ("vіn").
CYRILLIC_LOOKALIKES = str.maketrans(
    {"а": "a", "с": "c", "е": "e", "о": "o", "р": "p", "х": "x", "у": "y", "к": "k"}
)

_CYRILLIC = re.compile(r"[а-яё]")
_LATIN = re.compile(r"[a-z]")
# A word: letters and digits, with inner hyphens or apostrophes ("из-за", "e-mail").
WORD_RE = re.compile(r"[0-9a-zа-яё]+(?:[-'][0-9a-zа-яё]+)*")


def fold_case(text: str) -> str:
    """Lower-case the text and fold ё into е, after Unicode compatibility normalisation."""
    text = unicodedata.normalize("NFKC", text)
    return text.lower().replace("ё", "е")


def fix_lookalikes(word: str) -> str:
    """Repair a word mixing Latin and Cyrillic look-alike letters into one script.

    Cyrillic wins when every Latin letter has a Cyrillic twin (this is a Russian product);
    otherwise Latin wins when every Cyrillic letter has a Latin twin. Anything else, and a
    word in one script, is returned unchanged.
    """
    if not _CYRILLIC.search(word) or not _LATIN.search(word):
        return word
    cyrillic = word.translate(LATIN_LOOKALIKES)
    if not _LATIN.search(cyrillic):
        return cyrillic
    latin = word.translate(CYRILLIC_LOOKALIKES)
    return latin if not _CYRILLIC.search(latin) else word


def words(text: str) -> list[str]:
    """Split case-folded text into words, dropping punctuation, emoji and other symbols."""
    return WORD_RE.findall(text)


def is_cyrillic(word: str) -> bool:
    """True when the word contains a Cyrillic letter."""
    return bool(_CYRILLIC.search(word))


def is_latin(word: str) -> bool:
    """True when the word contains Latin letters and no Cyrillic ones."""
    return bool(_LATIN.search(word)) and not _CYRILLIC.search(word)
