"""Our fast paths must agree with the libraries they stand in for."""

from __future__ import annotations

import itertools
from functools import partial

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher import vectors
from matcher.postings import NO_FACTORS, Features, Postings
from matcher.tfidf import Tfidf, char_wb_ngrams, fit_tfidf
from matcher.vectors import QueryVectorizer

TEXTS = ["забыл пароль от госуслуг", "не приходит смс код", "выписка эптс на машину"]
# Phrasings with repeats, short words and words of exactly n letters, for exact comparisons.
PHRASINGS = [
    "забыл пароль пароль от госуслуг",
    "не приходит смс код",
    "выписка эптс на машину эптс",
    "я у мфц",
    "",
    "код код код",
    "Как восстановить ПАРОЛЬ",
]


def _fit(
    analyzer: str,
    texts: list[str],
    *,
    ngram_range: tuple[int, int] = (2, 5),
    dtype: type[np.floating] = np.float64,
) -> tuple[TfidfVectorizer, Tfidf]:
    """scikit-learn's vectorizer with sublinear TF and ours, fitted alike on `texts`."""
    if analyzer == "char_wb":
        theirs = TfidfVectorizer(
            analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True, dtype=dtype
        )
        ours = fit_tfidf(texts, partial(char_wb_ngrams, ngram_range=ngram_range), dtype=dtype)
    else:
        theirs = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, dtype=dtype)
        ours = fit_tfidf(texts, lambda word: (word,), dtype=dtype)
    return theirs.fit(texts), ours


@pytest.mark.parametrize("word", ["а", "мфц", "код", "пароль", "ЭПТС", "e-mail"])
@pytest.mark.parametrize("ngram_range", [(2, 4), (2, 5), (1, 3)])
def test_char_wb_ngrams_are_sklearns(word: str, ngram_range: tuple[int, int]) -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range).build_analyzer()
    assert char_wb_ngrams(word, ngram_range) == analyzer(word)


@pytest.mark.parametrize("analyzer", ["char_wb", "lemmas"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunk", [1, 3, 100])
def test_fit_tfidf_is_sklearns_to_the_bit(
    analyzer: str, dtype: type[np.floating], chunk: int
) -> None:
    theirs, ours = _fit(analyzer, PHRASINGS, dtype=dtype)
    expected = theirs.fit_transform(PHRASINGS)  # its rows in the order fitting leaves them
    assert ours.vocabulary == theirs.vocabulary_
    assert ours.idf.dtype == theirs.idf_.dtype
    assert np.array_equal(ours.idf, theirs.idf_)
    rows = sparse.vstack(list(ours.rows(PHRASINGS, chunk=chunk)), format="csr")
    # The same values in the same order within each row: how a row sums depends on it.
    assert rows.dtype == expected.dtype
    assert np.array_equal(rows.indptr, expected.indptr)
    assert np.array_equal(rows.indices, expected.indices)
    assert np.array_equal(rows.data, expected.data)


@pytest.mark.parametrize("analyzer", ["char_wb", "lemmas"])
@pytest.mark.parametrize(
    "query", ["забыл пароль", "пароль пароль пароль смс", "совсем другое", "выпизка"]
)
def test_query_vectorizer_agrees_with_sklearn_transform(analyzer: str, query: str) -> None:
    fitted, ours = _fit(analyzer, TEXTS)
    expected = fitted.transform([query]).toarray().ravel()
    columns, values = QueryVectorizer(ours)(query)
    ours = np.zeros_like(expected)
    ours[columns] = values
    assert np.allclose(ours, expected)


# Summed reading by reading (a small base), or grouped (a larger one): the same sums.
BOTH_WAYS = pytest.mark.parametrize("flat_up_to", [10**9, 0], ids=["flat", "grouped"])


@BOTH_WAYS
@pytest.mark.parametrize("dense_from", [0.0, 0.1, 1.0])
def test_postings_sum_agrees_with_sparse_product(dense_from: float, flat_up_to: int) -> None:
    rng = np.random.default_rng(0)
    matrix = sparse.random(200, 60, density=0.1, random_state=1, format="csr")
    postings = Postings([matrix], dense_from=dense_from, flat_up_to=flat_up_to)
    for _ in range(20):
        features = rng.choice(60, size=rng.integers(1, 10), replace=False)
        weights = rng.random(len(features))
        dense = np.zeros(60)
        dense[features] = weights
        assert np.allclose(postings.sum(features, weights), matrix @ dense)


@pytest.mark.parametrize("order", ["ascending", "descending", "shuffled"])
def test_postings_of_features_anywhere_are_summed_alone(order: str) -> None:
    """The sums walk each feature's postings where they are stored (`_walk_postings`): those of
    the features between the question's, and of none (empty columns), must add nothing."""
    rng = np.random.default_rng(3)
    matrix = sparse.random(50, 40, density=0.3, random_state=8, format="lil")
    matrix[:, [0, 7, 8, 39]] = 0.0  # features no row holds
    matrix = matrix.tocsr()
    postings = Postings([matrix], dense_from=1.0)
    for size in (1, 2, 5, 40):
        features = np.sort(rng.choice(40, size=size, replace=False))
        if order == "descending":
            features = features[::-1].copy()
        elif order == "shuffled":
            rng.shuffle(features)
        weights = rng.random(size) + 0.1
        dense = np.zeros(40)
        dense[features] = weights
        assert np.allclose(postings.sum(features, weights), matrix @ dense, atol=1e-6)
    assert np.allclose(postings.sum(np.array([0, 7, 8, 39]), np.ones(4)), 0.0)


@BOTH_WAYS
@pytest.mark.parametrize("dense_from", [0.05, 0.3, 1.0])
def test_readings_summed_together_agree_with_each_summed_alone(
    dense_from: float, flat_up_to: int
) -> None:
    # Three readings of a question over two blocks of features; most factors are shared, as
    # when readings differ in one word, so the grouped way's grouping of equal columns is
    # exercised.
    rng = np.random.default_rng(2)
    blocks = [
        sparse.random(300, 80, density=0.3, random_state=3, format="csr"),
        sparse.random(300, 40, density=0.05, random_state=4, format="csr"),
    ]
    postings = Postings(blocks, dense_from=dense_from, flat_up_to=flat_up_to)
    parts = []
    expected = np.zeros((3, 300))
    for matrix in blocks:
        columns = np.sort(rng.choice(matrix.shape[1], size=12, replace=False))
        weights = rng.random(12)
        factors = np.ones((3, 12))
        factors[1, :3] = 0.0  # a word the second reading lacks
        factors[2, 3:5] = 2.0  # a term the third reading repeats
        scales = rng.random(3) + 0.5
        parts.append(Features.of_one_part(columns, weights, factors, scales))
        for reading in range(3):
            dense = np.zeros(matrix.shape[1])
            dense[columns] = weights * factors[reading] * scales[reading]
            expected[reading] += matrix @ dense
    assert np.allclose(postings.sum_readings(parts, [0, 1]), expected, atol=1e-6)


def test_many_texts_vectorised_at_once_agree_with_sklearn() -> None:
    fitted, ours = _fit("char_wb", TEXTS, ngram_range=(2, 4))
    texts = ["здравствуйте забыл пароль", "забыл пароль", "", "выпизка эптс эптс"]
    found = QueryVectorizer(ours).many(texts)
    expected = fitted.transform(texts).toarray()
    ours = np.zeros_like(expected)
    ours[:, found.columns] = found.counted
    assert np.allclose(ours, expected)


@BOTH_WAYS
@pytest.mark.parametrize("dense_from", [0.05, 0.3, 1.0])
def test_blocks_side_by_side_in_one_part_sum_as_each_block_alone(
    dense_from: float, flat_up_to: int
) -> None:
    """The engine hands the n-grams' and the lemmas' features over as one `Features` of two
    parts (`VectorIndex.queries`), each with its own scale per reading: the sums must be
    those of each block handed over on its own."""
    rng = np.random.default_rng(5)
    blocks = [
        sparse.random(300, 80, density=0.3, random_state=9, format="csr"),
        sparse.random(300, 40, density=0.2, random_state=10, format="csr"),
        sparse.random(300, 30, density=0.05, random_state=11, format="csr"),
    ]
    reference = Postings(blocks, weights=[0.5, 0.3, 0.2], dense_from=dense_from)
    postings = Postings(
        blocks, weights=[0.5, 0.3, 0.2], dense_from=dense_from, flat_up_to=flat_up_to
    )
    alone = []
    for matrix in blocks:
        columns = np.sort(rng.choice(matrix.shape[1], size=10, replace=False))
        factors = np.ones((3, 10))
        factors[1, :2] = 0.0
        factors[2, 4] = 1.5
        alone.append(Features.of_one_part(columns, rng.random(10), factors, rng.random(3) + 0.5))
    first, second, terms = alone
    side_by_side = Features(
        np.concatenate((first.columns, second.columns + 80)),
        np.concatenate((first.weights, second.weights)),
        np.concatenate((first.factors, second.factors), axis=1),
        np.concatenate((first.scales, second.scales), axis=1),
        np.repeat([0, 1], 10),
        np.concatenate((first.counted, second.counted), axis=1),
    )
    expected = reference.sum_readings(alone, [0, 1, 2])
    got = postings.sum_readings([side_by_side, terms], [0, 2])
    assert np.allclose(got, expected, atol=1e-6)
    assert np.abs(got).sum() > 1.0  # the features were summed at all


def test_the_ngrams_and_lemmas_side_by_side_are_each_counted_alone_to_the_bit() -> None:
    """`VectorIndex.queries` counts both kinds of features in one pass: each part must be
    what its own vectoriser gives (columns, TF, IDF, norm), bit for bit, since the scores
    (and which reading is matched) depend on how they round."""
    phrasings = [PHRASINGS[:3], PHRASINGS[3:5], PHRASINGS[5:]]
    fitted = vectors.fit_vectors(phrasings, ["забыть пароль госуслуга", "выписка эптс", "код"])
    index = fitted.index
    words = ["забыл пароль пароль", "выпизка эптс", "", "код код код мфц"]
    lemmas = ["забыть пароль", "выписка эптс эптс", "", "совсем другой"]
    together = index.queries(words, lemmas)
    width = index._char_vector.width
    split = int(np.searchsorted(together.columns, width))
    for part, (texts, vectorizer, columns) in enumerate(
        [
            (words, index._char_vector, slice(None, split)),
            (lemmas, index._lemma_vector, slice(split, None)),
        ]
    ):
        alone = vectorizer.many(texts)
        assert np.array_equal(together.columns[columns] - (width if part else 0), alone.columns)
        assert np.array_equal(together.parts[columns], np.full(len(alone.columns), part))
        assert np.array_equal(together.scales[:, part], alone.scales[:, 0])
        for name in ("weights", "factors", "counted"):
            ours = getattr(together, name)
            assert np.array_equal(ours[..., columns], getattr(alone, name)), name
    assert split > 0 and split < len(together.columns)  # both kinds were there


def test_a_small_bases_sums_need_no_factors_and_give_the_same_bits() -> None:
    """The engine leaves `Features.factors` out where the sums do not group the readings
    (`Postings.grouped`): what the vectorisers count must be the same, and so the sums, bit
    for bit."""
    phrasings = [PHRASINGS[:3], PHRASINGS[3:5], PHRASINGS[5:]]
    fitted = vectors.fit_vectors(phrasings, ["забыть пароль госуслуга", "выписка эптс", "код"])
    postings = Postings([fitted.chars, fitted.lemmas])
    assert not postings.grouped
    words = ["забыл пароль пароль", "забыл паролб", "выпизка эптс"]
    lemmas = ["забыть пароль", "забыть паролб", "выписка эптс эптс"]
    full = fitted.index.queries(words, lemmas)
    lean = fitted.index.queries(words, lemmas, factors=False)
    assert lean.factors is NO_FACTORS
    for name in ("columns", "weights", "scales", "parts", "counted"):
        assert np.array_equal(getattr(lean, name), getattr(full, name)), name
    summed = postings.sum_readings([lean], [0])
    assert np.array_equal(summed, postings.sum_readings([full], [0]))
    assert (summed.max(axis=1) > 0.1).all()  # every reading's features were summed


@pytest.mark.parametrize("dense_from", [0.05, 0.3, 1.0])
@pytest.mark.parametrize("cuts", [[0, 300], [0, 1, 150, 299, 300], [0, 100, 100, 200, 300]])
def test_postings_built_from_row_chunks_equal_those_from_whole_blocks(
    dense_from: float, cuts: list[int]
) -> None:
    blocks = [
        sparse.random(300, 80, density=0.3, random_state=5, format="csr"),
        sparse.random(300, 40, density=0.05, random_state=6, format="csc"),
    ]
    whole = Postings(blocks, weights=[0.6, 0.4], dense_from=dense_from)
    chunked = Postings(
        [[b[start:end] for start, end in itertools.pairwise(cuts)] for b in blocks],
        weights=[0.6, 0.4],
        dense_from=dense_from,
    )
    for name in ("_dense", "_data", "_indices", "_spans", "_walk_keys", "_dense_slot"):
        assert np.array_equal(getattr(chunked, name), getattr(whole, name)), name


@pytest.mark.parametrize(
    "texts",
    [
        ["забыл пароль"],
        ["забыл пароль", "забыть пароль госуслуги"],
        ["пароль пароль пароль смс", "совсем другое", ""],
        ["", ""],
        ["выписка эптс на машину эптс эптс"],
    ],
)
def test_few_features_counted_in_python_are_numpys_to_the_bit(
    texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ours = _fit("lemmas", TEXTS)
    few = QueryVectorizer(ours).many(texts)
    monkeypatch.setattr(vectors, "FEW_FEATURES", -1)
    counted = QueryVectorizer(ours).many(texts)
    for name in ("columns", "weights", "factors", "scales", "parts", "counted"):
        assert getattr(few, name).dtype == getattr(counted, name).dtype
        assert np.array_equal(getattr(few, name), getattr(counted, name)), name


@BOTH_WAYS
@pytest.mark.parametrize("rows", [65_536, 65_537])
def test_postings_of_more_rows_than_16_bits_hold_sum_alike(rows: int, flat_up_to: int) -> None:
    matrix = sparse.random(rows, 30, density=0.001, random_state=7, format="lil")
    matrix[rows - 1, 3] = 0.5  # a posting in the last row
    matrix = matrix.tocsr()
    postings = Postings([matrix], dense_from=1.0, flat_up_to=flat_up_to)
    weights = np.linspace(0.1, 1.0, 30)
    assert np.allclose(postings.sum(np.arange(30), weights), matrix @ weights)


def test_leave_one_out_cosine_is_that_of_the_other_phrasings_and_repeats() -> None:
    """`kb check` takes each phrasing out of its entry in turn; the entry's sum is worked out
    once and the phrasing subtracted: the cosine must be that of the phrasings left, asked
    in any order and again (the sum is cached, never changed)."""
    entry = ["забыл пароль от госуслуг", "не помню пароль", "восстановить пароль", "я у мфц"]
    fitted = vectors.fit_vectors([entry, ["выписка эптс на машину"]], ["пароль", "выписка"])
    chars = fitted.index._char_vector
    query = "забыл пороль"
    for phrasing in [2, 0, 3, 1, 2, 0]:
        rest = sum(chars.dense(text) for i, text in enumerate(entry) if i != phrasing)
        expected = chars.dense(query) @ rest / np.linalg.norm(rest)
        got = fitted.index.char_similarity_without(query, 0, phrasing)
        assert got == pytest.approx(expected, abs=1e-12)
    # An entry whose one phrasing is taken out has nothing left to match.
    assert fitted.index.char_similarity_without(query, 1, 0) == 0.0
