"""uvicorn as `faqbot serve` runs it: open live streams end as soon as shutdown begins.

uvicorn waits for every open response before it shuts the app down, and cancels what is
still running when its grace period is over; a live stream never ends by itself, so a
restart with a chat open waited out the whole period and logged a CancelledError.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from bot.web.app import end_live_streams


class Server(uvicorn.Server):
    """A uvicorn server that ends `app`'s live streams when it starts shutting down."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """End the streams (the browsers reconnect to the next server), then shut down."""
        end_live_streams(self._app)
        await super().shutdown(sockets=sockets)
