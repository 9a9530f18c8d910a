"""Our fast paths must agree with the libraries they stand in for."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.postings import Postings
from matcher.vectors import _QueryVectorizer

TEXTS = ["забыл пароль от госуслуг", "не приходит смс код", "выписка эптс на машину"]


@pytest.mark.parametrize("analyzer", ["char_wb", "word"])
@pytest.mark.parametrize(
    "query", ["забыл пароль", "пароль пароль пароль смс", "совсем другое", "выпизка"]
)
def test_query_vectorizer_agrees_with_sklearn_transform(analyzer: str, query: str) -> None:
    fitted = TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=(2, 5) if analyzer == "char_wb" else (1, 1),
        sublinear_tf=True,
    ).fit(TEXTS)
    expected = fitted.transform([query]).toarray().ravel()
    columns, values = _QueryVectorizer(fitted)(query)
    ours = np.zeros_like(expected)
    ours[columns] = values
    assert np.allclose(ours, expected)


def test_postings_sum_agrees_with_sparse_product() -> None:
    rng = np.random.default_rng(0)
    matrix = sparse.random(200, 60, density=0.1, random_state=1, format="csr")
    postings = Postings(matrix)
    for _ in range(20):
        features = rng.choice(60, size=rng.integers(1, 10), replace=False)
        weights = rng.random(len(features))
        dense = np.zeros(60)
        dense[features] = weights
        assert np.allclose(postings.sum(features, weights), matrix @ dense)
