"""Grouping short texts by meaning: the one module that imports scikit-learn for the inbox.

Each text comes as its lemmatised key terms (synonyms folded by the matcher's analyzer). A
term weighs as much as it is specific to one need: its inverse document frequency is counted
over the texts and the knowledge base's entries, each entry one document (all its phrasings
together), so "оформить", which ten entries use, says little, and "выписка", which one entry
uses in many phrasings, says a lot. Terms that say what is done, where or how ("оформить",
"не работает", "где") weigh half as much as those naming the object of the need, which is
what tells needs apart. Character n-grams of the terms, weighted as the terms are, catch what
the lemmatiser missed (typos, unknown words) without letting the letters of a shared verb join
two needs. Both parts are joined and clustered bottom-up with average linkage until the cosine
distance between groups passes a threshold.

Two texts come no closer than the threshold unless what they share includes the object of
one of them (a key term, or a word spelt much like it): "как сделать прописку ребенку" and
"где сделать снилс ребенку" share a verb and "ребенок", but their objects are "прописка" and
"снилс", so they are two needs however alike their vectors are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# How much of a text's vector comes from key terms; the rest from character n-grams.
TERMS_WEIGHT = 0.7
CHAR_NGRAMS = (3, 5)
# An action or circumstance term against a term naming the object of the need.
ACTION_WEIGHT = 0.5
# Character n-gram cosine from which a text's key term counts as spelt like a term of the
# other text ("приложение" / "приложуха"): a typo or a slang word, not a second object.
KEY_SPELLING = 0.5


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """One text as the clustering sees it."""

    terms: tuple[str, ...]
    # The terms that say what is done, where or how ("оформить", "не_работать", "где"),
    # rather than with what ("выписка", "эптс").
    actions: frozenset[str] = frozenset()
    # The terms naming the object of the need ("прописка" in "сделать прописку ребенку", not
    # "ребенок" it is done for); empty: every term that is not an action.
    keys: frozenset[str] = frozenset()
    # The words as written (normalised), for the base's entries: what typo repair trusts.
    words: frozenset[str] = frozenset()

    @property
    def objects(self) -> frozenset[str]:
        """The key terms a second text must share for the two to be one need."""
        terms = frozenset(self.terms)
        return (self.keys & terms) - self.actions or terms - self.actions or terms


def cluster_labels(
    texts: Sequence[TextFeatures],
    *,
    distance_threshold: float,
    background: Sequence[TextFeatures] = (),
) -> list[int]:
    """A cluster number for each text; texts with the same number share a need.

    `background` texts (the knowledge base's entries, one text per entry) only weigh the
    terms: a term many entries use ("госуслуги", "оформить") should not make two questions
    alike.
    """
    if len(texts) < 2:
        return [0] * len(texts)
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_distances
    from sklearn.preprocessing import normalize

    terms = [" ".join(t.terms) or "_" for t in texts]
    term_model = TfidfVectorizer(
        tokenizer=str.split, token_pattern=None, lowercase=False, sublinear_tf=True
    ).fit([*terms, *(" ".join(t.terms) or "_" for t in background)])
    vocabulary = [str(term) for term in term_model.get_feature_names_out()]
    actions = frozenset().union(*(t.actions for t in texts))
    role = np.array([ACTION_WEIGHT if term in actions else 1.0 for term in vocabulary])
    by_terms = normalize(term_model.transform(terms).multiply(role).tocsr())
    char_model = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True)
    char_model.fit([*terms, *(" ".join(t.terms) or "_" for t in background)])
    # Each term's spelling, weighted as the term is in the text.
    spellings = char_model.transform(vocabulary)
    by_chars = normalize(by_terms @ spellings)
    # Each block is unit length, so the joined vector is unit length too.
    features = hstack(
        [by_terms * math.sqrt(TERMS_WEIGHT), by_chars * math.sqrt(1 - TERMS_WEIGHT)]
    ).tocsr()
    distances = cosine_distances(features)
    _keep_apart_without_shared_object(
        texts,
        distances,
        distance_threshold,
        normalize(spellings),
        vocabulary,
    )
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=distance_threshold,
    )
    return [int(label) for label in model.fit_predict(distances)]


def _keep_apart_without_shared_object(
    texts: Sequence[TextFeatures],
    distances: Any,
    threshold: float,
    spelling: Any,
    vocabulary: Sequence[str],
) -> None:
    """Put at the threshold each pair closer than it whose shared terms include neither
    text's object: alone they stay apart, and in a group they weigh only a little against it.
    """
    import numpy as np

    objects = [t.objects for t in texts]
    terms = [frozenset(t.terms) for t in texts]
    close = np.argwhere(np.triu(distances < threshold, k=1)).tolist()
    apart = [(i, j) for i, j in close if not (objects[i] & terms[j] or objects[j] & terms[i])]
    # Of those, the pairs whose object is spelt like a term of the other are one need still.
    row_of = {term: row for row, term in enumerate(vocabulary)}
    pairs = sorted(
        {
            (row_of[key], row_of[term])
            for i, j in apart
            for mine, other in ((i, j), (j, i))
            for key in objects[mine]
            for term in terms[other]
            if key in row_of and term in row_of
        }
    )
    alike: set[tuple[int, int]] = set()
    if pairs:
        keys, others = (np.asarray(side) for side in zip(*pairs, strict=True))
        similarity = np.asarray(spelling[keys].multiply(spelling[others]).sum(axis=1)).ravel()
        alike = {
            pair for pair, value in zip(pairs, similarity, strict=True) if value >= KEY_SPELLING
        }

    def spelt_alike(mine: int, other: int) -> bool:
        return any(
            (row_of.get(key), row_of.get(term)) in alike
            for key in objects[mine]
            for term in terms[other]
        )

    for i, j in apart:
        if not (spelt_alike(i, j) or spelt_alike(j, i)):
            distances[i, j] = distances[j, i] = threshold
