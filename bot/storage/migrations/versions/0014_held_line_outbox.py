"""The «тоже не доставлены» line of a ticket's history names the queued message it was said
with, so that whether staff were told of a blocking is known from that message (still
undelivered: this blocking) instead of comparing times written by different servers' clocks.

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


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("outbox_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_column("outbox_id")
