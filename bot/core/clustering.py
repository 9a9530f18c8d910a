"""Grouping short texts by meaning: the one module that imports scikit-learn for the inbox.

Each text comes as its lemmatised key terms (synonyms folded by the matcher's analyzer) and
its normalised words. Terms carry the meaning; character n-grams of the words catch what the
lemmatiser missed (typos, unknown words). Both are TF-IDF weighted, joined, and clustered
bottom-up with average linkage until the cosine distance between groups passes a threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# How much of a text's vector comes from key terms; the rest from character n-grams.
TERMS_WEIGHT = 0.7
CHAR_NGRAMS = (3, 5)


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """One text as the clustering sees it."""

    terms: tuple[str, ...]
    words: str


def cluster_labels(
    texts: Sequence[TextFeatures],
    *,
    distance_threshold: float,
    background: Sequence[TextFeatures] = (),
) -> list[int]:
    """A cluster number for each text; texts with the same number share a need.

    `background` texts (the knowledge base's phrasings) only weigh the words: a word every
    question of the domain uses ("госуслуги") should not make two questions alike.
    """
    if len(texts) < 2:
        return [0] * len(texts)
    from scipy.sparse import hstack
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_distances

    terms = [" ".join(t.terms) or "_" for t in texts]
    words = [t.words or "_" for t in texts]
    term_model = TfidfVectorizer(
        tokenizer=str.split, token_pattern=None, lowercase=False, sublinear_tf=True
    ).fit([*terms, *(" ".join(t.terms) or "_" for t in background)])
    char_model = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True)
    char_model.fit([*words, *(t.words or "_" for t in background)])
    by_terms = term_model.transform(terms)
    by_chars = char_model.transform(words)
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
