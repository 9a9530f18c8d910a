"""Who is writing: a citizen's identity on one channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import InvalidInputError

MAX_EXTERNAL_ID_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Identity:
    """A citizen as one channel knows them: `web` + session id, `telegram` + chat id."""

    channel: str
    external_id: str

    def __post_init__(self) -> None:
        if not self.channel or not self.channel.isidentifier():
            raise InvalidInputError(f"Channel name must be a plain word, got {self.channel!r}.")
        if not self.external_id or len(self.external_id) > MAX_EXTERNAL_ID_LENGTH:
            raise InvalidInputError(
                f"External id must be 1-{MAX_EXTERNAL_ID_LENGTH} characters, "
                f"got {len(self.external_id)} on channel {self.channel!r}."
            )
