"""What new phrasings would do to the base, found before they are written.

A curator adding a citizen's question to an entry from the console, or approving an
operator's proposed entry, cannot run `kb check` there; a phrasing that makes its entry pull
another entry's questions over would only show at the next check, after citizens got the
wrong answers. The check here asks the phrasings the new ones can disturb: those of their
own entry and of the entries each new phrasing is closest to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.kb.check import Finding, conflicts, duplicates
from matcher import Entry, KnowledgeBase, Matcher

# The entries a new phrasing ranks best: those whose phrasings it may pull over.
NEIGHBOURS = 5


def with_alternative(kb: KnowledgeBase, entry_id: str, text: str) -> KnowledgeBase:
    """The base with `text` appended to the alternatives of `entry_id`."""
    return KnowledgeBase(
        tuple(
            dataclasses.replace(e, alternatives=(*e.alternatives, text)) if e.id == entry_id else e
            for e in kb
        ),
        kb.synonyms,
    )


def alternative_findings(kb: KnowledgeBase, entry_id: str, text: str) -> tuple[Finding, ...]:
    """What `kb check` would find, once `text` is one more phrasing of `entry_id`, that it
    does not find now among the phrasings the new one can disturb (a base that already had
    findings is not blamed on the curator)."""
    return _new_findings(kb, with_alternative(kb, entry_id, text), entry_id, [text])


def entry_findings(kb: KnowledgeBase, entry: Entry) -> tuple[Finding, ...]:
    """What `kb check` would find, once `entry` is added to the base, that it does not find
    now among the phrasings the entry's can disturb."""
    after = KnowledgeBase((*kb.entries, entry), kb.synonyms)
    return _new_findings(kb, after, entry.id, entry.phrasings)


def _new_findings(
    kb: KnowledgeBase, after: KnowledgeBase, entry_id: str, texts: Sequence[str]
) -> tuple[Finding, ...]:
    # The new phrasings are a citizen's words until a curator adds them: their vectors stay
    # out of the meaning's cache file (whatever the check finds).
    matcher = Matcher(after, unsaved=texts)
    nearby = {entry_id}
    for text in texts:
        nearby.update(c.entry_id for c in matcher.match(text).candidates[:NEIGHBOURS])
    found = [
        *duplicates(_last(after, entry_id), matcher),
        *conflicts(after, matcher, only=nearby),
    ]
    if not found:
        return ()
    old = Matcher(kb)
    before = {
        _key(f) for f in (*duplicates(_last(kb, entry_id), old), *conflicts(kb, old, only=nearby))
    }
    return tuple(f for f in found if _key(f) not in before)


def _last(kb: KnowledgeBase, entry_id: str) -> KnowledgeBase:
    """The base with `entry_id` moved last: a phrasing under two entries is reported on the
    later one, naming the other, so the curator reads which entry already has it (not the
    entry they were adding it to)."""
    return KnowledgeBase(
        (*(e for e in kb if e.id != entry_id), *(e for e in kb if e.id == entry_id)),
        kb.synonyms,
    )


def _key(finding: Finding) -> tuple[object, ...]:
    # The message names the phrasing and the other entry; a conflict's score may differ.
    return finding.kind, finding.entry_id, finding.message.split(" (уверенность")[0]
