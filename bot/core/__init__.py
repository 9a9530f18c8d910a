"""The channel-neutral core: conversations, tickets, the operators' queue and the outbox.

Front ends (web, Telegram) build on the services here; nothing in this package imports a
channel library. Import the modules you need directly (``from bot.core.desk import Desk``).
"""
