"""The console's check of one new phrasing, before it is written (`bot.kb.impact`)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing
from functools import partial
from pathlib import Path

import pytest

from bot.kb.check import Kind, Severity
from bot.kb.impact import alternative_findings, entry_findings, with_alternative
from matcher import Entry, KnowledgeBase, Matcher, Morphology
from matcher.semantic import _key, default_cache_file, passage_text
from tests.matcher.test_semantic import CountingEncoder


def test_another_entrys_phrasing_is_an_error_naming_that_entry(fixture_kb: KnowledgeBase) -> None:
    found = alternative_findings(fixture_kb, "sms-code", "Забыл пароль!")
    duplicates = [f for f in found if f.kind is Kind.DUPLICATE_QUESTION]
    assert [(f.severity, f.entry_id) for f in duplicates] == [(Severity.ERROR, "sms-code")]
    assert "уже есть в записи password-recovery" in duplicates[0].message


def test_an_entry_earlier_in_the_base_is_told_which_later_entry_has_the_phrasing(
    fixture_kb: KnowledgeBase,
) -> None:
    """password-recovery comes first in the base: the duplicate used to be reported on
    sms-code, "already in password-recovery", the very entry the curator was adding to."""
    sms_question = next(e.question for e in fixture_kb if e.id == "sms-code")
    found = alternative_findings(fixture_kb, "password-recovery", sms_question)
    duplicates = [f for f in found if f.kind is Kind.DUPLICATE_QUESTION]
    assert [f.entry_id for f in duplicates] == ["password-recovery"]
    assert "уже есть в записи sms-code" in duplicates[0].message


def test_a_phrasing_that_belongs_to_another_entry_is_a_conflict(fixture_kb: KnowledgeBase) -> None:
    found = alternative_findings(fixture_kb, "account-blocked", "сбросить забытый пароль")
    assert any(
        f.kind is Kind.CONFLICT
        and f.severity is Severity.ERROR
        and "«сбросить забытый пароль» получает ответ записи password-recovery" in f.message
        for f in found
    ), [str(f) for f in found]


def test_a_phrasing_in_its_own_entrys_words_is_clean(fixture_kb: KnowledgeBase) -> None:
    assert alternative_findings(fixture_kb, "epts-extract", "нужна выписка по эптс на авто") == ()


def test_what_the_base_already_had_is_not_blamed_on_the_new_phrasing(
    fixture_kb: KnowledgeBase,
) -> None:
    # The base already gives one of account-blocked's phrasings to password-recovery.
    base = with_alternative(fixture_kb, "account-blocked", "сбросить забытый пароль")
    assert alternative_findings(base, "account-blocked", "учетку заблокировали") == ()


def _kept(texts: list[str], *, forget: bool = False) -> list[str]:
    """Which of `texts` (asked as phrasings) have a vector in the meaning's cache file."""
    keys = {_key(t, query=True): t for t in texts}
    path = default_cache_file()
    assert path is not None
    with closing(sqlite3.connect(path)) as db, db:
        marks = ",".join("?" * len(keys))
        if forget:
            db.execute(f"DELETE FROM vectors WHERE key IN ({marks})", list(keys))
        return [
            keys[k]
            for (k,) in db.execute(f"SELECT key FROM vectors WHERE key IN ({marks})", list(keys))
        ]


def test_a_citizens_words_checked_in_the_console_stay_out_of_the_cache_file(
    fixture_kb: KnowledgeBase,
) -> None:
    """The inbox's phrasing is a citizen's question until a curator adds it (a refused one
    never is): its vector, asked as the check asks each phrasing, is not written to disk."""
    conflicting = "у меня сбросить забытый пароль не выходит совсем"
    unsure = "вчера всё пропало в личном кабинете и ничего не грузится"
    Matcher(fixture_kb)  # the cache file is there
    _kept([conflicting, unsure], forget=True)
    alternative_findings(fixture_kb, "account-blocked", conflicting)
    alternative_findings(fixture_kb, "account-blocked", unsure)
    assert _kept([conflicting, unsure]) == []
    # The base's own phrasings are still kept: `kb check` embeds them once.
    own = next(e for e in fixture_kb if e.id == "account-blocked").phrasings
    assert _kept(list(own))


def test_a_check_during_a_servers_background_build_embeds_nothing_twice(
    tmp_path: Path,
    project_kb: KnowledgeBase,
    morphology: Morphology,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A curator checks a phrasing while the server still embeds the base in the background
    (its first start, or a reload): the check's matchers need the same entries' vectors. Before,
    each embedded those the cache lacked, every one of them twice (0.1 s each: 15 minutes more
    at 10,000 entries); now the check waits for those the build is making, and the build
    takes those the check made."""
    kb = KnowledgeBase(
        tuple(e for e in project_kb.entries if e.id.startswith(("status-", "tech-", "account-"))),
        project_kb.synonyms,
    )
    encoder = CountingEncoder(cache_file=tmp_path / "embeddings.sqlite3")  # cold
    monkeypatch.setattr("bot.kb.impact.Matcher", partial(Matcher, encoder=encoder))
    server = Matcher(kb, morphology=morphology, encoder=encoder, meaning_in_background=True)

    alternative_findings(kb, "account-blocked", "сбросить забытый пароль")
    assert server.wait_for_meaning(600.0)

    embedded = Counter(encoder.encoded)
    assert {t: n for t, n in embedded.items() if n > 1} == {}
    # The base was embedded (by whom is no matter), and the phrasings the check asked.
    assert sum(not asked for _, asked in embedded) >= len(kb.entries)


def test_a_check_on_a_cold_cache_embeds_the_entry_it_adds_to_once(
    tmp_path: Path, fixture_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry a curator adds a phrasing to keeps its own vector (its question and answer,
    which a new alternative leaves as they are): the check's second matcher, over the base as
    it is, reads it from the cache file instead of embedding it again."""
    encoder = CountingEncoder(cache_file=tmp_path / "embeddings.sqlite3")  # cold
    monkeypatch.setattr("bot.kb.impact.Matcher", partial(Matcher, encoder=encoder))

    found = alternative_findings(fixture_kb, "account-blocked", "сбросить забытый пароль")

    assert found, "the check found nothing: its second matcher was not built"
    embedded = Counter(encoder.encoded)
    assert {t: n for t, n in embedded.items() if n > 1} == {}


def test_a_proposed_entrys_own_vectors_stay_out_of_the_cache_file(
    fixture_kb: KnowledgeBase,
) -> None:
    """A proposed entry's question is a citizen's words, and its answer an operator's reply to
    one citizen: until a curator approves it, neither is written to disk as an entry's vector
    (an existing entry's, which a new alternative leaves as it is, is)."""
    new = Entry(
        id="proposal-7",
        topic="Справки",
        question="Как срочно получить справку о несудимости для работы в школе",
        answer="Мария Ивановна, закажите справку в разделе «Справки», перезвоним по 8 916.",
    )
    Matcher(fixture_kb)  # the cache file is there
    entry_findings(fixture_kb, new)
    texts = [passage_text(new.question, new.answer), passage_text("", new.answer)]
    path = default_cache_file()
    assert path is not None
    with closing(sqlite3.connect(path)) as db:
        marks = ",".join("?" * len(texts))
        keys = [_key(t, query=False) for t in texts]
        assert db.execute(f"SELECT key FROM vectors WHERE key IN ({marks})", keys).fetchall() == []
