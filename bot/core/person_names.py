"""People's names typed into a message, found from the dictionary's name grammemes.

Citizens sign their questions ("…, Мария Иванова, тел …") or name a relative ("мой муж
Сергей не может войти"). pymorphy3 tags first names, surnames and patronymics, with a
probability for each reading of a word:

- a capitalised word read as a name more often than not ("Мария", "Иванова", "Петровна",
  "Гусейнова" guessed from its ending) is a name, unless it opens a sentence and the
  dictionary does not know it: a capital after a full stop is no sign, and a typo such as
  "Сделайт" is guessed to be a surname;
- a capitalised word that is a name only sometimes ("Роман", "Вера", "Надежда", "Любовь") is
  one when it stands next to a name ("Роман Петров", "Надежда Петровна"), not alone ("Вера в
  лучшее");
- a lower-case word is a name only when a name is announced just before it ("меня зовут
  роман", "фио иванов иван иванович") or it stands beside a name and is more often a name
  than not ("Мария иванова");
- a word in capitals counts as a capitalised one if the dictionary knows it ("С уважением,
  ПЕТРОВ"): pymorphy3 guesses abbreviations it lacks ("ЭПТС") to be names;
- initials go with the name they follow or precede ("Петров И. И.", "И.И. Петров").

The words of one name (and its initials) become one span, so one placeholder replaces them.
"""

from __future__ import annotations

import itertools
import re
from typing import Protocol

# A capitalised word is a name when its name readings have at least this probability...
LIKELY_NAME = 0.5
# ...or at least this one, beside a name ("Роман Петров").
POSSIBLE_NAME = 0.05
MIN_NAME_LENGTH = 3  # shorter capitalised words are particles and abbreviations ("Че", "Ли")
# Words that announce a name, and how many words before it they may stand.
NAME_CUES = frozenset({"зовут", "звать", "имя", "фамилия", "фамилию", "фамилии", "отчество", "фио"})
CUE_DISTANCE = 2
# Every name this finds has a capital letter or a cue in lower case near it (a cue with a
# capital has one): a text with neither, most questions, is not read word by word.
MAY_HOLD_A_NAME = re.compile("[А-ЯЁ]|" + "|".join(sorted(NAME_CUES)))

WORD = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)*")
# An initial is a capital letter and a full stop, with no letter before it ("МФЦ. " is not).
_INITIALS = r"(?<![А-ЯЁа-яё])(?:[А-ЯЁ]\.\s?){1,2}"
INITIALS_AFTER = re.compile(r"\s+" + _INITIALS)
INITIALS_BEFORE = re.compile(_INITIALS + r"\s*$")
# Between two words of one name: spaces, or initials ("Иван И. Петров" is rare; "Петров И. И.
# Сидоров" is two names, but one placeholder for both loses nothing).
GAP_IN_NAME = re.compile(r"\s+(?:" + _INITIALS + r"\s*)?")
SENTENCE_END = ".!?…\n"
OPENING_MARKS = " \t\"'«("  # between a sentence's end and its first word
INITIALS_REACH = 8  # "И. И. " and a space or two: how far before a name initials are sought


class NameReader(Protocol):
    """What finding names needs from a morphology (`matcher.morph.Morphology`)."""

    def name_share(self, word: str) -> float: ...

    def is_known(self, word: str) -> bool: ...


def name_spans(text: str, reader: NameReader) -> list[tuple[int, int]]:
    """Where people's names are in `text`: (start, end) of each, in order."""
    if not MAY_HOLD_A_NAME.search(text):
        return []
    words = list(WORD.finditer(text))
    marked = [
        _likely_name(text, w, reader) or _announced(words, i, reader) for i, w in enumerate(words)
    ]
    # A word that may be a name is one beside a name: runs grow rightwards, then leftwards.
    joins = [_in_one_name(text, a, b) for a, b in itertools.pairwise(words)]
    for order in (range(1, len(words)), range(len(words) - 2, -1, -1)):
        for i in order:
            neighbour = i - 1 if order.step == 1 else i + 1
            joined = joins[min(i, neighbour)]
            if not marked[i] and marked[neighbour] and joined:
                marked[i] = _may_be_name(words[i].group(), reader)
    return _joined(text, [w.span() for w, m in zip(words, marked, strict=True) if m])


def mask_names(text: str, reader: NameReader, placeholder: str) -> str:
    """`text` with each person's name replaced by `placeholder`."""
    pieces, kept_from = [], 0
    for start, end in name_spans(text, reader):
        pieces += [text[kept_from:start], placeholder]
        kept_from = end
    return "".join([*pieces, text[kept_from:]])


def _capitalised(word: str) -> bool:
    return word[0].isupper() and not word[1:].replace("-", "").isupper()


def _share(word: str, reader: NameReader) -> float:
    # A double-barrelled name is as much a name as its likeliest part ("Петров-Водкин").
    return max(reader.name_share(part) for part in word.lower().split("-"))


def _opens_sentence(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in OPENING_MARKS:
        i -= 1
    return i < 0 or text[i] in SENTENCE_END


def _in_one_name(text: str, left: re.Match[str], right: re.Match[str]) -> bool:
    """Whether two neighbouring words may be parts of one name: only spaces or initials
    between them ("Мария Иванова", "Иванов И. И. Петров"), not a comma or a full stop."""
    return GAP_IN_NAME.fullmatch(text, left.end(), right.start()) is not None


def _shouted(word: str) -> bool:
    """In capitals ("ИВАНОВА МАРИЯ"): a name, or an abbreviation ("МФЦ", "ЭПТС")."""
    return len(word) >= MIN_NAME_LENGTH and word.isupper()


def _likely_name(text: str, word: re.Match[str], reader: NameReader) -> bool:
    value = word.group()
    if len(value) < MIN_NAME_LENGTH or not (_capitalised(value) or _shouted(value)):
        return False
    if _share(value, reader) < LIKELY_NAME:
        return False
    # In capitals only a word the dictionary knows: pymorphy3 guesses that abbreviations it
    # lacks ("ЭПТС", "ЕСИА") are names.
    if _shouted(value) or _opens_sentence(text, word.start()):
        return reader.is_known(value.lower())
    return True


def _announced(words: list[re.Match[str]], i: int, reader: NameReader) -> bool:
    """A word that may be a name, just after a word that announces one ("зовут роман")."""
    before = words[max(0, i - CUE_DISTANCE) : i]
    return any(w.group().lower() in NAME_CUES for w in before) and _may_be_name(
        words[i].group(), reader, announced=True
    )


def _may_be_name(word: str, reader: NameReader, *, announced: bool = False) -> bool:
    """Beside a name or after a cue: capitalised, a name now and then will do; lower-case,
    a name more often than not, unless announced."""
    if len(word) < MIN_NAME_LENGTH:
        return False
    sure = _capitalised(word) or _shouted(word) or announced
    return _share(word, reader) >= (POSSIBLE_NAME if sure else LIKELY_NAME)


def _joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Neighbouring name words as one span, with the initials around them."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and GAP_IN_NAME.fullmatch(text, joined[-1][1], start):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return [_with_initials(text, start, end) for start, end in joined]


def _with_initials(text: str, start: int, end: int) -> tuple[int, int]:
    after = INITIALS_AFTER.match(text, end)
    if after:
        end = len(text[: after.end()].rstrip())
    before = INITIALS_BEFORE.search(text, max(0, start - INITIALS_REACH), start)
    if before:
        start = before.start()
    return start, end
