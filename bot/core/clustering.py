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
"снилс", so they are two needs however alike their vectors are. Nor are two texts whose shared
object is one several of the base's entries are about ("справка": of no criminal record, of
income, for school), or a noun one of them names by its verb ("выписать ребенка", "выписка из
эптс"), unless what qualifies it agrees: "справку о несудимости" and "справку для ребенка в
школу" name the same thing but two needs; "справку о не судимости" is the first's.
"""

from __future__ import annotations

import math
from collections import Counter
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
# Entries of the base about an object from which it is broad ("справка", "паспорт"): which one
# is meant is told by the words qualifying it.
BROAD_ENTRIES = 2


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
    # Nouns read from a verb of the text ("прописка" from "прописать"): like a broad object,
    # one only where what qualifies it agrees ("выписать ребенка" is no "выписка из эптс").
    derived: frozenset[str] = frozenset()

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
    used_by = Counter(term for entry in background for term in frozenset(entry.terms))
    _keep_apart_without_shared_object(
        texts,
        distances,
        distance_threshold,
        normalize(spellings),
        vocabulary,
        broad=frozenset(term for term, entries in used_by.items() if entries >= BROAD_ENTRIES),
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
    *,
    broad: frozenset[str] = frozenset(),
) -> None:
    """Put at the threshold each pair closer than it whose shared terms include neither
    text's object, or only a broad or derived object both qualify differently ("справка о
    несудимости", "справка для школы"): alone they stay apart, and in a group they weigh only
    a little against it.
    """
    import numpy as np

    objects = [t.objects for t in texts]
    terms = [frozenset(t.terms) for t in texts]
    # What may qualify an object: the words that are not an action.
    words = [terms[n] - t.actions for n, t in enumerate(texts)]
    close = np.argwhere(np.triu(distances < threshold, k=1)).tolist()
    # (i, j, the terms of i that would keep them together, the terms of j they are compared to)
    checks: list[tuple[int, int, frozenset[str], frozenset[str]]] = []
    for i, j in close:
        shared = (objects[i] & terms[j]) | (objects[j] & terms[i])
        if not shared:
            # Unless one's object is spelt like a term of the other: one need still.
            checks.append((i, j, objects[i], terms[j]))
            checks.append((j, i, objects[j], terms[i]))
            continue
        specific = shared - broad
        if specific and not specific <= texts[i].derived | texts[j].derived:
            continue
        # What qualifies the object: the words that are neither an action nor the object.
        # Those of a broad one agree if a specific one ("несудимость", not "госуслуги") is
        # shared or spelt alike ("судимость"); a verb read as a noun is more often another
        # need's ("выписать ребенка"), and any qualifier may tell them apart.
        exclude = broad if not specific else frozenset()
        mine, theirs = words[i] - shared - exclude, words[j] - shared - exclude
        if mine and theirs and (mine & theirs) <= broad:
            checks.append((i, j, mine - broad, theirs - broad))
    row_of = {term: row for row, term in enumerate(vocabulary)}
    pairs = sorted(
        {
            (row_of[mine], row_of[other])
            for _, _, mines, others in checks
            for mine in mines
            for other in others
            if mine in row_of and other in row_of
        }
    )
    alike: set[tuple[int, int]] = set()
    if pairs:
        left, right = (np.asarray(side) for side in zip(*pairs, strict=True))
        similarity = np.asarray(spelling[left].multiply(spelling[right]).sum(axis=1)).ravel()
        alike = {
            pair for pair, value in zip(pairs, similarity, strict=True) if value >= KEY_SPELLING
        }
    together: dict[tuple[int, int], bool] = {}
    for i, j, mines, others in checks:
        pair = (min(i, j), max(i, j))
        if not together.get(pair, False):
            rows = [row_of[term] for term in others if term in row_of]
            together[pair] = any(
                (row_of[mine], row) in alike for mine in mines if mine in row_of for row in rows
            )
    for (i, j), kept in together.items():
        if not kept:
            distances[i, j] = distances[j, i] = threshold
