"""Unanswered questions about one need land in one group; unrelated ones stay apart.

The groups are made as the inbox makes them (`group_unanswered`, the product's base as
background), and compared as an analyst reads them: by the questions in each group.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.clustering import TextFeatures, cluster_labels
from bot.core.question_records import Decision, QuestionRecord
from bot.core.settings import AnalyticsSettings
from bot.core.unanswered import Background, group_unanswered
from matcher import Matcher
from matcher.analyzer import Analysis
from tests.bot.conftest import TUESDAY_MORNING

# Its module-scoped fixtures start once: the whole file runs in one test process.
pytestmark = pytest.mark.xdist_group("test_clustering")

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
# Citizens' unanswered questions: several needs, each asked in a few ways (word forms, typos,
# the base's synonyms), many sharing only "оформить", "получить", "сделать", "не работает"
# or "где" with another need.
MIX = Path(__file__).parents[2] / "fixtures" / "unanswered_mix.tsv"


def _mix() -> list[tuple[str, str]]:
    lines = MIX.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return [(need, question) for need, question in rows]


def _groups(matcher: Matcher, questions: list[str]) -> list[set[str]]:
    """The inbox's groups of these questions, each handed off once, as sets of texts."""
    records = [
        QuestionRecord(
            id=number,
            channel="web",
            asked_at=TUESDAY_MORNING - timedelta(minutes=number),
            text=text,
            decision=Decision.HANDOFF,
            entry_id=None,
            score=None,
            handoff_reason=None,
            conversation_id=None,
            message_id=None,
            ticket_number=None,
            chosen_entry_id=None,
            feedback_scale=None,
            feedback_score=None,
            triage=None,
        )
        for number, text in enumerate(questions, start=1)
    ]
    analyze = matcher.analyzer.analyze
    clusters = group_unanswered(
        records,
        analyze,
        settings=AnalyticsSettings(),
        now=TUESDAY_MORNING,
        background=Background(matcher, analyze).features(),
    )
    return [{questions[n - 1] for n in cluster.record_ids} for cluster in clusters]


@pytest.fixture(scope="module")
def labels(project_matcher: Matcher) -> dict[str, int]:
    groups = _groups(project_matcher, [q for _, q in QUESTIONS])
    return {q: number for number, group in enumerate(groups) for q in group}


@pytest.mark.parametrize(("need", "question"), QUESTIONS)
def test_same_need_same_cluster_other_needs_apart(
    labels: dict[str, int], need: str, question: str
) -> None:
    mine = labels[question]
    for other_need, other in QUESTIONS:
        together = labels[other] == mine
        assert together == (other_need == need), f"{question!r} vs {other!r}"


@pytest.fixture(scope="module")
def mix_groups(project_matcher: Matcher) -> list[set[str]]:
    return _groups(project_matcher, [q for _, q in _mix()])


def test_no_group_of_the_mix_joins_two_needs(mix_groups: list[set[str]]) -> None:
    need = {question: need for need, question in _mix()}
    mixed = [sorted(group) for group in mix_groups if len({need[q] for q in group}) > 1]
    assert mixed == []


@pytest.mark.parametrize("need", sorted({n for n, _ in _mix()}))
def test_each_need_of_the_mix_is_one_group(mix_groups: list[set[str]], need: str) -> None:
    asked = {q for n, q in _mix() if n == need}
    assert [group for group in mix_groups if group & asked] == [asked]


@pytest.mark.parametrize(
    "pair",
    [
        ("как оформить ипотеку", "как оформить выписку из эптс"),
        ("как получить снилс", "как получить материнский капитал"),
        ("как сделать загранпаспорт", "как сделать электронную подпись"),
        ("не работает приложение госуслуги", "не работает оплата штрафа"),
        ("не работает приложение", "не работает сайт"),
        ("не могу оплатить штраф", "не могу оплатить налог"),
        ("где оформить полис омс", "где оформить загранпаспорт"),
    ],
)
def test_a_common_verb_or_question_word_alone_joins_nothing(
    project_matcher: Matcher, pair: tuple[str, str]
) -> None:
    assert _groups(project_matcher, list(pair)) == [{pair[0]}, {pair[1]}]


@pytest.mark.parametrize(
    "pair",
    [
        ("не могу войти в личный кабинет", "не получается зайти в лк"),
        ("забыл пароль", "не помню пароль от госуслуг"),
        ("как получить материнский капитал", "матиринский капитал не пришел сертификат"),
        ("не работает приложение госуслуги", "приложуха госуслуг не открывается"),
    ],
)
def test_rephrasings_alone_are_one_group(project_matcher: Matcher, pair: tuple[str, str]) -> None:
    assert _groups(project_matcher, list(pair)) == [set(pair)]


MORTGAGE = (
    "как оформить ипотеку",
    "семейная ипотека как подать заявку",
    "хочу взять ипотеку с господдержкой",
    "ипотеку для семьи с детьми где оформлять",
)


@pytest.mark.parametrize(
    ("typo", "group"),
    [
        ("как оформить ипатеку", MORTGAGE),
        ("ипатека для молодой семьи", MORTGAGE),
        (
            "загранпаспарт нового образца",
            ("как сделать загранпаспорт", "сколько делается загранпаспорт"),
        ),
        (
            "пособие по безработеце как оформить",
            ("как получить пособие по безработице", "пособие по безработице не начисляют"),
        ),
    ],
)
def test_a_typo_of_a_word_other_questions_of_the_inbox_use_joins_their_group(
    project_matcher: Matcher, typo: str, group: tuple[str, ...]
) -> None:
    """The base has no entry about mortgages: "ипатеку" is repaired against the inbox's own
    "ипотеку", which more questions use."""
    assert _groups(project_matcher, [*group, typo]) == [{*group, typo}]


def test_real_words_a_letter_or_two_apart_are_not_repaired_into_each_other(
    project_matcher: Matcher,
) -> None:
    """ "полиция" is no typo of "полис", however many questions use "полис"."""
    asked = [
        "где оформить полис омс",
        "полис омс для ребенка",
        "полис омс не пришел",
        "полиция не принимает заявление",
    ]
    groups = _groups(project_matcher, asked)
    assert {"полиция не принимает заявление"} in groups
    assert set(asked[:3]) in groups


@pytest.mark.parametrize(
    ("common", "rare"),
    [
        # A dictionary word is the repair of a word no dictionary has.
        (("как получить пособие", "пособие не пришло"), "как получить пасобие"),
        # A word no dictionary has is one too, once more questions use it than its look-alike.
        (("приложуха не грузится", "приложуха тормозит"), "прилажуха не открывается"),
    ],
)
def test_a_rare_spelling_is_repaired_towards_the_more_common_word(
    project_matcher: Matcher, common: tuple[str, ...], rare: str
) -> None:
    assert _groups(project_matcher, [*common, rare]) == [{*common, rare}]


def test_a_spelling_as_common_as_its_look_alike_is_left_as_it_is() -> None:
    """Two words no dictionary has, each in one question: neither is the other's typo."""
    from bot.core.unanswered import _analyses

    def analyze(text: str) -> Analysis:
        return Analysis(tokens=tuple(text.split()), terms=tuple(text.split()))

    found = _analyses(analyze, ["прилажуха тормозит", "приложуха тормозит"], ())
    assert [a.terms for a in found] == [("прилажуха", "тормозит"), ("приложуха", "тормозит")]


@pytest.mark.parametrize(
    "pair",
    [
        ("как сделать прописку ребенку", "где сделать снилс ребенку"),
        ("где сделать инн ребенку", "как сделать загранпаспорт ребенку"),
        ("где оформить полис омс ребенку", "как получить справку для ребенка"),
        ("как оформить пособие на ребенка", "как сделать прописку ребенку"),
        ("штраф гибдд не оплачивается картой", "пособие не приходит на карту"),
    ],
)
def test_needs_that_share_only_who_it_is_for_and_a_common_verb_stay_apart(
    project_matcher: Matcher, pair: tuple[str, str]
) -> None:
    """ "ребенок" is for whom the need is, not what it is: "прописка" and "снилс" are."""
    assert _groups(project_matcher, list(pair)) == [{pair[0]}, {pair[1]}]


def test_a_need_asked_for_a_child_and_without_is_one_group(project_matcher: Matcher) -> None:
    asked = ["как сделать загранпаспорт", "загранпаспорт ребенку до 14 лет"]
    assert _groups(project_matcher, asked) == [set(asked)]


def test_fewer_than_two_texts_need_no_model() -> None:
    assert cluster_labels([], distance_threshold=0.5) == []
    assert cluster_labels([TextFeatures(("врач",))], distance_threshold=0.5) == [0]


def test_a_certificate_is_grouped_by_what_it_certifies(project_matcher: Matcher) -> None:
    """ "справка" is the object of all of them, and of several entries of the base: what
    qualifies it ("о несудимости", "для школы", "о доходах") tells the needs apart."""
    criminal_record = {
        "как получить справку о несудимости",
        "справка о несудимости через госуслуги",
        "справка об отсутствии судимости сколько ждать",
        "справку о не судимости заказать",
    }
    school = {"как получить справку для ребенка в школу", "справка для школы через госуслуги"}
    income = {"как получить справку о доходах", "справка о доходах для банка"}
    groups = _groups(project_matcher, [*criminal_record, *school, *income])
    assert sorted(map(sorted, groups)) == sorted(map(sorted, [criminal_record, school, income]))


def test_a_verb_joins_the_questions_about_its_noun(project_matcher: Matcher) -> None:
    asked = [
        "как сделать прописку ребенку",
        "прописка новорожденного через госуслуги",
        "прописать ребенка в квартиру",
    ]
    assert _groups(project_matcher, asked) == [set(asked)]


@pytest.mark.parametrize(
    ("verb", "nouns"),
    [
        (
            "как выписать ребенка из квартиры",
            ("как оформить выписку из эптс", "выписка из электронного паспорта машины"),
        ),
        (
            "как подписать заявление",
            ("как сделать электронную подпись", "электронная подпись не работает"),
        ),
    ],
)
def test_a_verb_stays_apart_from_its_noun_qualified_otherwise(
    project_matcher: Matcher, verb: str, nouns: tuple[str, ...]
) -> None:
    """To deregister a child ("выписать") is no extract of the vehicle passport ("выписка")."""
    assert _groups(project_matcher, [*nouns, verb]) == [set(nouns), {verb}]


def test_a_common_verb_is_not_read_as_a_noun_another_question_asks_about(
    project_matcher: Matcher,
) -> None:
    """ "Сделать" is no "сделка", nor "оплатить госпошлину" an "оплата" qualified by the
    state fee: what the verb is done to, a thing, stays the need (a question about a car sale
    must not split "сделать прописку" from "прописать ребенка", nor a fine join a fee)."""
    registration = {"как сделать прописку", "как прописать ребенка"}
    sale = {"сделка купли продажи машины с эптс"}
    fines = {"как оплатить штраф", "оплатить штраф гибдд со скидкой"}
    fee = {"оплата госпошлины со скидкой не проходит"}
    # A reflexive verb takes no object: "записаться" is "запись" whatever else is named.
    wedding = {"как записаться в загс на регистрацию брака", "запись в загс перенести можно"}
    # Beside a question about a sale, one made for a child is still no other's need.
    snils, insurance = {"как сделать снилс ребенку"}, {"как сделать полис омс ребенку"}
    groups = _groups(
        project_matcher, [*registration, *sale, *fines, *fee, *wedding, *snils, *insurance]
    )
    expected = [registration, sale, fines, fee, wedding, snils, insurance]
    assert sorted(map(sorted, groups)) == sorted(map(sorted, expected))
