"""The Telegram handlers under hostile input: random Unicode, control characters, the longest
texts Telegram allows, injection-looking text, commands with garbage after them, button data
the bot never made. Every message gets a polite answer whose markup Telegram would accept
(nothing the citizen typed becomes a tag), every button press is answered, and the bot keeps
polling."""

from __future__ import annotations

import itertools
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.bot.telegram.conftest import RunningBot
from tests.support.hostile import NASTY_TEXT

pytestmark = pytest.mark.anyio

HYPOTHESIS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# The tags of Telegram's HTML parse mode that the bot may use.
ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler"}
TELEGRAM_TEXT_LIMIT = 4096
COMMANDS = ("/start", "/help", "/status", "/link", "/unlink", "/operator", "/cancel")

texts = st.one_of(
    st.text(min_size=1, max_size=300),
    st.text(min_size=TELEGRAM_TEXT_LIMIT - 100, max_size=TELEGRAM_TEXT_LIMIT),
    st.sampled_from(NASTY_TEXT),
    st.builds(lambda c, a: f"{c} {a}", st.sampled_from(COMMANDS), st.text(max_size=100)),
)
users = itertools.count(900_001)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def _tags(text: str) -> set[str]:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser.tags


@HYPOTHESIS
@given(text=texts)
@example(text="<script>alert(1)</script>")
@example(text="\x00\x01\x02")
@example(text="   \u200b  ")
@example(text="/status 99999999999999999999999999")
async def test_any_message_gets_a_polite_answer_in_valid_markup(
    running: RunningBot, text: str
) -> None:
    citizen = running.citizen(next(users))
    citizen.says(text)
    answers = await running.api.wait_sent(citizen.user_id, 1, timeout=20)
    for answer in answers:
        assert str(answer["text"]).strip()
        assert len(str(answer["text"])) <= TELEGRAM_TEXT_LIMIT
        assert _tags(str(answer["text"])) <= ALLOWED_TAGS, answer["text"]
    assert running.polling


@HYPOTHESIS
@given(data=st.text(max_size=64))
@example(data="topic:999999")
@example(data="choose:../../etc/passwd")
async def test_button_data_the_bot_never_made_is_answered_and_harmless(
    running: RunningBot, data: str
) -> None:
    citizen = running.citizen(next(users))
    before = len(running.api.calls_of("answerCallbackQuery"))
    citizen.presses(data, message_id=1)
    await running.api.wait_for(
        lambda: len(running.api.calls_of("answerCallbackQuery")) > before,
        timeout=20,
        what="the button press answered",
    )
    assert running.polling
