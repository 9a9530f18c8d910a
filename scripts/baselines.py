"""Off-the-shelf methods the matcher is measured against, run in the same process.

- most shared lemmas: the ЭПТС consultant's rule (seed 001): the entry whose text shares the
  most key words with the question wins;
- BM25 over lemmas (rank-bm25);
- TF-IDF over character 2-5-grams, cosine (scikit-learn).
Each ranks entry ids for a question; ties keep the base's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from rank_bm25 import BM25Okapi
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher import Entry, Morphology
from matcher.lexicon import STOP_WORDS
from matcher.normalize import fold_case, words

Ranker = Callable[[str], list[str]]


def entry_text(entry: Entry) -> str:
    """What a simple method gets to see of an entry: its question and alternatives."""
    return " ".join(entry.phrasings)


def lemmas(morphology: Morphology, text: str) -> list[str]:
    """Lemmas of the words of `text`, without stop words."""
    return [
        lemma
        for lemma in (morphology.lemma(w) for w in words(fold_case(text)))
        if lemma not in STOP_WORDS
    ]


def _top(scores: np.ndarray, ids: Sequence[str], k: int = 5) -> list[str]:
    order = np.argsort(-scores, kind="stable")[:k]
    return [ids[i] for i in order]


def shared_lemmas(entries: Sequence[Entry], morphology: Morphology) -> Ranker:
    """The ЭПТС rule: count the question's lemmas found in the entry."""
    ids = [e.id for e in entries]
    sets = [set(lemmas(morphology, entry_text(e))) for e in entries]

    def rank(question: str) -> list[str]:
        asked = set(lemmas(morphology, question))
        return _top(np.array([len(asked & s) for s in sets], dtype=float), ids)

    return rank


def bm25(entries: Sequence[Entry], morphology: Morphology) -> Ranker:
    """BM25 (Okapi) over lemmas."""
    ids = [e.id for e in entries]
    index = BM25Okapi([lemmas(morphology, entry_text(e)) or ["_"] for e in entries])

    def rank(question: str) -> list[str]:
        return _top(np.asarray(index.get_scores(lemmas(morphology, question))), ids)

    return rank


def char_tfidf(entries: Sequence[Entry]) -> Ranker:
    """TF-IDF over character 2-5-grams, cosine similarity."""
    ids = [e.id for e in entries]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    matrix = vectorizer.fit_transform([fold_case(entry_text(e)) for e in entries])

    def rank(question: str) -> list[str]:
        scores = (vectorizer.transform([fold_case(question)]) @ matrix.T).toarray().ravel()
        return _top(scores, ids)

    return rank
