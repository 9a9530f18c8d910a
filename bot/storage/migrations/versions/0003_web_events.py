"""Web events: replies and ticket notices delivered to widget sessions, for every process.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "web_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ticket_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_web_events_session", "web_events", ["session_id", "id"])
    op.create_index("ix_web_events_created_at", "web_events", ["created_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_web_events_created_at", table_name="web_events")
    op.drop_index("ix_web_events_session", table_name="web_events")
    op.drop_table("web_events")
