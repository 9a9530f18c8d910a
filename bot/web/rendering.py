"""The core's channel-neutral `Reply` rendered as the API's JSON body."""

from __future__ import annotations

from bot.core.replies import Reply, ReplyKind
from bot.web.schemas import AskResponse, CandidateOut, ChoiceOut, LinkOut, MarkOut
from matcher import KnowledgeBase, Match

ACTIONS = {ReplyKind.ANSWER: "answer", ReplyKind.CLARIFY: "clarify"}


def ask_response(
    reply: Reply, match: Match | None, kb: KnowledgeBase, *, query: str, session_id: str
) -> AskResponse:
    """The contract's fields from the matcher's verdict, the rest from the core's reply.

    `action` follows what the citizen actually got: a question the matcher could answer
    still counts as `handoff` when a person owns the conversation.
    """
    entry = kb.get(reply.entry_id) if reply.kind is ReplyKind.ANSWER and reply.entry_id else None
    return AskResponse(
        query=match.query if match is not None else query,
        action=ACTIONS.get(reply.kind, "handoff"),
        entry_id=reply.entry_id if entry is not None else (match.entry_id if match else None),
        score=round(match.score, 4) if match is not None else 0.0,
        candidates=[
            CandidateOut(entry_id=c.entry_id, score=round(c.score, 4))
            for c in (match.candidates if match is not None else ())
        ],
        matched_terms=list(match.matched_terms) if match is not None else [],
        answer=reply.text if reply.kind is ReplyKind.ANSWER else None,
        session_id=session_id,
        kind=reply.kind.value,
        text=reply.text,
        choices=[ChoiceOut(entry_id=c.entry_id, title=c.title) for c in reply.choices],
        links=[LinkOut(title=link.title, url=link.url) for link in entry.links]
        if entry is not None
        else [],
        ticket_number=reply.ticket_number,
        due_text=reply.due_text,
        notice=reply.notice,
        message_id=reply.message_id,
        said_id=reply.said_id,
        mark=MarkOut(ticket_number=reply.mark.ticket_number, stars=reply.mark.stars)
        if reply.mark is not None
        else None,
    )
