"""The console's check of one new phrasing, before it is written (`bot.kb.impact`)."""

from __future__ import annotations

from bot.kb.check import Kind, Severity
from bot.kb.impact import alternative_findings, with_alternative
from matcher import KnowledgeBase


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
