"""The operators' Telegram group: operators' Telegram accounts and one forum topic per ticket.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_operators_telegram_user_id", ["telegram_user_id"])
    op.create_table(
        "staff_topics",
        sa.Column("id", ID, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_until", TIMESTAMP, nullable=True),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "ticket_id"),
    )
    op.create_index("ix_staff_topics_ticket_id", "staff_topics", ["ticket_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_staff_topics_ticket_id", table_name="staff_topics")
    op.drop_table("staff_topics")
    with op.batch_alter_table("operators") as batch:
        batch.drop_constraint("uq_operators_telegram_user_id", type_="unique")
        batch.drop_column("telegram_user_id")
