"""The state machine of one conversation: who answers the citizen right now."""

from __future__ import annotations

from enum import StrEnum

from bot.core.errors import IllegalTransitionError


class ConversationState(StrEnum):
    """Who owns the conversation; the value is what the database stores."""

    BOT = "bot"  # the matcher answers
    WAITING = "waiting"  # handed off, waiting for a person to take the ticket
    WITH_OPERATOR = "with_operator"  # a person owns it: the bot stays silent
    RESOLVED = "resolved"  # the person finished; the next message goes back to the bot

    @property
    def bot_answers(self) -> bool:
        """True when the matcher may answer the citizen's messages."""
        return self in {ConversationState.BOT, ConversationState.RESOLVED}


ALLOWED_CONVERSATION_CHANGES: dict[ConversationState, frozenset[ConversationState]] = {
    ConversationState.BOT: frozenset({ConversationState.WAITING, ConversationState.WITH_OPERATOR}),
    ConversationState.WAITING: frozenset(
        {ConversationState.WITH_OPERATOR, ConversationState.RESOLVED}
    ),
    ConversationState.WITH_OPERATOR: frozenset(
        {ConversationState.WAITING, ConversationState.RESOLVED}
    ),
    ConversationState.RESOLVED: frozenset(
        {ConversationState.BOT, ConversationState.WAITING, ConversationState.WITH_OPERATOR}
    ),
}


def check_conversation_change(current: ConversationState, new: ConversationState) -> None:
    """Raise `IllegalTransitionError` unless a conversation may go from `current` to `new`."""
    if new not in ALLOWED_CONVERSATION_CHANGES[current]:
        raise IllegalTransitionError(
            f"Conversation cannot go from {current.value!r} to {new.value!r}; "
            f"allowed: {sorted(s.value for s in ALLOWED_CONVERSATION_CHANGES[current])}."
        )
