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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# How much of a text's vector comes from key terms; the rest from character n-grams.
TERMS_WEIGHT = 0.7
CHAR_NGRAMS = (3, 5)
# An action or circumstance term against a term naming the object of the need.
ACTION_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """One text as the clustering sees it."""

    terms: tuple[str, ...]
    # The terms that say what is done, where or how ("оформить", "не_работать", "где"),
    # rather than with what ("выписка", "эптс").
    actions: frozenset[str] = frozenset()


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
    by_chars = normalize(by_terms @ char_model.transform(vocabulary))
    # Each block is unit length, so the joined vector is unit length too.
    features = hstack(
        [by_terms * math.sqrt(TERMS_WEIGHT), by_chars * math.sqrt(1 - TERMS_WEIGHT)]
    ).tocsr()
    distances = cosine_distances(features)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=distance_threshold,
    )
    return [int(label) for label in model.fit_predict(distances)]
