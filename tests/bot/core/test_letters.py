"""The answer letter and the addresses it may go to: pure functions, Russian cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.email_address import AddressError, checked_address, mask_address
from bot.core.errors import InvalidInputError
from bot.core.letters import Letter, compose_letter, subject_of
from matcher.knowledge import Entry, Link

ENTRY = Entry(
    id="account-password-recovery",
    topic="Вход",
    question="Как восстановить\nпароль от Госуслуг?",
    answer="Новый пароль можно задать на странице входа.\n",
    links=(Link(title="Восстановление доступа", url="https://www.gosuslugi.ru/recovery"),),
)


def test_the_letter_holds_the_question_the_answer_and_plain_links() -> None:
    letter = compose_letter(ENTRY)
    assert letter.subject == "Ответ на ваш вопрос: Как восстановить пароль от Госуслуг?"
    assert "Вопрос: Как восстановить пароль от Госуслуг?" in letter.body
    assert "Ответ:\nНовый пароль можно задать на странице входа." in letter.body
    assert "Восстановление доступа: https://www.gosuslugi.ru/recovery" in letter.body
    assert letter.body.rstrip().endswith("просто удалите письмо.")
    assert Letter.from_text(letter.to_text()) == letter


def test_a_long_question_is_shortened_in_the_subject() -> None:
    subject = subject_of(Entry(id="x", topic="t", question="очень " * 60, answer="a"))
    assert subject.endswith("…") and len(subject) <= len("Ответ на ваш вопрос: ") + 120


@pytest.mark.parametrize("text", ["не json", '{"subject": 1, "body": "x"}', "[]"])
def test_a_foreign_outbox_row_is_refused_clearly(text: str) -> None:
    with pytest.raises(InvalidInputError, match="JSON"):
        Letter.from_text(text)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (" Ivan.Petrov@Mail.RU ", "Ivan.Petrov@mail.ru"),
        ("ivan@почта.рф", "ivan@xn--80a1acny.xn--p1ai"),
        ("user+faq@yandex.ru", "user+faq@yandex.ru"),
    ],
)
def test_good_addresses_are_kept_in_the_form_mail_is_sent_to(typed: str, kept: str) -> None:
    assert checked_address(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ivan",
        "ivan@",
        "ivan@mail",
        "a,b@mail.ru",
        "Иван <ivan@mail.ru>",
        "ivan@mail.ru\r\nBcc: all@mail.ru",
        "иван@почта.рф",
        "a" * 190 + "@example.ru",
    ],
)
def test_bad_addresses_are_refused_in_russian(typed: str) -> None:
    with pytest.raises(AddressError) as error:
        checked_address(typed)
    assert "адрес" in str(error.value).lower()


@pytest.mark.parametrize(
    ("address", "shown"),
    [("ivan.petrov@mail.ru", "i***@mail.ru"), ("a@b.ru", "a***@b.ru"), ("broken", "***")],
)
def test_addresses_are_masked_for_logs(address: str, shown: str) -> None:
    assert mask_address(address) == shown


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.from_regex(r"[^@]{0,70}@[^@]{0,70}", fullmatch=True))
def test_any_text_is_an_address_or_a_russian_refusal(typed: str) -> None:
    try:
        address = checked_address(typed)
    except AddressError as error:
        assert "адрес" in str(error).lower()
        return
    # Whatever passes is one plain mailbox: nothing that could add a recipient or a header.
    assert address.count("@") == 1
    assert not any(c in address for c in ',;<>"\r\n ')
    assert address.isascii() and len(address) <= 200
