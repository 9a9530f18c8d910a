"""A citizen in a private chat with the bot: builds the updates a real client would send."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from tests.bot.telegram.fake_api import FakeBotApi

Json = dict[str, Any]


@dataclass
class Citizen:
    """One Telegram user writing to the bot from their private chat (chat id = user id)."""

    api: FakeBotApi
    user_id: int
    first_name: str = "Анна"
    last_name: str = "Петрова"
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _callback_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def user(self) -> Json:
        return {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "language_code": "ru",
        }

    @property
    def chat(self) -> Json:
        return {"id": self.user_id, "type": "private", "first_name": self.first_name}

    def _message(self, **content: Any) -> Json:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **content,
        }

    def says(self, text: str) -> int:
        """Type a message (commands get their entity, as Telegram clients send them)."""
        content: Json = {"text": text}
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.api.push({"message": self._message(**content)})

    def edits(self, message_id: int, text: str) -> int:
        """Correct the text of the citizen's own message `message_id` (1 is the first sent)."""
        message = {**self._message(text=text), "message_id": message_id}
        message["edit_date"] = message["date"]
        return self.api.push({"edited_message": message})

    def replies(self, text: str, *, to: int) -> int:
        """Reply to the bot's message `to` (swipe, "Ответить") with `text`."""
        replied = {
            "message_id": to,
            "date": int(time.time()),
            "chat": self.chat,
            "from": {"id": 7000001, "is_bot": True, "first_name": "Консультант"},
            "text": "…",
        }
        return self.api.push({"message": self._message(text=text, reply_to_message=replied)})

    def presses(self, data: str, *, message_id: int) -> int:
        """Press an inline button under the bot's message `message_id`."""
        return self.api.push(
            {
                "callback_query": {
                    "id": f"cb-{self.user_id}-{next(self._callback_ids)}",
                    "from": self.user,
                    "chat_instance": f"ci-{self.user_id}",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "chat": self.chat,
                        "from": {"id": 7000001, "is_bot": True, "first_name": "Консультант"},
                        "text": "…",
                    },
                }
            }
        )

    def sends(self, **content: Any) -> int:
        """Send any other kind of message: a sticker, a voice note, a photo..."""
        return self.api.push({"message": self._message(**content)})

    def shares_phone(self, phone: str, *, own: bool = True) -> int:
        """Press the "share my phone number" button (or forward someone else's contact)."""
        contact = {
            "phone_number": phone,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "user_id": self.user_id if own else self.user_id + 1,
        }
        return self.sends(contact=contact)
