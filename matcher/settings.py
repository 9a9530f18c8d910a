"""The matcher's tuning knobs, with their defaults in one place.

The decision thresholds were calibrated on the calibration half of the golden set
(`python scripts/calibrate.py`); see the README for the figures on the other half.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """How much each kind of evidence counts in an entry's score; they sum to 1."""

    char_ngrams: float = 0.6  # character n-gram cosine with the entry's phrasings
    # Lemma TF-IDF cosine with the whole entry, answer included; each lemma's stem is a
    # feature too, which a word family shares ("загрузка", "загрузить": "загруз").
    entry_lemmas: float = 0.3
    coverage: float = 0.1  # share of the question's key-term weight the phrasings hold


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where the decision between answer, clarify and handoff falls."""

    answer: float = 0.40  # the best score needed to answer
    margin: float = 0.08  # how far ahead of the runner-up the best must be to answer
    clarify: float = 0.32  # the best score needed to offer candidates instead of a person
    candidate_ratio: float = 0.75  # a candidate is offered if it scores this share of the best
    min_candidates: int = 2
    max_candidates: int = 3


@dataclass(frozen=True, slots=True)
class Meaning:
    """The second stage (`matcher.semantic`): a sentence embedding of the question against
    each entry's, asked only when the words leave the question unsure (no confident answer,
    or one between two entries that mean nearly the same).

    Chosen on the golden set's even lines and the base's own leave-one-out (README, Quality).
    """

    enabled: bool = True
    weight: float = 0.3  # the share of the score the meaning takes when it is asked
    # The share while an entry's meaning is its passage alone: a first start's background
    # build embeds the passages, then the phrasings; between the two, the stage is the one
    # chosen before the phrasings (2026-12-06), which never answers alone.
    passage_weight: float = 0.2
    # multilingual-e5-small finds most texts alike (an off-topic question's closest entry is
    # at 0.81-0.85, an on-topic one's at 0.85-0.91), so a cosine counts from this floor up:
    # (cosine - floor) / (1 - floor).
    floor: float = 0.75
    # Whether an entry's phrasings, each embedded as a question, join its passage (off: the
    # stage of before, which a server's first start uses until they are embedded).
    phrasings: bool = True
    # The same for an entry's phrasings, each embedded as a question: two questions are nearer
    # each other than a question and a passage. An entry counts its passage or its best
    # phrasing, whichever is nearer.
    phrasing_floor: float = 0.82
    # The phrasings are compared for the entries among this many best by the words and this
    # many best by the passages only (a few hundred vectors, not all of a large base's).
    shortlist: int = 20
    # The meaning answers only what the words and it both put first, and the two together
    # score this high and this far ahead of the runner-up (the words' own bar is 0.40 / 0.08:
    # at 0.40 some off-topic questions were answered).
    answer: float = 0.45
    answer_margin: float = 0.08
    # A words' answer whose runner-up's passage is this near the best's (cosine), and less
    # than `alike_margin` behind it, is asked the meaning too: near-duplicate entries are
    # where confident words answer wrongly.
    alike: float = 0.90
    alike_margin: float = 0.15
    # Seconds before a failed background build of the entries' vectors is tried again (the
    # engine out of memory, the cache file's disk full): one after another, then the last
    # one's again and again until it succeeds or its base is replaced. A build goes on from
    # the vectors the cache file kept.
    retry_seconds: tuple[float, ...] = (30.0, 120.0, 600.0)


@dataclass(frozen=True, slots=True)
class MatcherSettings:
    """Everything that tunes the matcher."""

    weights: ScoreWeights = ScoreWeights()
    thresholds: Thresholds = Thresholds()
    meaning: Meaning = Meaning()
    # Character n-grams of 2-3 letters: against 2-4, more questions answered and fewer handed
    # off on the golden set, and a smaller index; 2-5 was no better and slower (README).
    ngram_range: tuple[int, int] = (2, 3)
    # The first letters of a lemma's stem that its word family shares (`matcher.stems`).
    stem_length: int = 6
    typo_similarity: float = 80.0  # rapidfuzz ratio (0-100) a repaired word must reach
    typo_max_edits: int = 2
    reported_candidates: int = 5  # `candidates` in the JSON contract: at most 5
    # A message's courtesy (`Analysis.courtesy`) is matched to the entries about courtesy (a
    # greeting, thanks) only when it is at least this share of the message's terms
    # ("спасибо, разобрался"); below it ("спасибо, а как оплатить штраф") the rest of the
    # message decides, as if it were not there: thanks is not an answer to a question.
    courtesy_share: float = 0.5
    max_question_chars: int = 2_000  # longer questions are cut before analysis
