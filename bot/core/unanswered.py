"""The inbox of unanswered questions, grouped by need, and what curators do with it.

Unanswered means: handed to people because nothing fitted, offered a choice the citizen never
made, or answered and rated down. Questions are grouped with `clustering`; a curator adds a
question to an existing entry as another phrasing, proposes a new entry, or dismisses the
group. Nothing reaches the knowledge base without a curator's action.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.answerer import Answerer
from bot.core.clock import Clock, system_clock
from bot.core.clustering import TextFeatures, cluster_labels
from bot.core.errors import InvalidInputError, WorseBaseError
from bot.core.privacy import PersonalData, has_personal_data
from bot.core.proposals import Proposals
from bot.core.question_records import Decision, QuestionRecord, Triage
from bot.core.records import Operator, Proposal
from bot.core.roles import Permission, require
from bot.core.settings import AnalyticsSettings
from bot.core.tickets import HandoffReason
from bot.storage.database import Database
from matcher import shared_morphology
from matcher.analyzer import NOT, Analysis
from matcher.knowledge import Entry, KnowledgeBase
from matcher.lexicon import ABBREVIATIONS
from matcher.normalize import fix_lookalikes, fold_case, words
from matcher.typos import Speller

Analyze = Callable[[str], Analysis]
WEEK = timedelta(days=7)
# Parts of speech of terms that say what is done, where or how rather than with what: verbs
# (their lemma is the infinitive), participles, gerunds, adverbs ("где", "сколько") and
# predicatives ("нужно"). Any need can be "оформить"-ed; its object tells needs apart.
ACTION_POS = frozenset({"INFN", "VERB", "PRTF", "PRTS", "GRND", "ADVB", "PRED"})
# Parts of speech inside a noun phrase before its noun ("на второго ребенка").
NOUN_PHRASE_POS = frozenset({"ADJF", "PRTF", "NUMR"})
# The cases of an object of the need: what is asked about or done ("прописку"), not for whom
# or with what ("ребенку", "картой").
OBJECT_CASES = frozenset({"nomn", "accs"})
# Inbox words shorter than this are not typo-repaired: one wrong letter of four is too much.
MIN_TYPO_LENGTH = 5
# A verb and the noun of its action share a stem: the verb's infinitive ending ("пропис-ать",
# "запис-аться") against the noun's ("пропис-ка", "запис-ь", "заполн-ение"). A verb whose
# noun another question of the inbox asks about is read as that noun: "прописать ребенка" is
# the need "прописка". pymorphy3 knows no derivation, and a stemmer strips inflection only.
VERB_ENDINGS = ("ать", "ять", "ить", "еть", "уть")
ACTION_NOUN_ENDINGS = ("ение", "ание", "ка", "а", "я", "ь")
REFLEXIVE_ENDINGS = ("ся", "сь")
# Shorter common stems are too often chance ("да-ть", "да-ча").
MIN_STEM_LENGTH = 4


@dataclass(frozen=True, slots=True)
class AddedPhrasing:
    """What adding a phrasing to an entry did."""

    added: bool  # False: the entry already had it
    advice: tuple[str, ...] = ()  # what `kb check` would say about the base with it


@dataclass(frozen=True, slots=True)
class Cluster:
    """Unanswered questions about one need."""

    size: int
    this_week: int
    previous_week: int
    examples: tuple[str, ...]  # distinct texts: the title, then the most frequent
    example_record_ids: tuple[tuple[int, ...], ...]  # the records of each example
    record_ids: tuple[int, ...]
    closest_entry_id: str | None  # the entry the matcher put first most often
    operator_entry_id: str | None  # the entry operators answered these questions with most
    handoffs: int
    abandoned: int
    disliked: int
    ticket_numbers: tuple[int, ...]  # the resolved ones, once `Unanswered.clusters` made it
    last_asked: datetime
    # Every distinct text of the group, its title (a well-spelt, typical question) and then
    # the most frequent, and the records of each: the examples are the first
    # `cluster_examples` of them.
    questions: tuple[str, ...] = ()
    question_record_ids: tuple[tuple[int, ...], ...] = ()
    # Grouped for one question older than the newest `max_cluster_questions` texts the inbox
    # groups (`Unanswered.cluster_of`): the inbox's own list has no card for it.
    older_question: bool = False

    @property
    def trend(self) -> int:
        """This week's questions minus the previous week's."""
        return self.this_week - self.previous_week


def proposed_phrasings(question: str, examples: Sequence[str]) -> list[str]:
    """A group's examples fit to be a new entry's phrasings: none with personal data, masked
    ("меня зовут [имя]") or not, and each wording once, the question's own left out (case,
    "ё" and punctuation aside: `kb check` calls those repeats)."""
    seen = {_wording(question)}
    kept: list[str] = []
    for text in examples:
        wording = _wording(text)
        if not wording or wording in seen or _has_personal_data(text):
            continue
        seen.add(wording)
        kept.append(text)
    return kept


def _wording(text: str) -> tuple[str, ...]:
    # As the matcher reads words: case, "ё", full-width digits and look-alike letters aside.
    return tuple(fix_lookalikes(word) for word in words(fold_case(text)))


def _has_personal_data(text: str) -> bool:
    masked = any(kind.placeholder in text for kind in PersonalData)
    return masked or has_personal_data(text)


def is_unanswered(record: QuestionRecord) -> bool:
    """Handed off for want of an answer, a choice abandoned, or an answer rated down."""
    if record.decision is Decision.HANDOFF:
        return record.handoff_reason != HandoffReason.ASKED_FOR_PERSON.value
    return record.abandoned or record.disliked


class Background:
    """The knowledge base's entries as clustering features, one text per entry (all its
    phrasings' terms), analysed once per loaded base: how many needs of the base use a term
    tells how specific it is."""

    def __init__(self, answerer: Answerer, analyze: Analyze) -> None:
        self._answerer = answerer
        self._analyze = analyze
        self._seen: tuple[KnowledgeBase, tuple[TextFeatures, ...]] | None = None
        # Requests of the same moment after a start or a reload share one analysis: the
        # inbox's groupings are shared by the same features object (`Unanswered._grouping`).
        self._lock = threading.Lock()

    def features(self) -> tuple[TextFeatures, ...]:
        """Features of every entry of the current base, the same object while it stays."""
        kb = self._answerer.kb
        with self._lock:
            if self._seen is None or self._seen[0] is not kb:
                self._seen = (kb, tuple(self._entry(e) for e in kb))
            return self._seen[1]

    def _entry(self, entry: Entry) -> TextFeatures:
        written = (*entry.phrasings, *entry.keywords, entry.answer)
        return TextFeatures(
            terms=tuple(t for p in entry.phrasings for t in self._analyze(p).terms),
            words=frozenset(w for text in written for w in words(fold_case(text))),
        )


def _features(analysis: Analysis, nouns: Mapping[str, str] | None = None) -> TextFeatures:
    """The text's features, each verb of `nouns` read as its noun ("прописать" as "прописка"),
    which is then the object of the need: what the verb is done to ("ребенка") qualifies it."""
    read = nouns or {}
    terms = tuple(read.get(t, t) for t in analysis.terms)
    derived = frozenset(read[t] for t in analysis.terms if t in read)
    return TextFeatures(
        terms=terms,
        actions=frozenset(t for t in terms if _is_action(t)),
        keys=derived or frozenset(terms) - _modifiers(analysis.tokens),
        derived=derived,
    )


def _inbox_features(analyses: Sequence[Analysis]) -> list[TextFeatures]:
    """The texts' features, a verb read as the noun of its action when another text asks
    about that noun ("прописать ребенка" beside "как сделать прописку")."""
    plain = [_features(a) for a in analyses]
    used: Counter[str] = Counter()
    for features in plain:
        used.update(t for t in features.objects if "_" not in t)
    morph = shared_morphology()
    by_stem: dict[str, str] = {}
    for noun, _ in used.most_common():
        if morph.part_of_speech(noun) == "NOUN":
            for stem in _stems(noun, ACTION_NOUN_ENDINGS):
                by_stem.setdefault(stem, noun)
    verbs = {t for f in plain for t in f.actions if "_" not in t}
    nouns = {
        verb: by_stem[stem]
        for verb in verbs
        for stem in _stems(_without_reflexive(verb), VERB_ENDINGS)
        if stem in by_stem and morph.part_of_speech(verb) in {"INFN", "VERB"}
    }
    if not nouns:
        return plain
    return [
        _features(a, nouns) if _reads_as_noun(f, nouns.keys() & f.actions) else f
        for a, f in zip(analyses, plain, strict=True)
    ]


def _reads_as_noun(features: TextFeatures, verbs: Collection[str]) -> bool:
    """Whether the text's `verbs` are read as their nouns: unless what they are done to is a
    thing ("оплатить госпошлину", "сделать прописку"), which is then the need, not "оплата" or
    "сделка". A person ("прописать ребенка") or nothing ("записаться к врачу": a reflexive verb
    takes no object, whatever else the text names) leaves the verb's noun the need."""
    if not verbs:
        return False
    if any(verb.endswith(REFLEXIVE_ENDINGS) for verb in verbs):
        return True
    morph = shared_morphology()
    return not any(
        "_" in key or (morph.part_of_speech(key) == "NOUN" and not morph.is_animate(key))
        for key in features.keys - features.actions
    )


def _without_reflexive(verb: str) -> str:
    for ending in REFLEXIVE_ENDINGS:
        if verb.endswith(ending):
            return verb.removesuffix(ending)
    return verb


def _stems(word: str, endings: Sequence[str]) -> list[str]:
    return [
        word.removesuffix(ending)
        for ending in endings
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM_LENGTH
    ]


def _modifiers(tokens: Sequence[str]) -> frozenset[str]:
    """Lemmas of the nouns and adjectives that say for whom, of what or with what rather than
    what: after a preposition ("для ребенка", "на второго ребенка") or in no case an object
    can be in ("ребенку", "картой"). Words the dictionary lacks are not judged."""
    morph = shared_morphology()
    heads: set[str] = set()
    modifiers: set[str] = set()
    governed = False
    for token in tokens:
        pos = morph.part_of_speech(token)
        if pos == "PREP":
            governed = True
            continue
        if token.isdigit() or pos in NOUN_PHRASE_POS or pos == "NOUN":
            if morph.is_known(token) and token not in ABBREVIATIONS:
                oblique = not morph.cases(token) & OBJECT_CASES
                (modifiers if governed or oblique else heads).add(morph.lemma(token))
            governed = governed and pos != "NOUN"
        else:
            governed = False
    return frozenset(modifiers - heads)


def _analyses(
    analyze: Analyze, texts: Sequence[str], background: Sequence[TextFeatures]
) -> list[Analysis]:
    """The texts analysed, each word the dictionary and the base lack first repaired to a
    word of the inbox or the base one or two letters away that more questions use ("как
    оформить ипатеку" beside questions about "ипотеку"). A word as many questions use as
    its look-alike is a word of its own, and words the dictionary knows are never changed
    ("полис" stays beside "полиция")."""
    analyses = [analyze(text) for text in texts]
    used: Counter[str] = Counter()
    for analysis in analyses:
        used.update({*analysis.tokens, *analysis.terms})
    base: Counter[str] = Counter()
    for entry in background:
        base.update({*entry.words, *entry.terms})
    morph = shared_morphology()
    typos = {
        word
        for word in used
        if len(word) >= MIN_TYPO_LENGTH
        and word.isalpha()
        and word not in base
        and word not in ABBREVIATIONS
        and not morph.is_known(word)
    }
    if not typos:
        return analyses
    speller = Speller(w for w in (*used, *base) if "_" not in w and w not in typos)
    fixes: dict[str, str] = {}
    for typo in typos:
        fixed = speller.correct(typo)
        if fixed is not None and used[fixed] + base[fixed] > used[typo]:
            fixes[typo] = fixed
    return [
        analyze(" ".join(fixes.get(t, t) for t in a.tokens)) if fixes.keys() & a.tokens else a
        for a in analyses
    ]


def _is_action(term: str) -> bool:
    # "не_работать" is the action "работать"; a folded phrase ("мобильный_приложение") names
    # a thing.
    word = term.removeprefix(f"{NOT}_")
    return "_" not in word and shared_morphology().part_of_speech(word) in ACTION_POS


@dataclass(frozen=True, slots=True)
class Grouping:
    """How distinct texts of the inbox were grouped: the costly part of the inbox, the same
    while no question comes, leaves or is purged."""

    texts: tuple[str, ...]
    labels: tuple[int, ...]
    # The texts whose every word the dictionary or the base knows, without masks: titles
    # come from these.
    well_spelt: frozenset[str]
    terms: tuple[frozenset[str], ...]


class GroupingCache:
    """The last few groupings, by the texts grouped, the base and the threshold: paging
    through a group or coming back to the inbox groups nothing again while its questions stay
    as they were (a new question, one taken out or purged changes the texts)."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._kept: list[tuple[tuple[str, ...], Sequence[TextFeatures], float, Grouping]] = []
        self._lock = threading.Lock()

    def get(
        self, texts: tuple[str, ...], background: Sequence[TextFeatures], distance: float
    ) -> Grouping | None:
        """The grouping of exactly these texts against this base, if kept."""
        with self._lock:
            for kept in self._kept:
                if kept[1] is background and kept[2] == distance and kept[0] == texts:
                    return kept[3]
        return None

    def put(self, background: Sequence[TextFeatures], distance: float, grouping: Grouping) -> None:
        """Keep `grouping`, forgetting the oldest beyond the size."""
        with self._lock:
            self._kept = [(grouping.texts, background, distance, grouping), *self._kept]
            del self._kept[self._size :]


@dataclass(frozen=True, slots=True)
class InboxTexts:
    """The inbox's unanswered records by distinct text (case and spacing aside), and which
    texts are grouped: the `max_cluster_questions` most recently asked (the distance matrix
    grows as its square), and the text of one older record asked for."""

    same_text: Mapping[str, Sequence[QuestionRecord]]
    grouped: tuple[str, ...]
    # The texts asked before those grouped, in no group of the inbox's list.
    older: tuple[str, ...]

    @property
    def older_records(self) -> int:
        """How many questions the older texts are."""
        return sum(len(self.same_text[text]) for text in self.older)


def inbox_texts(
    records: Sequence[QuestionRecord], settings: AnalyticsSettings, include: int | None = None
) -> InboxTexts:
    """The unanswered among `records` by text, the newest texts and `include`'s grouped."""
    same_text: dict[str, list[QuestionRecord]] = defaultdict(list)
    for record in records:
        if is_unanswered(record):
            same_text[" ".join(record.text.casefold().split())].append(record)
    texts = sorted(same_text, key=lambda t: same_text[t][-1].asked_at, reverse=True)
    kept = texts[: settings.max_cluster_questions]
    older = texts[settings.max_cluster_questions :]
    if include is not None:
        kept += [t for t in older if any(r.id == include for r in same_text[t])][:1]
    return InboxTexts(same_text, tuple(kept), tuple(t for t in older if t not in kept))


def group_unanswered(
    records: Sequence[QuestionRecord],
    analyze: Analyze,
    *,
    settings: AnalyticsSettings,
    now: datetime,
    background: Sequence[TextFeatures] = (),
    include: int | None = None,
    cache: GroupingCache | None = None,
) -> list[Cluster]:
    """Unanswered records grouped by need, biggest group first.

    Identical texts are grouped before clustering, and only the `max_cluster_questions`
    most recently asked distinct texts are clustered (the distance matrix grows as its
    square), and the text of record `include` if it is older.
    """
    texts = inbox_texts(records, settings, include)
    return group_texts(
        texts, analyze, settings=settings, now=now, background=background, cache=cache
    )


def group_texts(
    texts: InboxTexts,
    analyze: Analyze,
    *,
    settings: AnalyticsSettings,
    now: datetime,
    background: Sequence[TextFeatures] = (),
    cache: GroupingCache | None = None,
) -> list[Cluster]:
    """The groups of `texts.grouped` with their records, biggest first."""
    grouping = cache.get(texts.grouped, background, settings.cluster_distance) if cache else None
    if grouping is None:
        grouping = _grouping(texts.grouped, analyze, settings=settings, background=background)
        if cache is not None:
            cache.put(background, settings.cluster_distance, grouping)
    return grouped_clusters(texts, grouping, settings=settings, now=now)


def grouped_clusters(
    texts: InboxTexts, grouping: Grouping, *, settings: AnalyticsSettings, now: datetime
) -> list[Cluster]:
    """The groups of `grouping` (made of `texts.grouped`) with their records, biggest first."""
    same_text = texts.same_text
    groups: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(grouping.labels):
        groups[label].append(index)
    clusters = [
        _cluster(
            [same_text[grouping.texts[i]] for i in _title_first(members, grouping, same_text)],
            settings=settings,
            now=now,
        )
        for members in groups.values()
    ]
    return sorted(clusters, key=lambda c: (-c.size, -c.last_asked.timestamp()))


def _grouping(
    texts: Sequence[str],
    analyze: Analyze,
    *,
    settings: AnalyticsSettings,
    background: Sequence[TextFeatures],
) -> Grouping:
    features = _inbox_features(_analyses(analyze, texts, background))
    labels = cluster_labels(
        features, distance_threshold=settings.cluster_distance, background=background
    )
    known = frozenset(w for entry in background for w in entry.words)
    return Grouping(
        texts=tuple(texts),
        labels=tuple(labels),
        well_spelt=frozenset(t for t in texts if _is_well_spelt(t, known)),
        terms=tuple(frozenset(f.terms) for f in features),
    )


def _is_well_spelt(text: str, known: Collection[str]) -> bool:
    """Every word of the text is one the dictionary or the base knows (no "ипатеку"), and no
    personal data was masked in it ("меня зовут [имя]", "мой [ИНН]": the text is case-folded)."""
    if any(kind.placeholder.casefold() in text.casefold() for kind in PersonalData):
        return False
    morph = shared_morphology()
    return all(
        not word.isalpha() or word in known or word in ABBREVIATIONS or morph.is_known(word)
        for word in words(fold_case(text))
    )


def _title_first(
    members: list[int], grouping: Grouping, same_text: Mapping[str, Sequence[QuestionRecord]]
) -> list[int]:
    """The group's texts, most asked first (the newest of equally asked first), after its
    title: of the well-spelt texts, the most asked, then the most typical (its terms the most
    used by the group's other questions), then the newest."""
    by_count = sorted(members, key=lambda i: len(same_text[grouping.texts[i]]), reverse=True)
    used: Counter[str] = Counter()
    for i in members:
        used.update(dict.fromkeys(grouping.terms[i], len(same_text[grouping.texts[i]])))

    def typical(i: int) -> float:
        mine = grouping.terms[i]
        asked = len(same_text[grouping.texts[i]])
        return sum(used[t] - asked for t in mine) / len(mine) if mine else 0.0

    title = min(
        by_count,
        key=lambda i: (
            grouping.texts[i] not in grouping.well_spelt,
            -len(same_text[grouping.texts[i]]),
            -typical(i),
        ),
    )
    return [title, *(i for i in by_count if i != title)]


def _cluster(
    members: list[Sequence[QuestionRecord]], *, settings: AnalyticsSettings, now: datetime
) -> Cluster:
    """A group of texts (each text's records), its title's first."""
    records = [r for same in members for r in same]
    closest = Counter(r.entry_id for r in records if r.entry_id is not None).most_common(1)
    used = Counter(r.operator_entry_id for r in records if r.operator_entry_id).most_common(1)
    return Cluster(
        size=len(records),
        this_week=sum(1 for r in records if r.asked_at >= now - WEEK),
        previous_week=sum(1 for r in records if now - 2 * WEEK <= r.asked_at < now - WEEK),
        examples=tuple(same[-1].text for same in members[: settings.cluster_examples]),
        example_record_ids=tuple(
            tuple(sorted(r.id for r in same)) for same in members[: settings.cluster_examples]
        ),
        record_ids=tuple(sorted(r.id for r in records)),
        closest_entry_id=closest[0][0] if closest else None,
        operator_entry_id=used[0][0] if used else None,
        handoffs=sum(1 for r in records if r.decision is Decision.HANDOFF),
        abandoned=sum(1 for r in records if r.abandoned),
        disliked=sum(1 for r in records if r.disliked),
        ticket_numbers=tuple(sorted({r.ticket_number for r in records if r.ticket_number})),
        last_asked=max(r.asked_at for r in records),
        questions=tuple(same[-1].text for same in members),
        question_record_ids=tuple(tuple(sorted(r.id for r in same)) for same in members),
    )


@dataclass(frozen=True, slots=True)
class Inbox:
    """The inbox's list: its biggest groups, and the questions in none of them."""

    clusters: tuple[Cluster, ...]
    # Asked before the newest `max_cluster_questions` distinct texts grouped: questions and
    # their distinct texts.
    older_questions: int = 0
    older_texts: int = 0


class Unanswered:
    """The curators' inbox."""

    def __init__(
        self,
        db: Database,
        answerer: Answerer,
        analyze: Analyze,
        proposals: Proposals,
        *,
        settings: AnalyticsSettings | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._db = db
        self._answerer = answerer
        self._analyze = analyze
        self._proposals = proposals
        self._settings = settings or AnalyticsSettings()
        self._clock = clock
        self._background = Background(answerer, analyze)
        self._groupings = GroupingCache()
        # Groupings being made, by the texts grouped and the base's features (alive while
        # their grouping is made: its thread holds them).
        self._flights: dict[tuple[tuple[str, ...], int], asyncio.Future[Grouping]] = {}

    async def clusters(self, curator: Operator) -> Inbox:
        """The biggest groups of unanswered questions of the last `inbox_days` days, and how
        many asked before the newest ones grouped are in none."""
        records, now = await self._records(curator)
        texts = await asyncio.to_thread(inbox_texts, records, self._settings)
        found = (await self._clusters(texts, now))[: self._settings.inbox_clusters]
        # A new entry is proposed through a resolved ticket of the group: offer only those.
        async with self._db.transaction() as uow:
            resolved = await uow.tickets.resolved_among(
                {n for cluster in found for n in cluster.ticket_numbers}
            )
        return Inbox(
            clusters=tuple(
                dataclasses.replace(
                    cluster,
                    ticket_numbers=tuple(n for n in cluster.ticket_numbers if n in resolved),
                )
                for cluster in found
            ),
            older_questions=texts.older_records,
            older_texts=len(texts.older),
        )

    async def cluster_of(self, curator: Operator, record_id: int) -> Cluster | None:
        """The group the question recorded as `record_id` is in now, with all its questions;
        None once it has left the inbox. A question older than the newest ones the inbox
        groups is grouped with them for this (`Cluster.older_question`)."""
        records, now = await self._records(curator)
        texts = await asyncio.to_thread(inbox_texts, records, self._settings)
        for cluster in await self._clusters(texts, now):
            if record_id in cluster.record_ids:
                return cluster
        if not any(r.id == record_id for t in texts.older for r in texts.same_text[t]):
            return None
        texts = await asyncio.to_thread(inbox_texts, records, self._settings, record_id)
        for cluster in await self._clusters(texts, now):
            if record_id in cluster.record_ids:
                return dataclasses.replace(cluster, older_question=True)
        return None

    async def _records(self, curator: Operator) -> tuple[list[QuestionRecord], datetime]:
        """The inbox's records of the last `inbox_days` days, and the time they were read."""
        require(curator.role, Permission.DECIDE_PROPOSALS, "разбирать неотвеченные вопросы")
        now = self._clock()
        since = now - timedelta(days=self._settings.inbox_days)
        async with self._db.transaction() as uow:
            records = await uow.questions.between(
                since, None, untriaged_only=True, unanswered_only=True
            )
        return records, now

    async def _clusters(self, texts: InboxTexts, now: datetime) -> list[Cluster]:
        background = await asyncio.to_thread(self._background.features)
        distance = self._settings.cluster_distance
        grouping = self._groupings.get(texts.grouped, background, distance)
        if grouping is None:
            grouping = await self._grouping(texts.grouped, background)
        return await asyncio.to_thread(
            grouped_clusters, texts, grouping, settings=self._settings, now=now
        )

    async def _grouping(
        self, texts: tuple[str, ...], background: Sequence[TextFeatures]
    ) -> Grouping:
        """The grouping of `texts`, made once for the requests that miss the kept one at the
        same moment: the later ones wait for the first's (six group pages opened at once
        each grouped the inbox, 3.7–7.8 s each)."""
        key = (texts, id(background))
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(asyncio.to_thread(self._group, texts, background))
            self._flights[key] = flight

            def landed(done: asyncio.Future[Grouping]) -> None:
                if self._flights.get(key) is done:
                    del self._flights[key]

            flight.add_done_callback(landed)
        # A request that gives up (its client left) does not cancel the others' grouping.
        return await asyncio.shield(flight)

    def _group(self, texts: tuple[str, ...], background: Sequence[TextFeatures]) -> Grouping:
        grouping = _grouping(texts, self._analyze, settings=self._settings, background=background)
        self._groupings.put(background, self._settings.cluster_distance, grouping)
        return grouping

    async def add_alternative(
        self,
        curator: Operator,
        entry_id: str,
        phrasing: str,
        record_ids: Collection[int],
        *,
        force: bool = False,
    ) -> AddedPhrasing:
        """Add `phrasing` to the entry's alternatives; the questions leave the inbox.

        The phrasing is first checked as `kb check` would check it, among the entries it can
        disturb: one that would make the base answer worse (it is another entry's phrasing,
        or with it another entry's questions go to this one, or it would go elsewhere itself)
        is refused with `WorseBaseError`, unless `force`; advice comes back with it.
        """
        from bot.kb.alternatives import AlternativeError, add_checked_alternative, clean_phrasing
        from bot.kb.check import Severity
        from bot.kb.impact import alternative_findings

        require(curator.role, Permission.DECIDE_PROPOSALS, "дополнять базу знаний")
        try:
            text = clean_phrasing(phrasing)
        except AlternativeError as error:
            raise InvalidInputError(str(error)) from error
        if _has_personal_data(text):
            raise InvalidInputError(
                "В формулировке есть личные данные (имя, телефон, паспорт, код...) или их "
                "замена вроде «[имя]»: уберите их."
            )
        entry = self._answerer.kb.get(entry_id)
        if entry is None or entry.file is None:
            raise InvalidInputError(f"Нет ответа с идентификатором «{entry_id}».")

        def check(base: KnowledgeBase) -> tuple[str, ...]:
            # The base as its files are, under the writers' lock: not the served one, which
            # lacks what another curator added a moment ago (the reload takes seconds).
            findings = alternative_findings(base, entry_id, text)
            errors = tuple(f.message for f in findings if f.severity is Severity.ERROR)
            if errors and not force:
                raise WorseBaseError(
                    "Формулировка не добавлена",
                    errors,
                    "Переформулируйте её, выберите другой ответ или отметьте «даже если "
                    "проверка базы против».",
                )
            return tuple(f.message for f in findings)

        try:
            # Queued for the lock on the event loop, not each on a thread (`BaseWriters`).
            async with self._proposals.writers.holding():
                advice = await asyncio.to_thread(
                    add_checked_alternative,
                    self._proposals.kb_dir,
                    Path(entry.file),
                    entry_id,
                    text,
                    check,
                    lock=False,
                )
        except AlternativeError as error:
            raise InvalidInputError(str(error)) from error
        async with self._db.transaction() as uow:
            await uow.questions.triage(record_ids, Triage.ALTERNATIVE)
        return AddedPhrasing(advice is not None, advice or ())

    async def propose(
        self,
        curator: Operator,
        ticket_number: int,
        *,
        question: str,
        answer: str,
        alternatives: Sequence[str],
        record_ids: Collection[int],
    ) -> Proposal:
        """Propose a new entry from a group, through a resolved ticket of the group."""
        proposal = await self._proposals.propose(
            curator,
            ticket_number,
            question=question,
            answer=answer,
            alternatives=proposed_phrasings(question, alternatives),
        )
        async with self._db.transaction() as uow:
            await uow.questions.triage(record_ids, Triage.PROPOSED)
        return proposal

    async def dismiss(self, curator: Operator, record_ids: Collection[int]) -> int:
        """Take the questions out of the inbox; returns how many."""
        require(curator.role, Permission.DECIDE_PROPOSALS, "разбирать неотвеченные вопросы")
        async with self._db.transaction() as uow:
            return await uow.questions.triage(record_ids, Triage.DISMISSED)
