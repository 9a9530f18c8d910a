"""The meaning's stage: a sentence embedding decides with the words when they leave a question
unsure, and only then; entries' vectors are embedded once and kept in the cache file."""

from __future__ import annotations

import logging
import pwd
import sqlite3
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matcher import Action, KnowledgeBase, Matcher, MatcherSettings, Morphology
from matcher.knowledge import Entry
from matcher.semantic import QUERY_TOKENS, Encoder, default_cache_file, passage_text
from matcher.settings import Meaning

WORDS_ONLY = MatcherSettings(meaning=Meaning(enabled=False))


class CountingEncoder(Encoder):
    """The real encoder, counting what it is asked and what its model embeds."""

    def __init__(self, *, cache_file: Path | None = None) -> None:
        super().__init__(cache_file=cache_file)
        self.questions: list[str] = []
        self.embedded = 0
        self.encoded: list[tuple[str, bool]] = []  # what `encode` embedded, as a query or not
        self.read: list[str] = []  # what the model embedded of each question
        model = self._model
        outer = self

        class Counted:
            def query(self, text: str) -> Any:
                outer.embedded += 1
                outer.read.append(text)
                return model.query(text)

            def token_count(self, text: str, is_query: bool) -> Any:
                return model.token_count(text, is_query)

            def encode(self, text: str, is_query: bool) -> Any:
                outer.embedded += 1
                outer.encoded.append((text, is_query))
                return model.encode(text, is_query)

        self._model = Counted()

    def query(self, text: str) -> Any:
        self.questions.append(text)
        return super().query(text)


@pytest.mark.parametrize(
    ("question", "words_pick", "meant"),
    [
        # "попасть в профиль" is signing in, though its words share more with the entry
        # about changing one's data in the profile.
        (
            "не могу попасть в свой профиль на портале",
            "account-update-personal-data",
            "account-cannot-sign-in",
        ),
        ("как поменять номер мобильного в профиле", None, "account-phone-changed"),
    ],
)
def test_a_question_worded_apart_from_its_entry_is_offered_that_entry_first(
    project_matcher: Matcher,
    project_kb: KnowledgeBase,
    question: str,
    words_pick: str | None,
    meant: str,
) -> None:
    words = Matcher(project_kb, settings=WORDS_ONLY).match(question)
    match = project_matcher.match(question)
    assert words.entry_id != meant  # the words alone miss it
    if words_pick is not None:
        assert words.entry_id == words_pick
    assert match.entry_id == meant
    assert match.action in (Action.ANSWER, Action.CLARIFY)


def test_the_meaning_is_asked_only_when_the_words_leave_the_question_unsure(
    project_kb: KnowledgeBase,
) -> None:
    encoder = CountingEncoder(cache_file=default_cache_file())
    matcher = Matcher(project_kb, encoder=encoder)
    sure = matcher.match("забыл пароль от госуслуг")
    assert sure.action is Action.ANSWER
    assert encoder.questions == []  # a confident answer costs no embedding
    unsure = matcher.match("не могу попасть в свой профиль на портале")
    assert unsure.action is not Action.ANSWER
    assert encoder.questions == ["не могу попасть в свой профиль на портале"]


def test_a_question_asked_again_is_not_embedded_again() -> None:
    encoder = CountingEncoder()
    first = encoder.query("не могу попасть в свой профиль")
    again = encoder.query("не могу попасть в свой профиль")
    other = encoder.query("как поменять номер телефона")
    assert encoder.embedded == 2
    assert encoder.questions_embedded == 2
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


LONG_STORY = (
    "Здравствуйте, второй день не могу попасть в свой профиль на портале: ввожу пароль, "
    "приходит код, ввожу код, и снова страница входа. "
) * 20  # about 2,000 characters, as much as the matcher reads


@pytest.mark.parametrize(
    "question",
    [LONG_STORY, "😀" * 2_000, "пароль" * 400, "\u200f\u200d" * 1_000 + LONG_STORY, "\x85" * 2_000],
    ids=["words", "emoji", "one-long-word", "invisible-then-words", "next-lines"],
)
def test_a_long_question_is_embedded_by_its_first_words(question: str) -> None:
    # The model's time grows with the tokens it reads (a 2,000-character question of emoji
    # is 2,005 of them, about 5 s of one core, every other unsure question waiting): it
    # reads as much of the question's start as fits in QUERY_TOKENS, cut between words.
    encoder = CountingEncoder()
    encoder.query(question)
    [read] = encoder.read
    model = encoder._model
    assert question.startswith(read)
    assert model.token_count(read, True) <= QUERY_TOKENS
    following = question[len(read) :]
    if " " in question[: len(read) + 1]:  # a word before the cut: it falls between words
        assert following[:1].isspace()
        next_word = following.split(maxsplit=1)[0]
        assert model.token_count(f"{read} {next_word}", True) > QUERY_TOKENS
    else:  # one long word: cut inside it, as long as fits
        assert model.token_count(question[: len(read) + 8], True) > QUERY_TOKENS


def test_letters_the_engine_spells_out_at_length_are_embedded_without_harm() -> None:
    # "ﷺ" (U+FDFA) is 18 letters in Unicode's compatibility form: ten of them in a text
    # overran the engine's own normalisation and aborted the process. A question and a
    # passage with fifty get the vectors of their compatibility form.
    text = "не могу войти " + "ﷺ" * 50
    spelt = unicodedata.normalize("NFKC", text)
    encoder = Encoder()
    question = encoder.query(text)
    assert question.shape == (384,)
    assert abs(float(question @ question) - 1) < 1e-5
    assert np.array_equal(question, encoder.query(spelt))
    assert np.array_equal(encoder.passages([text]), encoder.passages([spelt]))


def test_a_question_within_the_tokens_is_embedded_whole() -> None:
    # RUTUBE's longest question, 395 characters, is 97 tokens. This one is counted (it is
    # longer than the tokens allowed could be in characters) and read whole.
    question = LONG_STORY[:380].rsplit(maxsplit=1)[0]
    assert len(question) > QUERY_TOKENS
    encoder = CountingEncoder()
    encoder.query(question)
    assert encoder.read == [question]
    assert np.array_equal(encoder.query(question), encoder._model.query(question))


def _base(*entries: tuple[str, str, str]) -> KnowledgeBase:
    return KnowledgeBase(
        tuple(
            Entry(
                id=i, topic="t", question=q, answer=a, alternatives=(f"{q} вопрос", f"вопрос {q}")
            )
            for i, q, a in entries
        )
    )


# What a base's build embeds: each entry's passage and each of its phrasings as a question.
def _embeddings(kb: KnowledgeBase) -> int:
    return sum(1 + len(e.phrasings) for e in kb.entries)


SMALL = _base(
    ("stream", "Кто может проводить трансляции?", "Трансляции доступны всем авторам канала."),
    ("money", "Как подключить монетизацию?", "Подайте заявку в разделе «Монетизация»."),
    ("delete", "Как удалить аккаунт?", "Откройте настройки профиля и нажмите «Удалить»."),
)


def test_entries_are_embedded_once_and_then_read_from_the_cache_file(tmp_path: Path) -> None:
    cache = tmp_path / "vectors.sqlite3"
    first = CountingEncoder(cache_file=cache)
    built = Matcher(SMALL, encoder=first)
    assert first.embedded == _embeddings(SMALL)
    again = CountingEncoder(cache_file=cache)
    rebuilt = Matcher(SMALL, encoder=again)
    assert again.embedded == 0  # a restart or a reload embeds nothing it has seen
    question = "можно мне стримить"
    assert rebuilt.match(question) == built.match(question)


@pytest.mark.parametrize("unusable", ["none", "not a folder", "refuses writes"])
def test_without_a_cache_file_a_rebuild_embeds_only_what_changed(
    tmp_path: Path, unusable: str
) -> None:
    """No cache file (a read-only or full disk, no home folder for a service): a reload of
    the base, or the console's check of a phrasing (two matchers), must not embed every entry
    again, tens of seconds each time."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = None if unusable == "none" else blocker / "faqbot" / "vectors.sqlite3"
    if unusable == "refuses writes":  # a file that opens and reads, as on a full disk
        cache = tmp_path / "vectors.sqlite3"
        with sqlite3.connect(cache) as db:
            db.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, vector BLOB)")
            db.execute(
                "CREATE TRIGGER full BEFORE INSERT ON vectors "
                "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
            )
        db.close()
    encoder = CountingEncoder(cache_file=cache)
    Matcher(SMALL, encoder=encoder)
    assert encoder.embedded == _embeddings(SMALL)
    edited = _base(
        ("stream", "Кто может проводить трансляции?", "Трансляции доступны всем авторам канала."),
        ("money", "Как подключить монетизацию?", "Заявку подают в разделе «Монетизация»."),
        ("delete", "Как удалить аккаунт?", "Откройте настройки профиля и нажмите «Удалить»."),
    )
    reloaded = Matcher(edited, encoder=encoder)
    assert encoder.embedded == _embeddings(SMALL) + 1  # the edited answer only
    assert reloaded.match("можно мне стримить").entry_id == "stream"


def test_no_home_folder_leaves_the_vectors_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """A service or container with HOME unset and a user id with no account (no entry in
    the user database, which cannot be made here, so its look-up fails as it would): the
    server still starts, its matcher keeping the vectors in memory."""

    def no_account(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    for name in ("HOME", "XDG_CACHE_HOME", "FAQBOT_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_account)
    assert default_cache_file() is None
    matcher = Matcher(SMALL, encoder=Encoder(cache_file=default_cache_file()))
    assert matcher.match("можно мне стримить").entry_id == "stream"


def test_a_broken_cache_file_is_reported_and_the_entries_embedded_anyway(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "vectors.sqlite3"
    cache.write_bytes(b"\x00not a database\xff" * 100)
    with caplog.at_level(logging.WARNING, logger="matcher.vector_store"):
        encoder = CountingEncoder(cache_file=cache)
        vectors = encoder.passages([passage_text("Как удалить аккаунт?", "Откройте настройки.")])
    assert "Кэш смысловых векторов" in caplog.text
    assert vectors.shape == (1, 384)
    assert abs(float(np.linalg.norm(vectors[0])) - 1.0) < 1e-3


def test_a_damaged_row_of_the_cache_file_is_embedded_again(tmp_path: Path) -> None:
    """A row whose vector is cut short, of another type or missing does not stop the matcher
    being built (the server starting, the base reloading): that entry is embedded again."""
    cache = tmp_path / "vectors.sqlite3"
    Matcher(SMALL, encoder=CountingEncoder(cache_file=cache))
    with sqlite3.connect(cache) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM vectors ORDER BY key")]
        db.execute("UPDATE vectors SET vector = ? WHERE key = ?", (b"abc", keys[0]))
        db.execute("UPDATE vectors SET vector = ? WHERE key = ?", ("text", keys[1]))
        db.execute("UPDATE vectors SET vector = NULL WHERE key = ?", (keys[2],))
    db.close()
    again = CountingEncoder(cache_file=cache)
    rebuilt = Matcher(SMALL, encoder=again)
    assert again.embedded == 3
    assert rebuilt.match("можно мне стримить").entry_id == "stream"
    assert CountingEncoder(cache_file=cache).passages(
        [passage_text(e.question, e.answer) for e in SMALL.entries]
    ).shape == (3, 384)


def test_any_text_the_words_cannot_place_gets_a_verdict(project_matcher: Matcher) -> None:
    for text in ("эптс \ud800 что \0 это", "😀" * 3 + " зачем", "ё" * 3_000):
        match = project_matcher.match(text)
        assert match.action in (Action.ANSWER, Action.CLARIFY, Action.HANDOFF)


def test_the_words_verdict_is_given_alone_only_when_the_meaning_is_not_asked(
    project_kb: KnowledgeBase,
) -> None:
    """`match_by_words` (what a caller on an event loop matches there) gives `match`'s very
    verdict without embedding, or None where `match` embeds the question; and `match` after
    it (which takes the words' scores it kept) gives what `match` alone gives."""
    encoder = CountingEncoder(cache_file=default_cache_file())
    matcher = Matcher(project_kb, encoder=encoder)
    questions = (
        "забыл пароль",
        "не могу попасть в свой профиль на портале",
        "?",
        "а б в",
    )
    for question in questions:
        before = len(encoder.questions)
        quick = matcher.match_by_words(question)
        assert len(encoder.questions) == before
        whole = matcher.match(question)
        asked = len(encoder.questions) > before
        assert (quick is None) == asked
        if quick is not None:
            assert quick == whole
        assert matcher.match(question) == whole
    assert matcher.match_by_words("не могу попасть в свой профиль на портале") is None
    assert matcher.match_by_words("забыл пароль") is not None


@pytest.fixture(scope="module")
def thin_matcher(project_kb: KnowledgeBase, morphology: Morphology) -> Matcher:
    """Our base as a base of one phrasing an entry (each entry's question alone), as many
    bases are (RUTUBE's)."""
    thin = tuple(replace(e, alternatives=(), keywords=()) for e in project_kb.entries)
    return Matcher(KnowledgeBase(thin, project_kb.synonyms), morphology=morphology)


def test_a_question_worded_as_one_of_an_entrys_phrasings_means_is_offered_it_first(
    project_matcher: Matcher,
) -> None:
    """An entry's phrasings, each embedded as a question, say what it is about better than its
    passage: "круглые сутки" is the portal's support's hours (a phrasing: "поддержка госуслуг
    работает круглосуточно"), not the ЭПТС cabinet's, which the passages put first."""
    match = project_matcher.match("техподдержка работает круглые сутки?")
    assert match.entry_id == "support-working-hours"


@pytest.mark.parametrize(
    ("question", "meant"),
    [
        (
            "смс не приходят, пусть лучше робот позвонит и продиктует код",
            "account-code-by-voice-call",
        ),
        ("как долго ждать ответа от поддержки эптс", "epts-support-response-time"),
    ],
)
def test_what_the_words_and_the_meaning_both_put_first_is_answered(
    project_matcher: Matcher, question: str, meant: str
) -> None:
    """The words leave these unsure (a choice of three before); the meaning puts the same
    entry first, well ahead: answered."""
    match = project_matcher.match(question)
    assert (match.action, match.entry_id) == (Action.ANSWER, meant)


def test_a_base_of_one_phrasing_an_entry_offers_what_its_words_barely_place(
    thin_matcher: Matcher,
) -> None:
    """An entry's question embedded as a question is near a citizen's question: the entry is
    offered where the words alone scored too little (handed to a person before)."""
    match = thin_matcher.match("запросил новый код, и он опять не подходит")
    assert match.action is Action.CLARIFY
    assert match.choices[0].entry_id == "account-wrong-code"


@pytest.mark.parametrize(
    ("question", "meant", "alike"),
    [
        (
            "какой номер у моей заявки и где его посмотреть",
            "status-application-number",
            "status-where-to-check",
        ),
        (
            "как теперь работает поддержка эптс из за переноса праздников",
            "epts-support-transferred-days",
            "epts-support-weekends",
        ),
    ],
)
def test_a_words_answer_between_two_entries_alike_in_meaning_becomes_a_choice(
    thin_matcher: Matcher, question: str, meant: str, alike: str
) -> None:
    """The words answered these with an entry that means nearly the same as the right one
    (`Meaning.alike`); the meaning is asked, and both are offered."""
    match = thin_matcher.match(question)
    assert match.action is Action.CLARIFY
    assert {meant, alike} <= {c.entry_id for c in match.choices}
