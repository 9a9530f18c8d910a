"""The matcher and the loader under hostile input: any text gets a valid verdict, any file a
`KnowledgeBaseError` (never another exception)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcher import Action, KnowledgeBaseError, Matcher, load_knowledge_base
from tests.conftest import PROJECT_KB

MAX_CANDIDATES = 5
# Pieces people (and attackers) paste: direction marks, joiners, emoji, controls, odd letters.
ODD_PIECES = [
    "\u200f", "\u200e", "\u202e", "\u2066", "\u200d", "\u200b", "\ufeff", "\u00ad", "\u0301",
    "\x00", "\x1b[31m", "\x7f", "\r\n", "\t", "\x85", "\u2028",
    "😀", "👨‍👩‍👧", "🇷🇺", "ё", "Ё", "İ", "ß", "ﬀ", "٣٤٥", "ǅ", "ｐａｒｏｌ",
    "пароль", "госуслуги", "не могу войти", "ЭПТС", "ghjkm", " ",
]  # fmt: skip
hostile_text = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(ODD_PIECES), st.text(max_size=4)), max_size=80).map("".join),
    # Very long questions, up to ~100 KB, made of a repeated random piece.
    st.tuples(st.text(min_size=1, max_size=12), st.integers(1_000, 100_000)).map(
        lambda p: (p[0] * (p[1] // len(p[0]) + 1))[: p[1]]
    ),
)


@settings(max_examples=120, deadline=None)
@given(question=hostile_text)
@example(question="")
@example(question="\u200f\u200d" * 50_000)
@example(question="пароль " * 14_000)
# A question the words leave unsure, so embedded: "ﷺ" is 18 letters in compatibility form,
# and ten of them overran the engine's normalisation (the process aborted).
@example(question="не могу попасть в свой профиль на портале " + "ﷺ" * 200)
def test_any_text_gets_a_valid_verdict(project_matcher: Matcher, question: str) -> None:
    verdict = project_matcher.match(question)
    assert verdict.action in set(Action)
    assert 0.0 <= verdict.score <= 1.0
    assert len(verdict.candidates) <= MAX_CANDIDATES
    scores = [c.score for c in verdict.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    known = {entry.id for entry in project_matcher.kb}
    assert {c.entry_id for c in verdict.candidates} <= known
    if verdict.action is Action.ANSWER:
        assert verdict.entry_id in known
    assert verdict.offered <= len(verdict.candidates)


YAML_PIECES = [
    "topic:", "entries:", "synonyms:", "- ", "id:", "question:", "answer:", "alternatives:",
    "keywords:", "links:", "title:", "url:", "tags:", "source:", " http://x", " a-b", " Вопрос",
    "[", "]", "{", "}", ":", ",", "&a ", "*a", "!!binary ", "!!python/object:os.system ",
    "!!int ", "'", '"', "|", ">", "\n", "  ", "    ", "#", "---", "...", "%YAML 1.1\n", "? ",
    "\t", "\ufeff", "null", "~", "1e9", "ё", "\x85", "\x00",
]  # fmt: skip
VALID_TOPIC = (PROJECT_KB / "account.yaml").read_text("utf-8")
yaml_ish = st.one_of(
    st.lists(st.one_of(st.sampled_from(YAML_PIECES), st.text(max_size=6)), max_size=120).map(
        "".join
    ),
    # A real topic file with garbage spliced in somewhere.
    st.tuples(st.integers(0, len(VALID_TOPIC)), st.text(max_size=20)).map(
        lambda p: VALID_TOPIC[: p[0]] + p[1] + VALID_TOPIC[p[0] :]
    ),
    st.integers(0, len(VALID_TOPIC)).map(lambda cut: VALID_TOPIC[:cut]),
)


def _load_one_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "topic.yaml").write_bytes(data)
        try:
            load_knowledge_base(folder)
        except KnowledgeBaseError as error:
            assert str(error), "a loading error must say what is wrong"


@settings(max_examples=100, deadline=None)
@given(text=yaml_ish)
def test_any_yaml_ish_topic_file_is_loaded_or_refused_with_a_kb_error(text: str) -> None:
    _load_one_file(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2_000))
@example(data=b"\xff\xfe\x00t\x00o")
@example(data=b"topic: \xd0")
def test_any_bytes_as_a_topic_file_are_loaded_or_refused_with_a_kb_error(data: bytes) -> None:
    _load_one_file(data)


def test_a_deeply_nested_topic_file_is_refused_with_a_kb_error() -> None:
    _load_one_file(b"[" * 500)
