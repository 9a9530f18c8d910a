"""What a group of unanswered questions gives a new entry as its phrasings."""

from __future__ import annotations

from bot.core.privacy import has_personal_data
from bot.core.unanswered import proposed_phrasings


def test_a_wording_twice_is_proposed_once_as_kb_check_reads_words() -> None:
    """`kb check` folds look-alike Latin letters and full-width digits: "забыл пaроль" with a
    Latin "a" is a repeat there, and the approved entry failed `kb check --strict`."""
    examples = ["забыл пароль", "забыл пaроль", "Забыл  пароль!", "ёлка 1", "елка １"]
    assert proposed_phrasings("как быть", examples) == ["забыл пароль", "ёлка 1"]


def test_a_dash_between_digits_is_no_personal_data() -> None:
    """Masking plains dashes and no-break spaces on its way: that is not personal data, and
    "3–5 дней" was refused and left out of proposals as if it were."""
    assert not has_personal_data("срок 3–5 дней, с 9–18")
    assert proposed_phrasings("сколько ждать", ["сколько ждать 3–5 дней"]) == [
        "сколько ждать 3–5 дней"
    ]
    assert has_personal_data("звоните +7 900 123\u201145\u201167")
