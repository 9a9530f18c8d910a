"""The «тоже не доставлены» line of a ticket's history names the queued message it was said
with, so that whether staff were told of a blocking is known from that message (still
undelivered: this blocking) instead of comparing times written by different servers' clocks.

Lines written before it are linked to the message queued with them (the ticket's latest one
queued by then): a line without its message would pass for untold, and a citizen who had
blocked the bot before the upgrade got the line again with the next message.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The history entry and its text as `bot.core` wrote them before this revision.
DELIVERY_REFUSED = "delivery_refused"
HELD_BEHIND_REFUSAL = (
    "Это и следующие сообщения гражданину тоже не доставлены: он по-прежнему не принимает "
    "сообщения бота. Они уйдут, когда гражданин снова откроет чат; до тех пор об этом больше "
    "не напоминаем."
)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("outbox_id", sa.BigInteger(), nullable=True))
    # The line was written in the transaction that queued its message, dated no earlier.
    op.execute(
        sa.text(
            "UPDATE ticket_events SET outbox_id = ("
            " SELECT MAX(outbox.id) FROM outbox JOIN tickets"
            " ON outbox.ticket_number = tickets.number"
            " WHERE tickets.id = ticket_events.ticket_id"
            " AND outbox.created_at <= ticket_events.created_at)"
            " WHERE action = :action AND note = :note AND outbox_id IS NULL"
        ).bindparams(action=DELIVERY_REFUSED, note=HELD_BEHIND_REFUSAL)
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_column("outbox_id")
