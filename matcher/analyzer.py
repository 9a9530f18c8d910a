"""The analysis pipeline: raw question → normalised words → lemmas → key terms."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from matcher.layout import repair_layout
from matcher.lexicon import (
    ABBREVIATION_ENDINGS,
    ABBREVIATIONS,
    COURTESY_PHRASES,
    FILLER_WORDS,
    GLUED_PREFIXES,
    LATIN_ALIASES,
    LATIN_TERMS,
    NEGATED_POINTERS,
    POINTER_PREPOSITIONS,
    REQUEST_WORDS,
    STOP_WORDS,
)
from matcher.morph import Morphology
from matcher.normalize import fix_lookalikes, fold_case, words
from matcher.phrases import Phrases
from matcher.synonyms import SynonymMap
from matcher.translit import read_translit

Corrector = Callable[[str], str | None]

# Words this short are never typo-repaired: too many real words lie one edit away.
MIN_TYPO_LENGTH = 4
# The left part of a glued pair is one of GLUED_PREFIXES or has at least this many letters,
# as the right part must.
MIN_GLUED_PART = 3
MAX_GLUED_LENGTH = 40  # longer "words" are noise, not two words run together
WORD_CACHE = 200_000
# What a word is to matching.
CONTENT = "content"
FILLER = "filler"
FUNCTION = "function"
FOLDED = "folded"  # a synonym phrase folded into one term: always content
COURTESY = Phrases.of(COURTESY_PHRASES)  # courtesy of several words ("добрый день")
# What keyboard-layout, by-sound and look-alike repairs start from: a Latin letter, or the
# apostrophe by-sound reading takes for "ь".
_MAY_BE_LATIN = re.compile(r"[a-z']")


# The particle that turns the next word's meaning around.
NOT = "не"


@dataclass(frozen=True, slots=True)
class Analysis:
    """A question broken down for matching."""

    tokens: tuple[str, ...]  # normalised words (after layout, look-alike and typo repair)
    # Key terms: lemmas with synonyms folded, no stop words or filler; "не_понять" for "не понял".
    terms: tuple[str, ...]
    words: str = ""  # the normalised words without courtesy, for character n-grams
    dropped_courtesy: bool = False  # courtesy words were left out of `terms` and `words`
    only_courtesy: bool = False  # the words were courtesy and nothing else ("спасибо!")
    # Courtesy kept as terms where the message says more ("спасибо за помощь" read as thanks):
    # the second reading of `Analyzer.analyze_both` when the first left courtesy out.
    courtesy_kept: bool = False
    # How many of the terms are courtesy: greetings, thanks and the like, or, where there is
    # none, the words that wrap a request ("помогите"). Counted where courtesy is kept.
    courtesy: int = 0

    @property
    def lemmas(self) -> str:
        """The key terms as one string."""
        return " ".join(self.terms)


class Analyzer:
    """Turns text into key terms; the same pipeline serves questions and entries."""

    def __init__(
        self,
        morphology: Morphology,
        *,
        synonyms: Iterable[Iterable[str]] = (),
        vocabulary: Iterable[str] = (),
    ) -> None:
        self._morph = morphology
        self._vocabulary = frozenset(vocabulary)
        # Words repeat far more than they vary: each one is worked out once per analyzer.
        self.lemma = lru_cache(maxsize=WORD_CACHE)(self._lemma)
        self._classify = lru_cache(maxsize=WORD_CACHE)(self._classify_uncached)
        self._synonyms = SynonymMap.build(
            (tuple(group) for group in synonyms), self.lemmatize_phrase
        )

    @property
    def synonym_terms(self) -> frozenset[str]:
        """Lemmas that synonym groups mention, for the typo-repair vocabulary."""
        return self._synonyms.terms

    def _lemma(self, word: str) -> str:
        """One word's lemma, with domain abbreviations and Latin aliases kept whole."""
        word = LATIN_ALIASES.get(word, word)
        if word in ABBREVIATIONS or word in LATIN_TERMS:
            return word
        for ending in ABBREVIATION_ENDINGS:
            if word.endswith(ending):
                stem = word[: -len(ending)]
                if stem in ABBREVIATIONS and len(stem) >= 2:
                    return stem
        return self._morph.lemma(word)

    def normalise(self, text: str) -> tuple[str, ...]:
        """Case-folded words with keyboard-layout and look-alike letters repaired, and
        Russian written in Latin letters read back."""
        folded = fold_case(text)
        if not _MAY_BE_LATIN.search(folded):
            # Neither repair has anything to read (both start from Latin letters or the
            # apostrophe), and no word mixes scripts: most questions, and a third of the
            # time this takes otherwise.
            return tuple(words(folded))
        laid = repair_layout(folded, self._is_word, keep=LATIN_TERMS.__contains__)
        # Latin letters are Russian typed in the wrong layout ("pf,sk") or written by sound
        # ("zabyl"): the reading that finds more words wins; a tie keeps the layout's.
        by_layout = sum(a != b for a, b in zip(folded.split(" "), laid.split(" "), strict=True))
        spoken, by_sound = read_translit(folded, self._is_word, keep=self._keeps_latin)
        chosen = spoken if by_sound > by_layout else laid
        return tuple(fix_lookalikes(w) for w in words(chosen))

    def _keeps_latin(self, word: str) -> bool:
        """Latin words that are terms as they are: VIN, SMS, names the base uses."""
        return word in LATIN_TERMS or word in self._vocabulary

    def lemmatize_phrase(self, text: str) -> tuple[str, ...]:
        """All lemmas of a phrase, function words included (synonym phrases match on these)."""
        return tuple(self.lemma(w) for w in self.normalise(text))

    def analyze(
        self, text: str, *, correct: Corrector | None = None, courtesy: bool = False
    ) -> Analysis:
        """Key terms of `text`; with `correct`, unknown words are first typo-repaired."""
        tokens = self.normalise(text)
        if correct is not None:
            tokens = self.repair(tokens, correct)
        return self.analyze_tokens(tokens, courtesy=courtesy)

    def repair(self, tokens: tuple[str, ...], correct: Corrector) -> tuple[str, ...]:
        """The tokens with each word unknown to the dictionary and the base typo-repaired,
        or, when no word is close to it, split into the two words typed without a space
        between them ("забылпароль" → "забыл пароль")."""
        repaired: list[str] = []
        for token in tokens:
            if not self._may_be_typo(token):
                repaired.append(token)
            elif (fixed := correct(token)) is not None:
                repaired.append(fixed)
            else:
                repaired.extend(self.unglue(token) or (token,))
        return tuple(repaired)

    def unglue(self, token: str) -> tuple[str, str] | None:
        """Two known words that make up `token` when written together, or None.

        The left part is a short word that is often glued to the next ("не", "в", "на") or
        has at least MIN_GLUED_PART letters, as the right part must. Of several splits, the
        one with more of its parts in the base's own words wins, then the longer right part.
        """
        if len(token) > MAX_GLUED_LENGTH:
            return None
        best: tuple[int, int, tuple[str, str]] | None = None
        for cut in range(1, len(token) - MIN_GLUED_PART + 1):
            left, right = token[:cut], token[cut:]
            if len(left) < MIN_GLUED_PART and left not in GLUED_PREFIXES:
                continue
            if not (self._is_word(left) and self._is_word(right)):
                continue
            rank = (
                (left in self._vocabulary) + (right in self._vocabulary),
                len(right),
                (left, right),
            )
            if best is None or rank[:2] > best[:2]:
                best = rank
        return None if best is None else best[2]

    def analyze_tokens(
        self,
        tokens: tuple[str, ...],
        *,
        courtesy: bool = False,
        verbatim: frozenset[str] = frozenset(),
    ) -> Analysis:
        """Key terms of already normalised words.

        Courtesy ("здравствуйте", "спасибо") is left out when the message says something else,
        unless `courtesy` is set: for "спасибо за помощь" the courtesy *is* the message, and
        the matcher tries both readings (`analyze_both`). Words in `verbatim` are content terms
        as they are: typos that another reading repairs (the forms pymorphy3 would guess for
        them match nothing, and guessing costs more than the rest of the analysis).
        """
        return self.analyze_both(tokens, verbatim=verbatim)[courtesy]

    def analyze_both(
        self, tokens: tuple[str, ...], *, verbatim: frozenset[str] = frozenset()
    ) -> tuple[Analysis, Analysis]:
        """`analyze_tokens` without courtesy and with it, worked out in one pass: the two
        differ only in what they do with the courtesy words."""
        lemmas = [t if t in verbatim else self.lemma(t) for t in tokens]
        greeting = courtesy_phrase_words(lemmas)
        folded = self._synonyms.apply(lemmas)
        # Each word's kind, worked out once for both passes below; None for a verbatim word.
        kinds = [
            None if token in verbatim else self._classify(token, lemma)
            for token, lemma in zip(tokens, lemmas, strict=True)
        ]
        content: list[str] = []  # without courtesy
        kept: list[str] = []  # with it: the courtesy terms in their places
        filler: list[str] = []
        kept_words: list[str] = []
        asking = 0  # the filler that wraps a request (`Analysis.courtesy`)
        for term, index in folded:
            kind = None if index is None else kinds[index]
            if kind is None:
                kind = CONTENT
            elif index in greeting and kind is CONTENT:
                kind = FILLER
            if kind is FILLER:
                filler.append(term)
                kept.append(term)
                token = None if index is None else tokens[index]
                asking += term in REQUEST_WORDS or token in REQUEST_WORDS
            elif kind is not FUNCTION:
                # "не понял" is not "понял": the word right after "не" is a term of its own.
                negated = index is not None and index > 0 and tokens[index - 1] == NOT
                content.append(f"{NOT}_{term}" if negated else term)
                kept.append(content[-1])
            elif index is not None and term in NEGATED_POINTERS and _after_not(tokens, index):
                content.append(f"{NOT}_{NEGATED_POINTERS[term]}")
                kept.append(content[-1])
        for index, (token, word_kind) in enumerate(zip(tokens, kinds, strict=True)):
            if word_kind is None or not (index in greeting or word_kind is FILLER):
                kept_words.append(token)
        # A message of only courtesy ("здравствуйте") or only function words ("пока") keeps them.
        everything = [term for term, _ in folded]
        plain_terms = content or filler or everything
        kept_terms = kept or filler or everything
        dropped = bool(filler) and len(plain_terms) < len(content) + len(filler)
        return (
            Analysis(
                tokens,
                tuple(plain_terms),
                " ".join(kept_words or tokens),
                dropped,
                bool(filler) and not content,
            ),
            Analysis(
                tokens,
                tuple(kept_terms),
                " ".join(tokens),
                bool(filler) and len(kept_terms) < len(kept) + len(filler),
                bool(filler) and len(kept) == len(filler),
                courtesy_kept=dropped,
                courtesy=len(filler) - asking or asking,
            ),
        )

    def _is_word(self, word: str) -> bool:
        return word in self._vocabulary or self._morph.is_known(word)

    def _may_be_typo(self, token: str) -> bool:
        return (
            len(token) >= MIN_TYPO_LENGTH
            and not token.isdigit()
            and token not in self._vocabulary
            and token not in ABBREVIATIONS
            and token not in LATIN_TERMS
            and not self._morph.is_known(token)
        )

    def _classify_uncached(self, token: str, lemma: str) -> str:
        """CONTENT, FILLER (courtesy) or FUNCTION (stop words, numbers, particles)."""
        if lemma in FILLER_WORDS or token in FILLER_WORDS:
            return FILLER
        if lemma.isdigit() or (len(lemma) < 2 and lemma not in ABBREVIATIONS):
            return FUNCTION
        if lemma in STOP_WORDS or token in STOP_WORDS:
            return FUNCTION
        if lemma in ABBREVIATIONS or not self._morph.is_function_word(token):
            return CONTENT
        return FUNCTION


def _after_not(tokens: tuple[str, ...], index: int) -> bool:
    """Whether "не" stands right before `index`, or before a preposition right before it."""
    before = index - 1
    if before > 0 and tokens[before] in POINTER_PREPOSITIONS:
        before -= 1
    return before >= 0 and tokens[before] == NOT


def courtesy_phrase_words(lemmas: list[str]) -> frozenset[int]:
    """Positions of the words that make up greetings and thanks of several words ("добрый
    день", "спасибо за помощь"), the longest phrase matched first."""
    if COURTESY.sizes_by_first.keys().isdisjoint(lemmas):  # no phrase begins: most questions
        return frozenset()
    found: set[int] = set()
    i = 0
    while i < len(lemmas):
        size = COURTESY.longest_at(lemmas, i)
        found.update(range(i, i + size))
        i += max(size, 1)
    return frozenset(found)
