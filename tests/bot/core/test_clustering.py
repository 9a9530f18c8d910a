"""Unanswered questions about one need land in one group; unrelated ones stay apart."""

from __future__ import annotations

import pytest

from bot.core.clustering import TextFeatures, cluster_labels
from bot.core.settings import AnalyticsSettings
from matcher import Matcher

# (need, question): questions of one need must share a cluster, different needs must not.
QUESTIONS = [
    ("загранпаспорт", "как оформить загранпаспорт через госуслуги"),
    ("загранпаспорт", "загранпаспорт нового образца как подать заявление"),
    ("загранпаспорт", "сколько делается загранпаспорт"),
    ("штраф", "как оплатить штраф гибдд со скидкой"),
    ("штраф", "оплата штрафа гибдд не проходит"),
    ("врач", "как записаться к врачу в поликлинику"),
    ("врач", "не могу записаться на прием к врачу"),
    ("трактор", "сломался карбюратор у трактора"),
    ("трактор", "трактор не заводится что делать"),
    ("вычет", "как получить налоговый вычет за лечение"),
    ("вычет", "вычет за лечение зубов как оформить"),
    ("вычет", "налоговый вычет за квартиру документы"),
    ("почта", "почта [e-mail], не могу войти"),
    ("инн", "мой ИНН [ИНН] не находят"),
    ("код", "код из смс [код] не подходит"),
]


def _features(matcher: Matcher, text: str) -> TextFeatures:
    analysis = matcher.analyzer.analyze(text)
    return TextFeatures(terms=analysis.terms, words=analysis.words or text)


@pytest.fixture(scope="module")
def labels(project_matcher: Matcher) -> dict[str, int]:
    background = [_features(project_matcher, p) for e in project_matcher.kb for p in e.phrasings]
    found = cluster_labels(
        [_features(project_matcher, q) for _, q in QUESTIONS],
        distance_threshold=AnalyticsSettings().cluster_distance,
        background=background,
    )
    return {q: label for (_, q), label in zip(QUESTIONS, found, strict=True)}


@pytest.mark.parametrize(("need", "question"), QUESTIONS)
def test_same_need_same_cluster_other_needs_apart(
    labels: dict[str, int], need: str, question: str
) -> None:
    mine = labels[question]
    for other_need, other in QUESTIONS:
        together = labels[other] == mine
        assert together == (other_need == need), f"{question!r} vs {other!r}"


def test_fewer_than_two_texts_need_no_model() -> None:
    assert cluster_labels([], distance_threshold=0.5) == []
    assert cluster_labels([TextFeatures(("врач",), "врач")], distance_threshold=0.5) == [0]
