"""aiogram's FSM storage on the core's dialogue memory (the database), instead of memory.

With aiogram's `MemoryStorage` a restart forgot what chats had said (a phone number shared
for the next hand-off, the prompt a 👎 comment answers), and each `serve` process in webhook
mode had its own. Here every change is one transaction, so two updates of one chat, even in
two processes, never lose each other's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)

from bot.core.dialogues import DialogueMemory
from bot.core.records import Dialogue

# The bot's id is in the key: two bots sharing a database keep their chats apart.
KEY_BUILDER = DefaultKeyBuilder(prefix="telegram", with_bot_id=True, with_destiny=True)


class DatabaseStorage(BaseStorage):
    """An aiogram FSM storage that keeps each chat's state and data in `DialogueMemory`."""

    def __init__(self, memory: DialogueMemory, key_builder: KeyBuilder = KEY_BUILDER) -> None:
        self._memory = memory
        self._keys = key_builder

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        await self._memory.change(self._keys.build(key), lambda d: replace(d, state=name))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._memory.read(self._keys.build(key))).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._memory.change(self._keys.build(key), lambda d: replace(d, data=dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._memory.read(self._keys.build(key))).data)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        def merged(current: Dialogue) -> Dialogue:
            return replace(current, data={**current.data, **data})

        return dict((await self._memory.change(self._keys.build(key), merged)).data)

    async def close(self) -> None:
        """Nothing to close: the database belongs to the services."""
