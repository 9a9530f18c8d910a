"""What a message queued for a citizen is: an operator's words, the service's news, or news
that asks for a 1-5 mark of the ticket (the channels show buttons under it). Rows from before
are taken as replies, as they were shown.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("outbox", "web_events")


def upgrade() -> None:
    """Apply this revision."""
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("kind", sa.String(length=16), nullable=False, server_default="reply")
            )


def downgrade() -> None:
    """Revert this revision."""
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("kind")
