"""Replies to widget requests sent with a client's request id, kept for a day: the same
request sent again (its answer lost on the way) gets the same reply and is not recorded twice.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "request_replies",
        sa.Column("id", ID, nullable=False),
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "action", "request_id"),
    )
    op.create_index("ix_request_replies_created_at", "request_replies", ["created_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_request_replies_created_at", table_name="request_replies")
    op.drop_table("request_replies")
